#!/usr/bin/env bash
# The command line as a native tool's: the manual page renders without warnings and names every
# option of every command, the bash completion loads and completes, `record -- CMD` exits 127
# and 126 as shells do, `heapscope version`, -d the database, and a mistyped option or command
# names the one meant.
source "$(dirname "$0")/../lib.sh"
cd "$TOP"

MANPAGE=doc/heapscope.1
COMPLETION=dist/heapscope.bash

# --- The manual page.
err=$(MANWIDTH=80 man --warnings -l "$MANPAGE" 2>&1 >"$T/man.txt")
expect_eq "man -l renders without a warning" "$err" ""
expect_match "man -l: the page" "$(head -1 "$T/man.txt")" '^HEAPSCOPE\(1\) +User Commands'
expect_eq "groff -ww: no warning" "$(groff -ww -man -Tutf8 -z "$MANPAGE" 2>&1)" ""
for section in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES; do
	expect_eq "man: section $section" "$(grep -cx "$section" "$T/man.txt")" 1
done
for word in HEAPSCOPE_DEBUG DEBUGINFOD_URLS 126 127 128+N; do
	expect_eq "man: $word is there" "$(grep -cw -- "$word" "$T/man.txt" | grep -c '^[1-9]')" 1
done

# Every command, and each of its options as its getopt table has it (--completion-helper), is in
# the page's source (roff escapes its dashes).
commands=$("$HS" --completion-helper)
expect_match "--completion-helper: the commands" "$(echo $commands)" \
	'^record report serve diff daemon ctl .*version help'
missing=
unread=
for cmd in $commands; do
	grep -q "^\.SS \"heapscope $cmd\"" "$MANPAGE" || missing+=" $cmd"
	case $cmd in version | help) ;; *)
		"$HS" "$cmd" --completion-helper 2>/dev/null | grep -qx -- --help || unread+=" $cmd"
	esac
	for opt in $("$HS" "$cmd" --completion-helper 2>/dev/null | tr -d =); do
		case $opt in --help | -h) continue ;; esac
		grep -qF -- "${opt//-/\\-}" "$MANPAGE" || missing+=" $cmd:$opt"
	done
done
expect_eq "man: every command and option is documented" "$missing" ""
expect_eq "every command reads its options with cliopt_getopt (report/cliopt.h)" \
	"$unread" ""

# --- Bash completion: loads without the bash-completion package, completes through the binary.
expect_eq "completion loads in bash" \
	"$(bash -c "source $COMPLETION && complete -p heapscope" 2>&1)" "complete -F _heapscope heapscope"
# comp WORD...: what <TAB> offers after the words (the last one being completed).
comp() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _heapscope
		printf "%s\n" "${COMPREPLY[@]}" | sort -u | tr "\n" " "' _ "$COMPLETION" "$HS" "$@"
}
expect_eq "heapscope rep<TAB>" "$(comp rep)" "report "
expect_eq "heapscope d<TAB>" "$(comp d)" "daemon diff "
expect_eq "heapscope record --dur<TAB>" "$(comp record --dur)" "--duration "
expect_eq "heapscope record --stack=<TAB>" "$(comp record --stack =)" "caller dwarf fp "
expect_eq "heapscope report --format <TAB>" "$(comp report --format '')" \
	"collapsed csv html json pprof text "
expect_eq "heapscope ctl <TAB>" "$(comp ctl '')" "delete export list start stop "
touch "$T/rec1.db"
expect_eq "heapscope report -d <file><TAB>" "$(comp report -d "$T/rec")" "$T/rec1.db "
expect_match "heapscope record -p <TAB>: pids" "$(comp record -p "$$")" "(^| )$$ "
expect_match "heapscope record -- <command><TAB>" "$(comp record -- sqlite)" "^sqlite3 "
for cmd in record report serve diff daemon ctl; do
	want=$("$HS" "$cmd" --completion-helper | tr -d = | sort -u | grep -- '^--' | tr '\n' ' ')
	expect_eq "heapscope $cmd --<TAB>: its options" "$(comp "$cmd" --)" "$want"
done

# --- Exit statuses of record -- COMMAND as shells give them; no file left.
"$HS" record -d "$T/nf.db" -- heapscope-no-such-command 2>"$T/nf.err"
expect_eq "record -- a command not found: 127" "$?" 127
expect_match "127: one line naming it" "$(cat "$T/nf.err")" \
	"^heapscope: cannot run 'heapscope-no-such-command': command not found$"
printf 'data\n' >"$T/notexec"
"$HS" record -d "$T/ne.db" -- "$T/notexec" 2>"$T/ne.err"
expect_eq "record -- a file that is not executable: 126" "$?" 126
expect_eq "126: one line" "$(wc -l <"$T/ne.err")" 1
expect_eq "no file left by either" "$(ls "$T/nf.db" "$T/ne.db" 2>/dev/null | wc -l)" 0
# -d is the recording (-o its alias), -t the duration.
"$HS" record -d "$T/exit3.db" -t 30 -- sh -c 'exit 3' 2>"$T/exit3.err"
expect_eq "record -d FILE -t S -- sh -c 'exit 3': the command's status" "$?" 3
expect_eq "record -d: the file is the recording" \
	"$(q "$T/exit3.db" "SELECT count(*) FROM recording" 2>&1)" 1
"$HS" record -d "$T/a.db" -o "$T/b.db" -- true 2>"$T/twice.err"
expect_eq "record -d and -o together: usage, 2" "$?" 2
expect_match "record -d and -o: one file given twice" "$(head -1 "$T/twice.err")" \
	"option --output given twice"

# --- version.
start=$(date +%s%N)
"$HS" version >"$T/version.out"
expect_eq "version: exit 0" "$?" 0
expect_ge "version: under 0.5 s" $((500000000 - ($(date +%s%N) - start))) 0
expect_eq "version: first line is --version's" "$(head -1 "$T/version.out")" "$("$HS" --version)"
expect_match "--version: heapscope X.Y.Z" "$("$HS" --version)" '^heapscope [0-9]+\.[0-9]+\.[0-9]+$'
for what in "^libbpf [0-9]" "^kernel " "BTF .*: (yes|no)$" "uprobe_multi.*: (yes|no)$" \
	"uprobe sessions.*: (yes|no)$"; do
	expect_eq "version says /$what/" "$(grep -cE "$what" "$T/version.out")" 1
done
"$HS" version extra 2>/dev/null
expect_eq "version with an argument: 2" "$?" 2
expect_eq "help report = report --help" "$("$HS" help report)" "$("$HS" report --help)"

# --- A mistyped option names the right one, for every command; exit 2.
# mistyped NAME WANT ARGS...: exit 2 and stderr's first line is WANT.
mistyped() {
	local name=$1 want=$2
	shift 2
	"$HS" "$@" >/dev/null 2>"$T/m.err"
	expect_eq "$name: exit 2" "$?" 2
	expect_eq "$name: says" "$(head -1 "$T/m.err")" "$want"
}
mistyped "record --duraton" "heapscope: unknown option '--duraton'; did you mean '--duration'?" \
	record --duraton 5 -- true
mistyped "report --fromat" "heapscope: unknown option '--fromat'; did you mean '--format'?" \
	report -d x.db --fromat json
mistyped "serve --prot" "heapscope: unknown option '--prot'; did you mean '--port'?" \
	serve -d x.db --prot 1
mistyped "diff --limt" "heapscope: unknown option '--limt'; did you mean '--limit'?" \
	diff --limt 3 a.db b.db
mistyped "daemon --dta" "heapscope: unknown option '--dta'; did you mean '--data'?" \
	daemon --dta /nonexistent
mistyped "ctl --jsno" "heapscope: unknown option '--jsno'; did you mean '--json'?" ctl --jsno list
mistyped "report --output-file" "heapscope: unknown option '--output-file'; did you mean '--output'?" \
	report -d x.db --output-file y
"$HS" record --s 1 -- true 2>"$T/m.err"
expect_eq "record --s: ambiguous: exit 2" "$?" 2
expect_match "record --s: ambiguous: names the candidates" "$(head -1 "$T/m.err")" \
	"^heapscope: option '--s' is ambiguous: --stack, --serve, --sample, --sample-seed"
mistyped "report --top without its value" "heapscope: option '--top' needs a value" \
	report -d x.db --top
mistyped "report --asc=1" "heapscope: option '--asc' takes no value" report -d x.db --asc=1
mistyped "report -x" "heapscope: unknown option '-x' (--help lists them)" report -d x.db -x
mistyped "far from any option" "heapscope: unknown option '--zzzzzz' (--help lists them)" \
	report --zzzzzz
mistyped "a mistyped command" "heapscope: unknown command 'reprot'; did you mean 'report'?" reprot
mistyped "a mistyped command (a swap)" "heapscope: unknown command 'sevre'; did you mean 'serve'?" \
	sevre -d x.db
mistyped "an unknown command" "heapscope: unknown command 'frobnicate' (heapscope --help lists them)" \
	frobnicate
finish

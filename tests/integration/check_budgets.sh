#!/usr/bin/env bash
# heapscope check: every budget is a maximum, tested at its boundary on programs of known
# allocations (equal passes, one more fails): leaks3 (5000 bytes live at the end, peak 5000, 82
# allocations; leak_a 300, leak_b 1400, leak_c 3300 live), reach_truth exit (192 bytes definitely
# lost), xmalloc_wrap (site budgets through --alloc-fn); the JUnit XML validates against Ant's
# junit-10.xsd; the command's own failure, usage errors, -d and the temporary file.
. "$(dirname "$0")/../lib.sh"

XSD=$TOP/tests/schema/junit-10.xsd
export TMPDIR=$T/tmp # the temporary recordings go here: none may be left
mkdir -p "$TMPDIR"

# check NAME ARGS...: runs heapscope check with a deadline; stdout in $T/NAME.out (and $out),
# stderr in $T/NAME.err, the exit status in $rc.
check() {
	local name=$1
	shift
	timeout -k 5 60 "$HS" check "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	out=$(cat "$T/$name.out")
	[ "$rc" -le 4 ] || sed "s/^/#   $name stderr: /" "$T/$name.err" | head -20
}

# verdict NAME BUDGET: the verdict column of the table's row of BUDGET ("ok (at the limit)").
verdict() { grep -F -- "  $2 " "$T/$1.out" | head -1 | sed 's/^.*[0-9-]  *[0-9][0-9]*  //'; }

junit_valid() { xmllint --noout --schema "$XSD" "$1" 2>&1; }

if ! command -v xmllint >/dev/null; then
	not_ok "xmllint is not installed (make deps: libxml2-utils)"
fi

L3=$PROGS/leaks3
# --- Every recording-wide budget exactly at the measured value passes.
check at --max-leaked-bytes 5000 --max-peak-bytes 5000 --max-allocs 82 \
	--junit "$T/at.xml" -- "$L3"
expect_eq "leaks3 at every limit: exit 0" "$rc" 0
expect_match "leaks3 at every limit: the head" "$out" \
	"== heapscope check: passed: 0 of 3 budgets exceeded; the command exited 0"
expect_eq "leaks3 at every limit: leaked bytes at the limit" \
	"$(verdict at 'leaked bytes (live at the end)')" "ok (at the limit)"
expect_eq "leaks3 at every limit: peak at the limit" "$(verdict at 'peak live bytes')" \
	"ok (at the limit)"
expect_eq "leaks3 at every limit: allocations at the limit" "$(verdict at allocations)" \
	"ok (at the limit)"
expect_eq "leaks3 at every limit: no leak listing" "$(grep -c 'Leak suspects' "$T/at.out")" 0
expect_eq "JUnit of a pass validates against junit-10.xsd" "$(junit_valid "$T/at.xml")" \
	"$T/at.xml validates"
expect_match "JUnit of a pass: 4 tests, none failed" "$(cat "$T/at.xml")" \
	'<testsuite name="heapscope check" package="heapscope" id="0" timestamp="[0-9T:-]+" hostname="[^"]+" tests="4" failures="0" errors="0" time="[0-9.]+">'
expect_eq "no temporary recording is left" "$(find "$TMPDIR" -mindepth 1 | wc -l)" 0

# --- One byte (one call) over each budget fails it, and only it.
# one_over NAME BY ARGS...: leaks3 under ARGS fails budget NAME alone, by BY.
one_over() {
	local name=$1 by=$2 re
	shift 2
	re=$(printf '%s' "$name" | sed 's/[()*?]/\\&/g')
	check over "$@" --junit "$T/over.xml" -- "$L3"
	expect_eq "leaks3, $name one over: exit 1" "$rc" 1
	expect_eq "leaks3, $name one over: OVER by $by" "$(verdict over "$name")" "OVER by $by"
	expect_match "leaks3, $name one over: the head" "$out" \
		"FAILED: 1 of 3 budgets exceeded; the command exited 0"
	expect_match "leaks3, $name one over: listed first" "$(sed -n '/^  budget /{n;p;q}' "$T/over.out")" "^  $re "
	expect_eq "JUnit, $name over: validates" "$(junit_valid "$T/over.xml")" "$T/over.xml validates"
	expect_match "JUnit, $name over: one failure with the numbers" "$(cat "$T/over.xml")" \
		"failures=\"1\" errors=\"0\".*<failure message=\"$re: measured [0-9]+, limit [0-9]+: over by 1\" type=\"BudgetExceeded\">"
}
one_over "leaked bytes (live at the end)" "1 B" --max-leaked-bytes 4999 --max-peak-bytes 5000 \
	--max-allocs 82
cp "$T/over.out" "$T/leak.out"
one_over "peak live bytes" "1 B" --max-leaked-bytes 5000 --max-peak-bytes 4999 --max-allocs 82
one_over "allocations" "1" --max-leaked-bytes 5000 --max-peak-bytes 5000 --max-allocs 81
expect_match "a leak budget over: the top leaking sites with their stacks" "$(cat "$T/leak.out")" \
	"Leak suspects.*#1  11 blocks, 3.2 KiB.*at leak_c \(leaks3.c:[0-9]+\).*main.*#2  7 blocks.*at leak_b.*#3  3 blocks, 300 B.* in leak_a \\(3 call stacks.*at leak_a"
expect_eq "a peak budget over: no leak listing" "$(grep -c 'Leak suspects' "$T/over.out")" 0
check leak0 --max-leaked-bytes 0 --top 1 -- "$L3"
expect_match "--max-leaked-bytes 0 --top 1: one site shown" "$out" "#1 .*leak_c"
expect_eq "--top 1: only one" "$(grep -c '^  #[0-9]' "$T/leak0.out")" 1

# --- Site budgets: globs on the innermost function, summed over the functions they match.
cat >"$T/sites" <<'EOF'
# leaks3's known sites
leak_c      max_live_bytes=3300 max_allocs=11   # exactly
leak_*      max_live_bytes=5K   max_live_blocks=21
churn       max_allocs=50 max_live_bytes=0 max_bytes=3200
nothing_*   max_allocs=0
EOF
check sites --site-budget "$T/sites" -- "$L3"
expect_eq "site budgets at their limits: exit 0" "$rc" 0
expect_eq "site leak_c live bytes: at the limit" "$(verdict sites 'site leak_c: live bytes')" \
	"ok (at the limit)"
expect_eq "site leak_* live bytes: 5000 of 5K" "$(verdict sites 'site leak_*: live bytes')" \
	"ok (120 B to spare)"
expect_eq "site churn allocated bytes: 50 x 64" "$(verdict sites 'site churn: allocated bytes')" \
	"ok (at the limit)"
expect_match "a glob matching nothing says so" "$out" "no site's innermost function matches 'nothing_\*'"
printf 'leak_?  max_live_bytes=4999\nchurn max_allocs=49\n' >"$T/sites_over"
check sites_over --site-budget "$T/sites_over" --junit "$T/sites.xml" -- "$L3"
expect_eq "site budgets one over: exit 1" "$rc" 1
expect_match "site leak_? one over: OVER, the functions it matched, biggest first" "$out" \
	"site leak_\?: live bytes +5000 +4999  OVER by 1 B
      leak_c +3300
      leak_b +1400
      leak_a +300"
expect_eq "site churn allocations one over" "$(verdict sites_over 'site churn: allocations')" "OVER by 1"
expect_eq "JUnit of site budgets: validates" "$(junit_valid "$T/sites.xml")" "$T/sites.xml validates"
expect_eq "JUnit of site budgets: 2 failures" "$(grep -c '<failure ' "$T/sites.xml")" 2

# Through allocation wrappers: xmalloc_wrap's callers are the sites.
printf 'use_?  max_live_bytes=1872\nuse_c max_live_bytes=990 max_allocs=7\nx*alloc max_allocs=0\n' \
	>"$T/wrap"
check wrap --site-budget "$T/wrap" --alloc-fn 'x*alloc' -- "$PROGS/xmalloc_wrap"
expect_eq "--alloc-fn: the wrappers' callers at their limits: exit 0" "$rc" 0
expect_eq "--alloc-fn: use_c at the limit" "$(verdict wrap 'site use_c: live bytes')" \
	"ok (at the limit)"
printf 'xmalloc max_live_bytes=1611\n' >"$T/nowrap"
check nowrap --site-budget "$T/nowrap" -- "$PROGS/xmalloc_wrap"
expect_eq "without --alloc-fn: xmalloc is the site, 1612 bytes one over" \
	"$(verdict nowrap 'site xmalloc: live bytes')" "OVER by 1 B"

# --- Definitely lost: a reachability scan at the exit (--scan-at-end implied).
check dl --max-definitely-lost 192 -- "$PROGS/reach_truth" exit
expect_eq "reach_truth: 192 bytes definitely lost, limit 192: exit 0" "$rc" 0
expect_eq "reach_truth: definitely lost at the limit" "$(verdict dl 'definitely lost bytes')" \
	"ok (at the limit)"
expect_match "reach_truth: the scan ran at the exit" "$(cat "$T/dl.err")" "scan of pid [0-9]+ \(exit\)"
check dl_over --max-definitely-lost 191 --junit "$T/dl.xml" -- "$PROGS/reach_truth" exit
expect_eq "reach_truth: limit 191: exit 1" "$rc" 1
expect_eq "reach_truth: OVER by 1 B" "$(verdict dl_over 'definitely lost bytes')" "OVER by 1 B"
expect_match "reach_truth: the definitely lost sites first" "$out" \
	"Leak suspects.*#1 .*112 B.*at mk_overwritten.*#2 .*80 B.*at mk_list_head"
expect_match "reach_truth: the scan's verdicts of the leaks listed" "$out" \
	"verdicts of those leaks
  #1  definitely lost  mk_overwritten
  #2  definitely lost  mk_list_head
  #3  indirectly lost  mk_list_node"
expect_eq "JUnit of definitely lost: validates" "$(junit_valid "$T/dl.xml")" "$T/dl.xml validates"

# --- The command's own failure: exit 3, and a failed testcase of its own.
check cmd7 --max-leaked-bytes 5000 --junit "$T/cmd7.xml" -- "$L3" 7
expect_eq "the command exits 7 within budget: exit 3" "$rc" 3
expect_match "the command exits 7: said in the head" "$out" \
	"== heapscope check: FAILED: 0 of 1 budgets exceeded; the command exited 7 \(a failure\)"
expect_eq "JUnit of a failed command: validates" "$(junit_valid "$T/cmd7.xml")" "$T/cmd7.xml validates"
expect_match "JUnit of a failed command: its testcase fails" "$(cat "$T/cmd7.xml")" \
	'<testcase classname="heapscope.check" name="command status" time="[0-9.]+">
      <failure message="the command exited 7: [^"]*leaks3 7" type="CommandFailed">'
check cmd7over --max-leaked-bytes 4999 -- "$L3" 7
expect_eq "the command fails and a budget is over: exit 3 (the highest)" "$rc" 3
check nf --max-allocs 0 -- heapscope-no-such-command
expect_eq "a command not found: exit 3" "$rc" 3
expect_match "a command not found: said" "$(cat "$T/nf.err")" "command not found"
check killed --max-allocs 100 -- sh -c 'kill -9 $$'
expect_eq "a command killed: exit 3" "$rc" 3
expect_match "a command killed: said" "$out" "the command was killed by signal 9"

# --- -d keeps the recording; report reads it.
check keep -d "$T/keep.db" --max-leaked-bytes 5000 -- "$L3"
expect_eq "-d FILE: exit 0" "$rc" 0
expect_eq "-d FILE: the recording is kept" "$(q "$T/keep.db" 'SELECT count(*) FROM allocations')" 82
expect_match "-d FILE: said" "$(cat "$T/keep.err")" "the recording is kept in $T/keep.db"
expect_eq "no temporary recording is left after all runs" "$(find "$TMPDIR" -mindepth 1 | wc -l)" 0

# --- The schema is enforced (a sanity check of the test itself).
sed 's/ time="[0-9.]*"//' "$T/at.xml" >"$T/bad.xml"
expect_match "a testcase without its time does not validate" "$(junit_valid "$T/bad.xml")" \
	"fails to validate"

# --- Usage: exit 2, one line saying what is wrong.
usage() {
	local name=$1 want=$2
	shift 2
	check usage "$@"
	expect_eq "$name: exit 2" "$rc" 2
	expect_match "$name: says" "$(head -1 "$T/usage.err")" "$want"
}
usage "no budget" "^heapscope: check needs a budget" -- "$L3"
usage "no command" "^heapscope: check needs a command" --max-allocs 1
usage "--sample refused" "^heapscope: check gates on exact counts: --sample is refused" \
	--sample 4K --max-allocs 1 -- "$L3"
usage "a negative budget" "^heapscope: --max-allocs takes a whole number >= 0" \
	--max-allocs -1 -- "$L3"
usage "a budget given twice" "^heapscope: option --max-allocs given twice" \
	--max-allocs 1 --max-allocs 2 -- "$L3"
usage "a mistyped option" "^heapscope: unknown option '--max-leakd-bytes'; did you mean '--max-leaked-bytes'\?" \
	--max-leakd-bytes 1 -- "$L3"
printf 'leak_a max_live_bytes=1\n\nleak_b max_lve_bytes=3\n' >"$T/badsites"
usage "a site file's unknown limit: FILE:LINE" "^heapscope: $T/badsites:3: unknown limit 'max_lve_bytes=3'" \
	--site-budget "$T/badsites" -- "$L3"
printf 'max_allocs=3\n' >"$T/badsites"
usage "a site line without a glob" "^heapscope: $T/badsites:1: no function glob before the limits" \
	--site-budget "$T/badsites" -- "$L3"
usage "a site file not found" "^heapscope: cannot read the site budget file $T/none: No such file" \
	--site-budget "$T/none" -- "$L3"
expect_eq "usage errors ran nothing: no temporary recording" "$(find "$TMPDIR" -mindepth 1 | wc -l)" 0

# --- The bash completion: check -- COMMAND completes a command, --junit a file.
comp() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _heapscope
		printf "%s\n" "${COMPREPLY[@]}" | sort -u | tr "\n" " "' _ "$TOP/dist/heapscope.bash" "$HS" "$@"
}
expect_eq "heapscope check --max-l<TAB>" "$(comp check --max-l)" "--max-leaked-bytes "
expect_match "heapscope check -- <command><TAB>" "$(comp check --max-allocs 1 -- sqlite)" "^sqlite3 "
touch "$T/junit-out.xml"
expect_eq "heapscope check --junit <file><TAB>" "$(comp check --junit "$T/junit-o")" "$T/junit-out.xml "

finish

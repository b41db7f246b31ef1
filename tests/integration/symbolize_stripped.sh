#!/usr/bin/env bash
# Stripped code (issue 14 parts 2-4): frames of a stripped program and library read
# module+offset, the same offsets in two runs; `heapscope symbolize` resolves them by build-id
# from --debug-dir and, separately, from a local debuginfod serving the unstripped builds, to the
# names and lines of the unstripped build; a recording still being written is refused.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

trap 'kill_background; [ -n "${dbi:-}" ] && kill "$dbi" 2>/dev/null' EXIT

# chain DB SIZE: the leak of SIZE bytes, innermost first, as the text report names the frames
# in the program and its library (libc's frames left out).
chain() {
	"$HS" report -d "$1" --view leaks --format json |
		jq -r --argjson b "$2" '.leaks[] | select(.bytes == $b) | [.frames[]
		  | select(.module | test("stripped")) | if .function then "\(.function):\(.file // "?" | split("/") | last):\(.line)"
		  else "\(.module | split("/") | last)+\(.offset)" end] | join(" < ")'
}

record one -d "$T/one.db" -- "$PROGS/stripped_app"
record two -d "$T/two.db" -- "$PROGS/stripped_app"
record full -d "$T/full.db" -- "$PROGS/debug/stripped_app"
for d in one two full; do db_ok "$d" "$T/$d.db"; done
expect_match "stripped: the program's frames read module+offset" "$(chain "$T/one.db" 4001)" \
	'^stripped_app\+[0-9]+ < stripped_app\+[0-9]+ < stripped_app\+[0-9]+$'
expect_match "stripped: the library's static function too; its exported one by name" \
	"$(chain "$T/one.db" 4002)" '^libstripped.so\+[0-9]+ < lib_entry:\?:null < stripped_app\+[0-9]+ < stripped_app\+[0-9]+$'
expect_eq "stripped: the same offsets in two runs" \
	"$(chain "$T/one.db" 4001); $(chain "$T/one.db" 4002)" "$(chain "$T/two.db" 4001); $(chain "$T/two.db" 4002)"
"$HS" report -d "$T/one.db" --view leaks >"$T/one.txt"
expect_match "text: module+0xoffset, no runtime address" "$(grep -m1 'at stripped_app' "$T/one.txt")" \
	'at stripped_app\+0x[0-9a-f]+$'

want="$(chain "$T/full.db" 4001); $(chain "$T/full.db" 4002)"
expect_match "unstripped build: names and lines" "$want" '^app_leak:stripped_app.c:[0-9]+ < main:.*lib_inner:libstripped.c:[0-9]+ < lib_entry:libstripped.c:[0-9]+ < main'

# A recording without its end whose recorder cannot be told gone is refused, untouched.
cp "$T/one.db" "$T/live.db"
q "$T/live.db" "UPDATE recording SET end_reason = NULL, recorder_pid = $$, recorder_where = ''"
"$HS" symbolize -d "$T/live.db" --debug-dir "$PROGS/debug" >"$T/live.out" 2>&1
expect_eq "live: refused" "$?" 1
expect_match "live: says why" "$(cat "$T/live.out")" 'still being recorded'
expect_eq "live: untouched" "$(chain "$T/live.db" 4001)" "$(chain "$T/one.db" 4001)"

"$HS" symbolize -d "$T/one.db" --debug-dir "$PROGS/debug" >"$T/sym.out" 2>&1
expect_eq "--debug-dir: exit status" "$?" 0
expect_match "--debug-dir: says what it resolved" "$(cat "$T/sym.out")" '^heapscope: [1-9][0-9]* of [0-9]+ frames without symbols resolved \(2 of 2 files'
expect_eq "--debug-dir: names and lines of the unstripped build" \
	"$(chain "$T/one.db" 4001); $(chain "$T/one.db" 4002)" "$want"
expect_eq "--debug-dir: file still sound" "$(q "$T/one.db" "PRAGMA integrity_check")" ok

# A local debuginfod serving the unstripped builds (by build-id), polled until it has them.
port=$((20000 + RANDOM % 20000))
debuginfod -F "$PROGS/debug" -p "$port" -d "$T/dbi.sqlite" -t 0 -g 0 >"$T/dbi.log" 2>&1 &
dbi=$!
id=$(file -L "$PROGS/stripped_app" | sed -n 's/.*BuildID\[sha1\]=\([0-9a-f]*\).*/\1/p')
served() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/buildid/$id/debuginfo")" = 200 ]; }
wait_for "debuginfod serves the program's debug info" 20 served
DEBUGINFOD_URLS=http://127.0.0.1:$port DEBUGINFOD_CACHE_PATH=$T/cache \
	"$HS" symbolize -d "$T/two.db" >"$T/dbi.out" 2>&1
expect_eq "debuginfod: exit status" "$?" 0
expect_eq "debuginfod: names and lines of the unstripped build" \
	"$(chain "$T/two.db" 4001); $(chain "$T/two.db" 4002)" "$want"
expect_ge "debuginfod: fetched into its cache" "$(find "$T/cache" -name debuginfo | wc -l)" 2
finish

#!/usr/bin/env bash
# heapscope report on recordings of tests/progs programs: exact per-site counts, the leak
# ranking, the lifetime buckets, the advice, the stack quality, every format's totals agreeing,
# --pid on one process and on a recording of several, and bad input.
. "$(dirname "$0")/../lib.sh"

rec() { "$HS" record -o "$T/$1.db" -- "$PROGS/$1" >/dev/null 2>"$T/$1.rec.err"; }
rep() { "$HS" report "$@" 2>"$T/rep.err"; }

rec leaks3
rec lifetimes
rec patterns
rec threads4
rec double_free
"$HS" record -o "$T/caller.db" --stack=caller -- "$PROGS/leaks3" >/dev/null 2>"$T/caller.rec.err"

# --- JSON: the documented contract, and leaks3's exact numbers.
rep -d "$T/leaks3.db" --format json >"$T/leaks3.json"
expect_eq "json: exit status" "$?" 0
expect_eq "json: contract keys" \
	"$(jq -r '[(.summary|has("pid","allocs","frees","live_blocks","live_bytes","peak_bytes","dropped_events")),
		(.leaks[0]|has("blocks","bytes","frames")), (.sites[0]|has("allocs","bytes","live_blocks","live_bytes","frames")),
		(.leaks[0].frames[0]|has("function","file","line","module"))] | all' "$T/leaks3.json")" true
expect_eq "json: summary counts" \
	"$(jq -r '.summary | "\(.allocs) \(.frees) \(.live_blocks) \(.live_bytes) \(.peak_bytes) \(.dropped_events)"' "$T/leaks3.json")" \
	"82 61 21 5000 5000 0"
expect_eq "json: leak ranking by innermost function" \
	"$(jq -r '[.leaks[] | "\(.frames[0].function):\(.blocks):\(.bytes)"] | join(" ")' "$T/leaks3.json")" \
	"leak_c:11:3300 leak_b:7:1400 leak_a:1:100 leak_a:1:100 leak_a:1:100"
expect_eq "json: frames[0] has file and line" \
	"$(jq -r '.leaks[0].frames[0] | "\(.file|split("/")|last):\(.line > 0)"' "$T/leaks3.json")" "leaks3.c:true"
expect_eq "json: no errors, no advice" "$(jq -r '"\(.errors|length) \(.advice|length)"' "$T/leaks3.json")" "0 0"

# --- Stack quality: every leaks3 allocation is made at depth 5 (leak_x, main,
# __libc_start_call_main, __libc_start_main, _start), and _start ends the walk.
expect_eq "json: summary.stacks keys" \
	"$(jq -r '.summary.stacks | keys | join(",")' "$T/leaks3.json")" \
	"allocs,complete_allocs_share,complete_sites_share,ends,fp_fallback_frames,hint,mean_depth,mode,p99_depth,sites,unwind_files,unwind_files_no_cfi"
expect_eq "json: stacks count every allocation and site" \
	"$(jq -r '.summary as $s | .summary.stacks | "\(.allocs == $s.allocs) \(.sites) \([.ends[].allocs]|add) \([.ends[].sites]|add)"' "$T/leaks3.json")" \
	"true 8 82 8"
expect_eq "json: leaks3's stacks are complete, 5 deep" \
	"$(jq -r '.summary.stacks | "\(.mode) \(.complete_allocs_share) \(.complete_sites_share) \(.mean_depth) \(.p99_depth) \([.ends[] | "\(.walk_end):\(.sites):\(.allocs)"]|join(",")) \(.hint)"' "$T/leaks3.json")" \
	"dwarf 1 1 5 5 complete:8:82 null"
expect_eq "json: unwind tables loaded (leaks3, libc, ld.so), none missing" \
	"$(jq -r '.summary.stacks | "\(.unwind_files >= 3) \(.unwind_files_no_cfi)"' "$T/leaks3.json")" "true 0"
rep -d "$T/caller.db" --format json --view summary >"$T/caller.json"
expect_eq "json --stack=caller: one frame, ends caller_only, with its hint" \
	"$(jq -r '.summary.stacks | "\(.mode) \(.complete_allocs_share) \(.mean_depth) \(.p99_depth) \([.ends[] | "\(.walk_end):\(.sites):\(.allocs)"]|join(",")) \(.hint|split(":")[0])"' "$T/caller.json")" \
	"caller 0 1 1 caller_only:8:82 caller_only"

# --- Sites grouped by function: exact per-function counts.
rep -d "$T/leaks3.db" --format json --view sites --group-by function >"$T/byfn.json"
expect_eq "sites by function: allocs, bytes, frees, live" \
	"$(jq -r '[.sites[] | "\(.key):\(.allocs):\(.bytes):\(.frees):\(.live_blocks)"] | sort | join(" ")' "$T/byfn.json")" \
	"churn:50:3200:50:0 leak_a:3:300:0:3 leak_b:7:1400:0:7 leak_c:11:3300:0:11 scratch:10:1280:10:0 zero:1:0:1:0"
expect_eq "sites by function: sorted by bytes" \
	"$(jq -r '[.sites[].key] | join(" ")' "$T/byfn.json")" "leak_c churn leak_b scratch leak_a zero"
rep -d "$T/leaks3.db" --format json --view sites --group-by function --sort allocs --top 2 >"$T/top2.json"
expect_eq "sites: --sort allocs --top 2" "$(jq -r '[.sites[].key] | join(" ")' "$T/top2.json")" "churn leak_c"
rep -d "$T/leaks3.db" --format json --view leaks --group-by function >"$T/leaksfn.json"
expect_eq "leaks by function: one row per function, stacks folded" \
	"$(jq -r '[.leaks[] | "\(.key):\(.sites):\(.blocks):\(.bytes)"] | join(" ")' "$T/leaksfn.json")" \
	"leak_c:1:11:3300 leak_b:1:7:1400 leak_a:3:3:300"
rep -d "$T/leaks3.db" --format json --view sites --group-by file >"$T/byfile.json"
expect_eq "sites by file: one file, every allocation" \
	"$(jq -r '[.sites[] | "\(.key|split("/")|last):\(.allocs)"] | join(" ")' "$T/byfile.json")" "leaks3.c:82"

# --- Lifetimes: 1000 short, 100 after ~10 ms, 10 after ~200 ms, 5 never.
rep -d "$T/lifetimes.db" --format json --view lifetimes,sites --group-by function >"$T/lt.json"
# The medium ones sleep 10 ms: the 8.192 ms bucket, or a later one below the long ones' when a
# loaded machine (CI under ASan) wakes the program late.
expect_eq "lifetimes: ~10 ms: 8.2 to 131 ms" \
	"$(jq -r '[.lifetimes.buckets[] | select(.lo_ns >= 8192000 and .hi_ns != null and .hi_ns <= 131072000) | .count] | add' "$T/lt.json")" 100
expect_eq "lifetimes: ~200 ms bucket" \
	"$(jq -r '.lifetimes.buckets[] | select(.lo_ns == 131072000) | .count' "$T/lt.json")" 10
# Short-lived blocks live microseconds; a loaded machine may preempt one between its malloc
# and its free for a few ms, so they are counted below the medium ones' bucket (8.192 ms).
expect_eq "lifetimes: short-lived ones under 8 ms" \
	"$(jq -r '[.lifetimes.buckets[] | select(.hi_ns != null and .hi_ns <= 8192000) | .count] | add' "$T/lt.json")" 1000
expect_eq "lifetimes: still live" "$(jq -r '.lifetimes.live' "$T/lt.json")" 5
expect_eq "lifetimes: medium's p50 from the 8.2 ms bucket, below the long ones'" \
	"$(jq -r '.sites[] | select(.key == "medium") | (.lifetime_p50_ns >= 8192000 and .lifetime_p50_ns < 131072000)' "$T/lt.json")" true

# --- Advice: the sites written to have each pattern, and nothing elsewhere.
rep -d "$T/patterns.db" --format json --view advice >"$T/adv.json"
expect_eq "advice: pool, arena, batching, realloc churn where written" \
	"$(jq -r '[.advice[] | "\(.kind):\(.frames[0].function)"] | sort | join(" ")' "$T/adv.json")" \
	"arena:arena_leaf arena:arena_node batching:batch_item pool:pool_site realloc_churn:churn_grow"
expect_match "advice: evidence has numbers" "$(jq -r '.advice[] | select(.kind == "pool") | .evidence' "$T/adv.json")" \
	"^20000 allocations all of 48 bytes"
expect_eq "advice: none for leaks3" "$(rep -d "$T/leaks3.db" --format json --view advice | jq '.advice | length')" 0
expect_eq "advice: cross-thread handoff in threads4" \
	"$(rep -d "$T/threads4.db" --format json --view advice | jq -r '[.advice[] | "\(.kind):\(.frames[0].function):\(.free_frames[0].function)"] | join(" ")')" \
	"cross_thread:handoff:free_handoffs"

# --- Errors with both stacks.
rep -d "$T/double_free.db" --format json --view errors >"$T/err.json"
expect_eq "errors: the double free, its function and the first free's" \
	"$(jq -r '.errors[] | "\(.kind):\(.frames[0].function):\(.prev_free_frames | length > 0):\(.alloc_frames | length > 0)"' "$T/err.json")" \
	"double_free:second_free:true:true"

# --- Text: readable, with the top leak.
rep -d "$T/leaks3.db" >"$T/leaks3.txt"
expect_eq "text: exit status" "$?" 0
expect_match "text: top leak first" "$(grep -A1 '#1 ' "$T/leaks3.txt" | tail -1)" "at leak_c \(leaks3\.c:[0-9]+\)"
expect_match "text: human units" "$(grep 'live at end' "$T/leaks3.txt")" "21 blocks, 4\.9 KiB"
expect_eq "text: stack quality" "$(grep -A1 '^  stacks ' "$T/leaks3.txt")" \
	"  stacks        dwarf, 100.0% of allocations reach the program's entry, mean depth 5.0 (p99 5)
  stack ends    complete 82 (allocations)"
expect_eq "text: no hint when stacks are complete" "$(grep -c '^  hint ' "$T/leaks3.txt")" 0
expect_match "text --stack=caller: the hint" "$(rep -d "$T/caller.db" --view summary | grep '^  hint ')" \
	"^  hint          caller_only: --stack=caller "

# --- CSV: a header row, one row per site.
rep -d "$T/leaks3.db" --format csv --view sites --group-by function >"$T/sites.csv"
expect_eq "csv: header" "$(head -1 "$T/sites.csv" | cut -d, -f1-4)" "site,key,allocs,bytes"
expect_eq "csv: rows" "$(tail -n +2 "$T/sites.csv" | wc -l)" 6
rep -d "$T/leaks3.db" --format csv --view summary >"$T/summary.csv"
expect_eq "csv summary: ends with the stack quality" \
	"$(head -1 "$T/summary.csv" | cut -d, -f16-)" "stack_mode,stacks_complete_allocs_share,stacks_mean_depth,stacks_p99_depth"
expect_eq "csv summary: its values" "$(tail -1 "$T/summary.csv" | cut -d, -f16-)" "dwarf,1.0000,5.00,5"

# --- Collapsed stacks: outermost first, totals equal the JSON's.
rep -d "$T/leaks3.db" --format collapsed >"$T/leaks3.folded"
expect_match "collapsed: outermost first" "$(grep 'leak_c' "$T/leaks3.folded")" "main;leak_c 3300$"
expect_eq "collapsed: bytes total = JSON" "$(awk '{s += $NF} END {print s}' "$T/leaks3.folded")" \
	"$(jq '[.sites[].bytes] | add' "$T/leaks3.json")"
rep -d "$T/leaks3.db" --format collapsed --value live_bytes >"$T/live.folded"
expect_eq "collapsed: live bytes total = JSON" "$(awk '{s += $NF} END {print s}' "$T/live.folded")" 5000

# --- pprof: go tool pprof reads it and its totals equal the JSON's.
rep -d "$T/leaks3.db" --format pprof -o "$T/heap.pb.gz"
expect_eq "pprof: exit status" "$?" 0
export HOME=$T GOCACHE=$T/gocache GOFLAGS=-mod=mod
if ! command -v go >/dev/null; then
	not_ok "pprof: go is missing (make deps installs golang-go)"
else
	for idx in alloc_space:bytes alloc_objects:allocs inuse_space:live_bytes inuse_objects:live_blocks; do
		total=$(go tool pprof -raw -sample_index="${idx%%:*}" "$T/heap.pb.gz" 2>/dev/null |
			awk '/^Samples:/ {on = 1; getline; next} /^Locations/ {on = 0} on && /^ *[0-9]+/ {
				split($0, a, ":"); n = split(a[1], v, " "); s += v[pos]} END {print s + 0}' \
				pos=$(( $(echo "alloc_objects alloc_space inuse_objects inuse_space" | tr ' ' '\n' | grep -n "^${idx%%:*}$" | cut -d: -f1) )))
		expect_eq "pprof: ${idx%%:*} total = JSON" "$total" "$(jq "[.sites[].${idx#*:}] | add" "$T/leaks3.json")"
	done
	expect_match "pprof: -top names leak_c" "$(go tool pprof -top -sample_index=inuse_space "$T/heap.pb.gz" 2>/dev/null | grep -m1 leak_c)" "leak_c"
fi

# --- One process of a recording: --pid restricts every view. leaks3 is one process, so its
# views are the whole report's (the timeline is replayed from the allocations: same totals).
pid=$(jq -r .summary.pid "$T/leaks3.json")
rep -d "$T/leaks3.db" --format json --view all --top 0 >"$T/all.json"
rep -d "$T/leaks3.db" --format json --view all --top 0 --pid "$pid" >"$T/pid.json"
expect_eq "--pid: exit status" "$?" 0
expect_eq "--pid: the filter is said" "$(jq .summary.pid_filter "$T/pid.json")" "$pid"
expect_eq "--pid of the only process: same counts" \
	"$(jq -c '.summary | [.allocs, .frees, .alloc_bytes, .live_blocks, .live_bytes, .double_frees, .stacks.allocs]' "$T/pid.json")" \
	"$(jq -c '.summary | [.allocs, .frees, .alloc_bytes, .live_blocks, .live_bytes, .double_frees, .stacks.allocs]' "$T/all.json")"
expect_eq "--pid of the only process: its peak replayed from its allocations" \
	"$(jq .summary.peak_bytes "$T/pid.json")" "$(jq .summary.peak_bytes "$T/all.json")"
expect_eq "--pid of the only process: same sites, leaks, errors, lifetimes, sizes, advice" \
	"$(jq -cS '[.sites, .leaks, .errors, .lifetimes, .sizes, .advice]' "$T/pid.json")" \
	"$(jq -cS '[.sites, .leaks, .errors, .lifetimes, .sizes, .advice]' "$T/all.json")"
expect_eq "--pid of the only process: the timeline adds up" \
	"$(jq '[([.timeline[].allocs]|add), .timeline[-1].live_bytes]' -c "$T/pid.json")" "[82,5000]"
expect_eq "json: the recording's one process is its target" \
	"$(jq -r '.summary.processes | "\(length) \(.[0].pid) \(.[0].allocs)"' "$T/all.json")" "1 $pid 82"
expect_eq "json: every event accounted for" \
	"$(jq -r '.summary.events | "\(.accounted) \(.emitted == .received) \(.received == .stored + .after_cut) \(.dropped)"' "$T/all.json")" \
	"true true true 0"
expect_eq "json: nothing lost, no error unreliable" "$(jq -r '"\(.summary.first_drop_ts) \(.summary.unreliable_errors)"' "$T/all.json")" "null 0"
expect_match "json: cut_ts within the recording" "$(jq -r '.summary | (.cut_ts >= 0 and .cut_ts <= .duration_ns)' "$T/all.json")" "^true$"
expect_match "text: the events line" "$(grep '^  events ' "$T/leaks3.txt")" \
	"^  events        [0-9]+ emitted = [0-9]+ stored \+ [0-9]+ after the cut; 0 dropped \(accounted\)$"
expect_eq "text: one process, no processes section" "$(grep -c '^== Processes' "$T/leaks3.txt")" 0

# --- Several processes: a recording written by the unit test's writer (tests/unit/
# test_processes.c): pid 100 (sh, then ./prog after an exec) and its child 101.
fx=$T/processes.db
if [ ! -x "$TOP/build/tests/test_processes" ]; then
	not_ok "fixture: build/tests/test_processes is missing (make build/tests/test_processes)"
else
	"$TOP/build/tests/test_processes" --write "$fx"
	rep -d "$fx" --view summary,errors >"$T/fx.txt"
	expect_eq "several: a processes section" "$(grep -c '^== Processes (3 program images)$' "$T/fx.txt")" 1
	grep -A4 '^== Processes' "$T/fx.txt" | tail -3 >"$T/fx.procs"
	expect_match "several: sh, ended by its exec" "$(sed -n 1p "$T/fx.procs")" \
		'^ +100 +1 +0 ns +200 ms exec +- +3 +3 +0 +0 B +0  sh -c \./prog$'
	expect_match "several: ./prog, the same pid after the exec" "$(sed -n 2p "$T/fx.procs")" \
		'^ +100 +1 +200 ms +900 ms exited +0 +14 +10 +4 +3\.9 KiB +1  \./prog$'
	expect_match "several: the child, killed" "$(sed -n 3p "$T/fx.procs")" \
		'^ +101 +100 +300 ms +800 ms killed +134 +5 +3 +2 +1000 B +2  \./prog --child$'
	expect_eq "several: notices" "$(grep '^  notice: ' "$T/fx.txt" | cut -c1-36 | paste -sd'|')" \
		"  notice: pid 101: a Go program: its|  notice: pid 102 (true): no allocat"
	expect_eq "several: misuse after the lost event marked" \
		"$(grep -c 'may be spurious' "$T/fx.txt")" 4 # the summary's errors line, the header, two errors
	expect_eq "several --pid 101: json" \
		"$(rep -d "$fx" --format json --pid 101 | jq -c '[.summary.allocs, .summary.live_bytes, .summary.peak_bytes, [.summary.processes[].id], [.sites[].site], [.leaks[].site], [.errors[] | .unreliable], .lifetimes.live]')" \
		"[5,1000,1500,[3],[4],[4],[true,true],2]"
	expect_eq "several --pid 100: collapsed" "$(rep -d "$fx" --format collapsed --pid 100 | paste -sd'|')" \
		"parent_leak 4000|parent_temp 1000|sh_alloc 192"
	expect_eq "several --pid 101: csv errors" "$(rep -d "$fx" --format csv --view errors --pid 101 | cut -d, -f1,9- | paste -sd'|')" \
		"kind,pid,unreliable|invalid_free,101,1|double_free,101,1"
	rep -d "$fx" --format pprof --pid 101 -o "$T/fx.pb.gz"
	expect_eq "several --pid 101: pprof" "$?" 0
	if command -v go >/dev/null; then
		expect_eq "several --pid 101: pprof holds its site only" \
			"$(go tool pprof -top -sample_index=alloc_space "$T/fx.pb.gz" 2>/dev/null | grep -c -E 'child_leak|parent_|sh_alloc')" 1
	fi
	expect_eq "several --pid 100: timeline from its allocations" \
		"$(rep -d "$fx" --format json --view timeline --pid 100 | jq -c '[([.timeline[].allocs]|add), ([.timeline[].frees]|add), .timeline[-1].live_bytes]')" \
		"[17,13,4000]"
fi

# --- A recording in progress: the report shows it so far, and that it is live.
cc -O2 -g -fno-omit-frame-pointer -pthread -o "$T/allocbench" "$TOP/../shared/bench/allocbench.c"
"$HS" record -o "$T/live.db" -- "$T/allocbench" --ops 50000000 >/dev/null 2>"$T/live.err" &
recorder=$!
live_allocs() { "$HS" report -d "$T/live.db" --format json --view summary 2>/dev/null |
	jq -r 'if .summary.live then .summary.allocs else -1 end'; }
live_stacks() { "$HS" report -d "$T/live.db" --format json --view summary 2>/dev/null |
	jq -r '.summary.stacks | "\(.mode) \(.allocs > 0) \(.sites > 0) \(.mean_depth >= 1)"'; }
positive() { [ "$(live_allocs)" -gt 0 ] 2>/dev/null; }
if wait_for "live: allocations appear while recording" 20 positive; then
	first=$(live_allocs)
	grows() { [ "$(live_allocs)" -gt "$first" ] 2>/dev/null; }
	wait_for "live: the count rises" 20 grows && ok "live: the count rises ($first -> $(live_allocs))"
	expect_eq "live: stack quality so far" "$(live_stacks)" "dwarf true true true"
	expect_eq "live: leaks so far have an age" \
		"$("$HS" report -d "$T/live.db" --format json --view leaks --top 1 | jq '.leaks[0].oldest_age_ns > 0')" true
fi
kill -INT "$recorder"
wait "$recorder"
expect_eq "live: ended, no longer live" \
	"$("$HS" report -d "$T/live.db" --format json --view summary | jq -r '.summary | "\(.live) \(.end_reason)"')" \
	"false killed"

# --- Bad input: one line, non-zero exit.
bad() { # NAME REGEX ARGS...
	local name=$1 re=$2
	shift 2
	"$HS" report "$@" >"$T/bad.out" 2>"$T/bad.err"
	local rc=$?
	expect_match "$name: non-zero exit" "$rc" "^[1-9]"
	expect_eq "$name: one line" "$(wc -l <"$T/bad.err")" 1
	expect_match "$name: says why" "$(cat "$T/bad.err")" "$re"
}
bad "missing file" "cannot read .*/nope\.db: No such file" -d "$T/nope.db"
echo "hello, not sqlite" >"$T/text.db"
bad "not sqlite" "not a heapscope recording" -d "$T/text.db"
cp "$T/leaks3.db" "$T/v99.db"
sqlite3 "$T/v99.db" "PRAGMA user_version = 99"
bad "other version" "schema version 99; this heapscope reads version 6" -d "$T/v99.db"
bad "unknown view" "unknown view 'bogus'" -d "$T/leaks3.db" --view bogus
bad "unknown format" "unknown format 'xml'" -d "$T/leaks3.db" --format xml
bad "negative top" "--top must be an integer >= 0, not '-3'" -d "$T/leaks3.db" --top -3
bad "unknown sort" "unknown --sort column 'nope'" -d "$T/leaks3.db" --sort nope
bad "no database" "report needs -d FILE" --view leaks
bad "unwritable output" "cannot write /nonexistent/x.txt" -d "$T/leaks3.db" -o /nonexistent/x.txt
bad "pid not a number" "--pid must be an integer >= 1, not 'abc'" -d "$T/leaks3.db" --pid abc
bad "no such process" "has no process 999999999 " -d "$T/leaks3.db" --pid 999999999
# A single-value option given twice is a mistake: said in one line, exit status 2, never
# "last one wins".
twice() { # OPTION ARGS...
	local name=$1
	shift
	"$HS" report -d "$T/leaks3.db" "$@" >"$T/bad.out" 2>"$T/bad.err"
	expect_eq "$name twice: exit status 2" "$?" 2
	expect_eq "$name twice: one line, says so" "$(cat "$T/bad.err")" "heapscope: option $name given twice"
}
twice --pid --pid 1 --pid 2
twice --format --format json --format csv
twice --db -d "$T/leaks3.db"
twice --output --output "$T/a" -o "$T/b"
twice --top --top 1 --top 2
# -o naming a device or a FIFO writes into it (renaming over it would replace /dev/null).
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/fifo.out" &
"$HS" report -d "$T/leaks3.db" --view summary -o "$T/fifo"
wait
expect_eq "-o FIFO: still a FIFO" "$(stat -c %F "$T/fifo")" fifo
expect_match "-o FIFO: the report went through it" "$(cat "$T/fifo.out")" 'recording'
finish

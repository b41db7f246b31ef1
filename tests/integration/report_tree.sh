#!/usr/bin/env bash
# heapscope report on recordings of process trees: fork_workers (a parent and 4 workers, each
# leaking a known number of blocks) and a shell that execs leaks3 (two images of one pid, the
# shell's blocks released by the exec): exact per-process counts, and --pid in every format.
. "$(dirname "$0")/../lib.sh"

rep() { "$HS" report "$@" 2>>"$T/rep.err"; }

"$HS" record -o "$T/fw.db" -- "$PROGS/fork_workers" >"$T/fw.out" 2>"$T/fw.err"
expect_eq "record fork_workers: exit status" "$?" 0
parent=$(sed -n 's/^pid //p' "$T/fw.out")
worker() { sed -n "s/^worker $1 //p" "$T/fw.out"; }

# --- The processes: the parent, then the workers in the order they ran (see fork_workers.c).
rep -d "$T/fw.db" --format json --top 0 >"$T/fw.json"
expect_eq "processes: five, the parent first" \
	"$(jq -c '[.summary.processes[].pid]' "$T/fw.json")" \
	"[$parent,$(worker 0),$(worker 1),$(worker 2),$(worker 3)]"
expect_eq "processes: allocs, frees, live blocks and bytes, exit status, errors" \
	"$(jq -c '[.summary.processes[] | [.allocs, .frees, .live_blocks, .live_bytes, .exit_status, .errors]]' "$T/fw.json")" \
	"[[15,9,6,3600,0,0],[15,5,10,1100,1,0],[25,5,20,4400,2,0],[35,5,30,9900,3,0],[45,5,40,17600,4,0]]"
expect_eq "processes: the workers' parent, how each ended" \
	"$(jq -r '[.summary.processes[1:][] | "\(.ppid == '"$parent"'):\(.end_reason)"] | unique | join(" ")' "$T/fw.json")" \
	"true:exited"
expect_eq "processes: they add up to the summary" \
	"$(jq -c '.summary as $s | [([$s.processes[].allocs]|add) == $s.allocs, ([$s.processes[].live_bytes]|add) == $s.live_bytes]' "$T/fw.json")" \
	"[true,true]"
rep -d "$T/fw.db" --view summary >"$T/fw.txt"
expect_eq "text: a processes section of five" \
	"$(sed -n '/^== Processes (5 program images)$/,/^$/p' "$T/fw.txt" | grep -c "exited")" 5

# --- --pid: one worker, then the parent, in every format.
w2=$(worker 2)
rep -d "$T/fw.db" --format json --view all --top 0 --pid "$w2" >"$T/w2.json"
expect_eq "--pid worker 2: summary" \
	"$(jq -c '.summary | [.pid_filter, .allocs, .frees, .live_blocks, .live_bytes, .peak_bytes, [.processes[].pid]]' "$T/w2.json")" \
	"[$w2,35,5,30,9900,9900,[$w2]]"
expect_eq "--pid worker 2: its sites" \
	"$(jq -c '[.sites[] | "\(.frames[0].function):\(.allocs):\(.bytes)"]' "$T/w2.json")" \
	'["worker_leak:30:9900","worker_tmp:5:240"]'
expect_eq "--pid worker 2: its leak" \
	"$(jq -c '[.leaks[] | "\(.frames[0].function):\(.blocks):\(.bytes)"]' "$T/w2.json")" '["worker_leak:30:9900"]'
expect_eq "--pid worker 2: lifetimes, sizes and timeline count its 35 blocks" \
	"$(jq -c '[([.lifetimes.buckets[].count]|add) + .lifetimes.live, ([.sizes.buckets[].count]|add), ([.timeline[].allocs]|add), .timeline[-1].live_bytes]' "$T/w2.json")" \
	"[35,35,35,9900]"
expect_eq "--pid parent: its sites" \
	"$(rep -d "$T/fw.db" --format json --view sites --pid "$parent" | jq -c '[.sites[] | "\(.frames[0].function):\(.allocs)"]')" \
	'["parent_leak:6","inherit:1","parent_tmp:8"]'
expect_eq "--pid worker 3: collapsed" \
	"$(rep -d "$T/fw.db" --format collapsed --pid "$(worker 3)" | sed 's/.*;//' | paste -sd'|')" \
	"worker_leak 17600|worker_tmp 240"
expect_eq "--pid worker 0: csv leaks" \
	"$(rep -d "$T/fw.db" --format csv --view leaks --pid "$(worker 0)" | cut -d, -f3,4,8 | paste -sd'|')" \
	'blocks,bytes,function|10,1100,"worker_leak"'
expect_match "--pid worker 1: text says so" "$(rep -d "$T/fw.db" --view summary --pid "$(worker 1)" | grep '^  only pid ')" \
	"^  only pid      $(worker 1) \(1 program image\)"

# --- sh -c 'exec leaks3': one pid, two images; the exec releases the shell's blocks.
"$HS" record -o "$T/se.db" -- sh -c "exec $PROGS/leaks3" >/dev/null 2>"$T/se.err"
expect_eq "record sh -c exec: exit status" "$?" 0
rep -d "$T/se.db" --format json --top 0 --group-by function >"$T/se.json"
expect_eq "exec: two images of one pid, the first ended by the exec" \
	"$(jq -r '.summary.processes | "\(length) \(.[0].pid == .[1].pid) \(.[0].end_reason) \(.[1].end_reason) \(.[1].exe | endswith("/leaks3"))"' "$T/se.json")" \
	"2 true exec exited true"
expect_eq "exec: the shell's blocks all released, none a leak" \
	"$(jq -c '.summary.processes[0] | [.allocs == .frees, .live_blocks, .live_bytes]' "$T/se.json")" "[true,0,0]"
expect_eq "exec: released by the exec (free_func exec)" \
	"$(q "$T/se.db" "SELECT count(*) = sum(free_func = (SELECT id FROM funcs WHERE name = 'exec')) FROM allocations a JOIN processes p ON p.id = a.proc WHERE p.end_reason = 'exec'")" 1
expect_eq "exec: leaks3's leaks only" "$(jq -c '[.leaks[] | "\(.key):\(.blocks)"]' "$T/se.json")" '["leak_c:11","leak_b:7","leak_a:3"]'
pid=$(jq '.summary.processes[0].pid' "$T/se.json")
expect_eq "exec --pid: both images, the same leaks" \
	"$(rep -d "$T/se.db" --format json --top 0 --group-by function --pid "$pid" | jq -c '[(.summary.processes|length), [.leaks[] | "\(.key):\(.blocks)"]]')" \
	'[2,["leak_c:11","leak_b:7","leak_a:3"]]'
expect_eq "report: nothing on stderr" "$(cat "$T/rep.err" 2>/dev/null)" ""
finish

#!/usr/bin/env bash
# Process trees: launch mode follows every fork, vfork, posix_spawn and exec (one processes row
# per program image), --no-follow traces the first process only; attach mode takes several pids
# and --follow seizes their children. Expected numbers: the header comments of leaks3,
# fork_workers, spawn_exec and signal_batch in tests/progs/.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

trap kill_background EXIT
RECORD_TIMEOUT=60
LEAKS3=$PROGS/leaks3

# Per image (processes row, in start order) of DB matching WHERE: "rows|freed|live|live bytes".
per_proc() {
	q "$1" "SELECT (SELECT count(*) FROM allocations a WHERE a.proc = p.id) || '|' ||
	  (SELECT count(free_ts) FROM allocations a WHERE a.proc = p.id) || '|' ||
	  (SELECT count(*) FROM allocations a WHERE a.proc = p.id AND free_ts IS NULL) || '|' ||
	  (SELECT ifnull(sum(size), 0) FROM allocations a WHERE a.proc = p.id AND free_ts IS NULL)
	  FROM processes p WHERE $2 ORDER BY p.start_ts, p.id"
}
# The same for one pid (every image of it): "rows|freed|live|live bytes".
per_pid() {
	q "$1" "SELECT count(*), count(free_ts), sum(free_ts IS NULL), ifnull(sum(CASE WHEN free_ts IS NULL THEN size END), 0)
	  FROM allocations WHERE pid = $2"
}
LEAK_FNS="SELECT sf.function, count(*) FROM leaks a JOIN site_frames sf ON sf.site = a.site AND sf.pos = 0"

# tree_common NAME DB: what holds in every recording of a tree.
tree_common() {
	expect_eq "$1: no errors" "$(q "$2" "SELECT count(*) FROM errors")" 0
	expect_eq "$1: nothing dropped" "$(q "$2" "SELECT dropped_events FROM recording")" 0
	expect_eq "$1: event_counts: none lost, emitted = received = stored + after_cut" \
		"$(q "$2" "SELECT count(*) FROM event_counts WHERE dropped != 0 OR emitted != received OR received != stored + after_cut")|$(q "$2" "SELECT count(*) > 0 FROM event_counts")" "0|1"
	expect_eq "$1: every allocation has its image, with the image's pid" \
		"$(q "$2" "SELECT count(*) FROM allocations a LEFT JOIN processes p ON p.id = a.proc WHERE p.id IS NULL OR p.pid != a.pid")" 0
	expect_eq "$1: every allocation's stack belongs to its image" \
		"$(q "$2" "SELECT count(*) FROM allocations a JOIN stacks s ON s.id = a.site WHERE s.proc IS NOT a.proc")" 0
	expect_eq "$1: no free before its allocation, no exec-free of a live image" \
		"$(q "$2" "SELECT count(*) FROM allocations WHERE free_ts < alloc_ts")|$(q "$2" "SELECT count(*) FROM allocations a JOIN processes p ON p.id = a.proc WHERE a.free_func = 15 AND p.end_reason IS NOT 'exec'")" "0|0"
}

# ============ 1. A shell loop: sh forks 3 times, each child execs leaks3.
db=$T/loop.db
record loop -o "$db" -- sh -c "for i in 1 2 3; do $LEAKS3; done"
expect_eq "loop: exit status" "$rc" 0
if db_ok loop "$db"; then
	tree_common loop "$db"
	root=$(q "$db" "SELECT pid FROM recording")
	expect_eq "loop: 7 images: the shell, 3 forked shells that exec, 3 leaks3" \
		"$(q "$db" "SELECT count(*), sum(exe = '$LEAKS3'), sum(end_reason = 'exec') FROM processes")" "7|3|3"
	expect_eq "loop: the shell's row" \
		"$(q "$db" "SELECT count(*), end_reason, exit_status FROM processes WHERE pid = $root")" "1|exited|0"
	expect_eq "loop: leaks3 rows: child of the shell, exited 0, after an exec of the same pid" \
		"$(q "$db" "SELECT ppid, end_reason, exit_status, (SELECT count(*) FROM processes x WHERE x.pid = p.pid AND x.id < p.id AND x.end_reason = 'exec' AND x.exe != p.exe AND x.end_ts <= p.start_ts) FROM processes p WHERE exe = '$LEAKS3'")" \
		"$root|exited|0|1
$root|exited|0|1
$root|exited|0|1"
	expect_eq "loop: each leaks3: rows, freed, live blocks, live bytes" \
		"$(per_proc "$db" "exe = '$LEAKS3'")" "82|61|21|5000
82|61|21|5000
82|61|21|5000"
	expect_eq "loop: leak sites of the 3 leaks3" "$(q "$db" "$LEAK_FNS WHERE sf.function LIKE 'leak_%' GROUP BY 1 ORDER BY 1")" \
		"leak_a|9
leak_b|21
leak_c|33"
	expect_eq "loop: each leaks3's pid has only its own rows after its exec" \
		"$(q "$db" "SELECT count(*) FROM allocations a JOIN processes p ON p.id = a.proc WHERE p.exe = '$LEAKS3' AND a.alloc_ts < p.start_ts")" 0
	expect_eq "loop: no invalid free in the shell (blocks its vfork children allocated are its own)" \
		"$(q "$db" "SELECT count(*) FROM errors WHERE pid = $root")" 0
fi

# ============ 2. fork_workers: 4 forked workers with distinct leaks.
db=$T/workers.db
record workers -o "$db" -- "$PROGS/fork_workers"
expect_eq "workers: exit status" "$rc" 0
if db_ok workers "$db"; then
	tree_common workers "$db"
	parent=$(sed -n 's/^pid //p' "$T/workers.out")
	expect_eq "workers: recording pid is the parent" "$(q "$db" "SELECT pid, mode FROM recording")" "$parent|launch"
	expect_eq "workers: 5 images: parent, then workers exiting 1..4" \
		"$(q "$db" "SELECT pid = $parent, ppid = $parent, exe LIKE '%/fork_workers', end_reason, exit_status FROM processes ORDER BY start_ts")" \
		"1|0|1|exited|0
0|1|1|exited|1
0|1|1|exited|2
0|1|1|exited|3
0|1|1|exited|4"
	expect_eq "workers: per image: rows, freed, live, live bytes" "$(per_proc "$db" 1)" "15|9|6|3600
15|5|10|1100
25|5|20|4400
35|5|30|9900
45|5|40|17600"
	expect_eq "workers: the parent's pid: rows, freed, live, live bytes" "$(per_pid "$db" "$parent")" "15|9|6|3600"
	got="" want=""
	for w in 0 1 2 3; do
		wpid=$(awk -v w="$w" '$1 == "worker" && $2 == w {print $3}' "$T/workers.out")
		got="$got$w:$(per_pid "$db" "${wpid:-0}"):$(q "$db" "SELECT size, count(*) FROM leaks WHERE pid = ${wpid:-0} GROUP BY size") "
		want="$want$w:$((5 + (w + 1) * 10))|5|$(((w + 1) * 10))|$(((w + 1) * 10 * 110 * (w + 1))):$((110 * (w + 1)))|$(((w + 1) * 10)) "
	done
	expect_eq "workers: per worker pid: rows, freed, live, live bytes, leaked size|blocks" "$got" "$want"
	expect_eq "workers: leaks by innermost function" \
		"$(q "$db" "$LEAK_FNS GROUP BY 1 ORDER BY 1")" "parent_leak|6
worker_leak|100"
	expect_eq "workers: 4 untracked frees (each worker frees the inherited block)" \
		"$(q "$db" "SELECT untracked_frees FROM recording")" 4
	expect_eq "workers: the inherited block is freed by the parent" \
		"$(q "$db" "SELECT pid, free_tid, free_func FROM allocations WHERE size = 777")" "$parent|$parent|12"
	expect_eq "workers: a forked worker's allocator is its parent's" \
		"$(q "$db" "SELECT count(DISTINCT allocator) FROM processes")" 1
fi

db=$T/workers_nf.db
record workers_nf --no-follow -o "$db" -- "$PROGS/fork_workers"
expect_eq "workers --no-follow: exit status" "$rc" 0
if db_ok workers_nf "$db"; then
	tree_common workers_nf "$db"
	parent=$(sed -n 's/^pid //p' "$T/workers_nf.out")
	expect_eq "workers --no-follow: only the parent's pid in allocations and processes" \
		"$(q "$db" "SELECT DISTINCT pid FROM allocations")|$(q "$db" "SELECT pid, end_reason, exit_status FROM processes")" \
		"$parent|$parent|exited|0"
	expect_eq "workers --no-follow: the parent's rows, freed, live, live bytes" "$(per_pid "$db" "$parent")" "15|9|6|3600"
	expect_eq "workers --no-follow: no untracked frees" "$(q "$db" "SELECT untracked_frees FROM recording")" 0
fi

# ============ 3. vfork + execv, posix_spawn: the exec'd leaks3 comes out exact.
for mode in vfork spawn vfork_alloc; do
	db=$T/$mode.db
	record "$mode" -o "$db" -- "$PROGS/spawn_exec" "$mode" "$LEAKS3" 5
	expect_eq "$mode: exit status of leaks3 passes through" "$rc" 5
	db_ok "$mode" "$db" || continue
	tree_common "$mode" "$db"
	parent=$(q "$db" "SELECT pid FROM recording")
	child=$(sed -n 's/^pid //p' "$T/$mode.out")
	expect_eq "$mode: images: spawn_exec, its child until exec, leaks3" \
		"$(q "$db" "SELECT pid = $parent, pid = ${child:-0}, exe LIKE '%/spawn_exec', end_reason, ifnull(exit_status, '-') FROM processes ORDER BY start_ts")" \
		"1|0|1|exited|5
0|1|1|exec|-
0|1|0|exited|5"
	expect_eq "$mode: leaks3: rows, freed, live, live bytes" "$(per_proc "$db" "exe = '$LEAKS3'")" "82|61|21|5000"
	expect_eq "$mode: leaks3's leak sites" "$(q "$db" "$LEAK_FNS WHERE a.pid = ${child:-0} GROUP BY 1 ORDER BY 1")" \
		"leak_a|3
leak_b|7
leak_c|11"
	if [ "$mode" = vfork_alloc ]; then
		expect_eq "$mode: spawn_exec's image: leak live, the vfork child's block freed by the parent" \
			"$(qa "$db" "SELECT fn, size, ifnull(free_func, '-'), ifnull(free_tid, '-') FROM a WHERE fn IN ('parent_leak', 'child_alloc') ORDER BY size")" \
			"child_alloc|512|12|$parent
parent_leak|4321|-|-"
	else
		expect_eq "$mode: spawn_exec's image: its one leak" "$(per_proc "$db" "pid = $parent")" "1|0|1|4321"
		expect_eq "$mode: the child before exec allocated nothing" \
			"$(per_proc "$db" "pid = ${child:-0} AND end_reason = 'exec'")" "0|0|0|0"
	fi
done

# --no-follow: blocks a vfork child allocated in the parent's memory and the parent frees are
# not the parent's misuse.
db=$T/vfork_alloc_nf.db
record vfork_alloc_nf --no-follow -o "$db" -- "$PROGS/spawn_exec" vfork_alloc "$LEAKS3" 5
expect_eq "vfork_alloc --no-follow: exit status" "$rc" 5
if db_ok vfork_alloc_nf "$db"; then
	expect_eq "vfork_alloc --no-follow: no errors (the freed block came from the vfork child)" \
		"$(q "$db" "SELECT count(*) FROM errors")" 0
	# The vfork child is followed while it shares the parent's memory, and let go at its exec.
	expect_eq "vfork_alloc --no-follow: the parent's image, the vfork child's up to its exec" \
		"$(q "$db" "SELECT count(*), sum(end_reason = 'exec') FROM processes")|$(per_pid "$db" "$(q "$db" "SELECT pid FROM recording")")" "2|1|1|0|1|4321"
	expect_eq "vfork_alloc --no-follow: nothing of the exec'd program" \
		"$(q "$db" "SELECT count(*) FROM processes WHERE exe = '$LEAKS3'")" 0
fi

# ============ 4. env LD_PRELOAD=<allocator> leaks3: the allocator is found again at the exec.
for lib in libjemalloc.so.2 libtcmalloc_minimal.so.4; do
	path=/usr/lib/x86_64-linux-gnu/$lib
	if [ ! -f "$path" ]; then
		not_ok "$lib is missing (make deps installs it)"
		continue
	fi
	db=$T/$lib.db
	record "$lib" -o "$db" -- env LD_PRELOAD="$path" "$LEAKS3" 3
	expect_eq "$lib: exit status" "$rc" 3
	db_ok "$lib" "$db" || continue
	tree_common "$lib" "$db"
	expect_eq "$lib: images: env (exec), leaks3 with $lib" \
		"$(q "$db" "SELECT exe, end_reason, ifnull(exit_status, '-'), allocator LIKE '%/libc.so.6' FROM processes WHERE id = (SELECT min(id) FROM processes)")|$(q "$db" "SELECT count(*) FROM processes")" \
		"/usr/bin/env|exec|-|1|2"
	expect_eq "$lib: leaks3's row: allocator, end" \
		"$(q "$db" "SELECT allocator, end_reason, exit_status FROM processes WHERE exe = '$LEAKS3'")" "$path|exited|3"
	expect_eq "$lib: leaks3's own rows, freed, live bytes" \
		"$(q "$db" "SELECT count(*), count(a.free_ts), sum(CASE WHEN a.free_ts IS NULL THEN a.size ELSE 0 END)
		  FROM allocations a JOIN site_frames sf ON sf.site = a.site AND sf.pos = 0 JOIN processes p ON p.id = a.proc
		  WHERE p.exe = '$LEAKS3' AND sf.function IN ('churn', 'leak_a', 'leak_b', 'leak_c', 'scratch', 'zero')")" "82|61|5000"
	expect_eq "$lib: leaks3's leak sites" \
		"$(q "$db" "$LEAK_FNS JOIN processes p ON p.id = a.proc WHERE p.exe = '$LEAKS3' AND sf.function LIKE 'leak_%' GROUP BY 1 ORDER BY 1")" \
		"leak_a|3
leak_b|7
leak_c|11"
	expect_eq "$lib: env allocated, and none of its blocks is live; the rest released by the exec" \
		"$(q "$db" "SELECT count(*) > 0, sum(free_ts IS NULL), sum(free_func = 15) > 0, sum(free_func NOT IN (12, 3, 4, 15)) FROM allocations a JOIN processes p ON p.id = a.proc WHERE p.exe = '/usr/bin/env'")" \
		"1|0|1|0"
done

# ============ 5. A shell that execs: every block of the shell's image is released by the exec.
db=$T/shexec.db
record shexec -o "$db" -- sh -c "x=1; y=\$x\$x; exec $LEAKS3 4"
expect_eq "shexec: exit status" "$rc" 4
if db_ok shexec "$db"; then
	tree_common shexec "$db"
	root=$(q "$db" "SELECT pid FROM recording")
	expect_eq "shexec: 2 images of one pid: the shell (exec), leaks3" \
		"$(q "$db" "SELECT pid, exe = '$LEAKS3', end_reason, ifnull(exit_status, '-') FROM processes ORDER BY start_ts")" \
		"$root|0|exec|-
$root|1|exited|4"
	sh_proc=$(q "$db" "SELECT min(id) FROM processes")
	expect_eq "shexec: the shell allocated before the exec" \
		"$(q "$db" "SELECT count(*) > 0 FROM allocations WHERE proc = $sh_proc")" 1
	expect_eq "shexec: no block of the shell's image is live" \
		"$(q "$db" "SELECT count(*) FROM allocations WHERE proc = $sh_proc AND free_ts IS NULL")" 0
	expect_eq "shexec: the shell's blocks left at the exec: free_func 15, freed at the exec, by the shell's pid" \
		"$(q "$db" "SELECT count(*) > 0, count(*) = sum(a.free_tid = $root), count(*) = sum(a.free_ts <= n.start_ts AND a.free_ts >= s.start_ts) FROM allocations a JOIN processes s ON s.id = a.proc JOIN processes n ON n.pid = s.pid AND n.id > s.id WHERE a.proc = $sh_proc AND a.free_func = 15")" \
		"1|1|1"
	expect_eq "shexec: funcs row 15 is exec" "$(q "$db" "SELECT name FROM funcs WHERE id = 15")" exec
	expect_eq "shexec: leaks3: rows, freed, live, live bytes" "$(per_proc "$db" "exe = '$LEAKS3'")" "82|61|21|5000"
	expect_eq "shexec: the leaks view holds leaks3's 21 blocks only" \
		"$(q "$db" "SELECT count(*), sum(size) FROM leaks")" "21|5000"
fi

# ============ 6. Two pids attached at once.
# start_batch VAR NAME LEAKS SIZE: signal_batch in the background, pid in VAR.
start_batch() {
	"$PROGS/signal_batch" "$3" "$4" >"$T/$2.target" 2>&1 &
	printf -v "$1" %s "$!"
	wait_for "$2: target ready" 10 grep -q '^ready' "$T/$2.target"
}
start_batch target pa 7 123
start_batch child pb 13 321
a=$target b=$child
env --default-signal=INT "$HS" record -p "$a,$b" -o "$T/two.db" >"$T/two.out" 2>"$T/two.err" &
rec=$!
wait_for "two: recorder attached" 30 stderr_has "$T/two.err" "^heapscope: recording pid"
kill -USR1 "$a" "$b"
wait_for "two: A did batch 1" 10 grep -q '^done 1' "$T/pa.target"
wait_for "two: B did batch 1" 10 grep -q '^done 1' "$T/pb.target"
kill -USR1 "$a"
wait_for "two: A did batch 2" 10 grep -q '^done 2' "$T/pa.target"
kill -INT "$rec"
wait_child "two: recorder" 30 "$rec"
sed "s/^/#   two stderr: /" "$T/two.err" | head -20
expect_eq "two: recorder status" "$rc" 0
kill -USR1 "$a"
wait_for "two: A still works after the detach" 10 grep -q '^done 3' "$T/pa.target"
kill -TERM "$a" "$b"
wait_child "two: A" 10 "$a"
expect_eq "two: A exits 0" "$rc" 0
wait_child "two: B" 10 "$b"
expect_eq "two: B exits 0" "$rc" 0
db=$T/two.db
if db_ok two "$db"; then
	tree_common two "$db"
	expect_eq "two: recording row" "$(q "$db" "SELECT mode, end_reason, untracked_frees FROM recording")" "attach|interrupted|0"
	expect_eq "two: one image per pid, still running at the end" \
		"$(q "$db" "SELECT pid, exe LIKE '%/signal_batch', end_reason FROM processes ORDER BY pid = $b")" \
		"$a|1|recording_end
$b|1|recording_end"
	expect_eq "two: A (2 batches of 4 temporaries + 7 x 123 B)" "$(per_pid "$db" "$a")" "22|8|14|1722"
	expect_eq "two: B (1 batch of 4 temporaries + 13 x 321 B)" "$(per_pid "$db" "$b")" "17|4|13|4173"
	expect_eq "two: leak sites per pid" "$(q "$db" "SELECT a.pid = $a, sf.function, count(*), sum(a.size) FROM leaks a JOIN site_frames sf ON sf.site = a.site AND sf.pos = 0 GROUP BY 1, 2 ORDER BY 1 DESC")" \
		"1|batch_leak|14|1722
0|batch_leak|13|4173"
fi
target="" child=""

# The same pid twice is an error.
for args in "-p $$ -p $$" "-p $$,$$"; do
	# shellcheck disable=SC2086
	"$HS" record $args -o "$T/dup.db" >/dev/null 2>"$T/dup.err"
	expect_eq "record $args: exit status 2" "$?" 2
	expect_match "record $args: says given twice" "$(cat "$T/dup.err")" "given twice"
done

# ============ 7. --follow in attach mode: a child forked after the attach is recorded.
start_batch target fo 3 200
start_record follow --follow
kill -USR2 "$target"
wait_for "follow: target forked" 10 grep -q '^forked' "$T/fo.target"
kill -USR1 "$target"
wait_for "follow: target did a batch" 10 grep -q '^done 1' "$T/fo.target"
kill -INT "$rec"
wait_child "follow: recorder" 30 "$rec"
sed "s/^/#   follow stderr: /" "$T/follow.err" | head -20
expect_eq "follow: recorder status" "$rc" 0
kid=$(sed -n 's/^forked //p' "$T/fo.target" | head -1)
kill -USR2 "$target"
wait_for "follow: target forks normally after the detach" 10 \
	eval "[ \$(grep -c '^forked [1-9]' '$T/fo.target') = 2 ]"
kill -TERM "$target"
wait_child "follow: target" 10 "$target"
expect_eq "follow: target exits 0" "$rc" 0
db=$T/follow.db
if db_ok follow "$db"; then
	tree_common follow "$db"
	expect_eq "follow: images: the target (running at the end), its child (exited 0)" \
		"$(q "$db" "SELECT pid, ppid = $target, end_reason, ifnull(exit_status, '-') FROM processes ORDER BY start_ts")" \
		"$target|0|recording_end|-
${kid:-?}|1|exited|0"
	expect_eq "follow: the target's rows (1 batch: 4 temporaries + 3 x 200 B)" "$(per_pid "$db" "$target")" "7|4|3|600"
	expect_eq "follow: the child's rows (6 x 201 B leaked + 3 calloc'd temporaries)" "$(per_pid "$db" "${kid:-0}")" "9|3|6|1206"
	expect_eq "follow: the child's leak site" \
		"$(q "$db" "$LEAK_FNS WHERE a.pid = ${kid:-0} GROUP BY 1")" "child_leak|6"
	expect_eq "follow: no untracked frees" "$(q "$db" "SELECT untracked_frees FROM recording")" 0
fi

# Without --follow the child is not traced.
start_batch target nofo 3 200
start_record nofollow
kill -USR2 "$target"
wait_for "no --follow: target forked" 10 grep -q '^forked' "$T/nofo.target"
kill -USR1 "$target"
wait_for "no --follow: target did a batch" 10 grep -q '^done 1' "$T/nofo.target"
kill -INT "$rec"
wait_child "no --follow: recorder" 30 "$rec"
expect_eq "no --follow: recorder status" "$rc" 0
kill -TERM "$target"
wait_child "no --follow: target" 10 "$target"
db=$T/nofollow.db
if db_ok nofollow "$db"; then
	expect_eq "no --follow: only the target's pid" \
		"$(q "$db" "SELECT DISTINCT pid FROM allocations")|$(q "$db" "SELECT count(*) FROM processes")" "$target|1"
	expect_eq "no --follow: the target's rows" "$(per_pid "$db" "$target")" "7|4|3|600"
fi
target=""

# ============ 7b. Attach mode without --follow: an exec of the attached process is seen by the
# BPF side; the new program (same allocator: the probes stay) is exact from its first call.
"$PROGS/exec_on_signal" "$PROGS/signal_batch" 5 77 >"$T/ex.target" 2>&1 &
target=$!
wait_for "attach exec: target waiting" 10 grep -q '^waiting' "$T/ex.target"
start_record aexec
kill -USR1 "$target"
wait_for "attach exec: signal_batch runs" 10 grep -q '^ready' "$T/ex.target"
# The recorder learns of the exec from its event, some time later on a loaded machine: the new
# program's image is in the file (committed every second) before it is asked to allocate.
wait_for "attach exec: the recorder begins the new image" 15 \
	eval "[ \"\$(q '$T/aexec.db' 'SELECT count(*) FROM processes' 2>/dev/null)\" = 2 ]"
kill -USR1 "$target"
wait_for "attach exec: a batch" 10 grep -q '^done 1' "$T/ex.target"
kill -TERM "$target"
wait_child "attach exec: recorder ends with the process" 30 "$rec"
sed "s/^/#   aexec stderr: /" "$T/aexec.err" | head -20
expect_eq "attach exec: recorder status" "$rc" 0
db=$T/aexec.db
if db_ok aexec "$db"; then
	tree_common aexec "$db"
	expect_eq "attach exec: two images of one pid: the first ended by the exec" \
		"$(q "$db" "SELECT pid = $target, exe LIKE '%/exec_on_signal', end_reason FROM processes ORDER BY id")" \
		"1|1|exec
1|0|exited"
	expect_eq "attach exec: the exit status seen by the BPF side" \
		"$(q "$db" "SELECT end_reason, exit_status FROM recording")" "exited|0"
	expect_eq "attach exec: the exec is an event of its own" \
		"$(q "$db" "SELECT emitted, stored FROM event_counts WHERE kind = 'exec'")" "1|1"
	expect_eq "attach exec: signal_batch's leak site exact (5 x 77 B)" \
		"$(q "$db" "SELECT sf.function, count(*), sum(a.size) FROM leaks a JOIN site_frames sf ON sf.site = a.site AND sf.pos = 0 JOIN processes p ON p.id = a.proc WHERE p.exe LIKE '%/signal_batch' GROUP BY 1")" \
		"batch_leak|5|385"
	expect_eq "attach exec: its temporaries, freed" \
		"$(q "$db" "SELECT count(*), count(a.free_ts) FROM allocations a JOIN site_frames sf ON sf.site = a.site AND sf.pos = 0 WHERE sf.function = 'batch_tmp'")" "4|4"
	expect_eq "attach exec: traced from the exec: no untracked free" \
		"$(q "$db" "SELECT untracked_frees FROM recording")" 0
fi
target=""

# ============ 7c. Attach mode: how the process ended comes from the BPF side (its parent reaps
# it, not heapscope): SIGKILL is end reason killed with 128 + 9.
start_batch target kl 2 50
start_record killed
kill -USR1 "$target"
wait_for "killed: a batch" 10 grep -q '^done 1' "$T/kl.target"
kill -KILL "$target"
wait_child "killed: recorder ends with the process" 30 "$rec"
expect_eq "killed: recorder status" "$rc" 0
db=$T/killed.db
if db_ok killed "$db"; then
	expect_eq "killed: the recording's end" "$(q "$db" "SELECT end_reason, exit_status FROM recording")" "killed|137"
	expect_eq "killed: the process's end" "$(q "$db" "SELECT end_reason, exit_status FROM processes")" "killed|137"
	expect_eq "killed: its batch exact" "$(per_pid "$db" "$target")" "6|4|2|100"
fi
target=""

# ============ 8. A Go program: a notice, and the recording goes on.
gobin=$(command -v go || ls /usr/lib/go-*/bin/go 2>/dev/null | head -1)
if [ -z "$gobin" ]; then
	not_ok "go: no go binary (golang-go: make deps installs it)"
else
	db=$T/go.db
	record go -o "$db" -- "$gobin" version
	expect_eq "go: exit status" "$rc" 0
	expect_match "go: go version ran" "$(cat "$T/go.out")" "^go version go"
	expect_match "go: a notice on stderr" "$(grep notice "$T/go.err" | head -1)" \
		"^heapscope: notice: pid [0-9]+: .*Go"
	if db_ok go "$db"; then
		expect_eq "go: a notice row about Go, tied to the go image" \
			"$(q "$db" "SELECT n.kind IN ('go_heap', 'no_allocator'), n.message LIKE '%Go%', p.exe LIKE '%/go' FROM notices n JOIN processes p ON p.id = n.proc")" "1|1|1"
		expect_eq "go: the image ended normally" \
			"$(q "$db" "SELECT end_reason, exit_status FROM processes WHERE exe LIKE '%/go'")" "exited|0"
	fi
fi

# ============ 9. Option errors.
optcheck() { # NAME REGEX ARGS...
	local name=$1 re=$2
	shift 2
	"$HS" record "$@" >/dev/null 2>"$T/opt.err"
	expect_eq "options $name: exit status 2" "$?" 2
	expect_match "options $name: message" "$(cat "$T/opt.err")" "$re"
}
optcheck "-o a -o b" "option --output given twice" -o "$T/a.db" -o "$T/b.db" -- /bin/true
expect_eq "options -o a -o b: no file written" "$(ls "$T/a.db" "$T/b.db" 2>/dev/null)" ""
optcheck "--duration twice" "option --duration given twice" --duration 1 --duration 2 -o "$T/c.db" -- /bin/true
optcheck "--follow with a command" "--follow" --follow -o "$T/c.db" -- /bin/true
optcheck "--no-follow with -p" "--no-follow" --no-follow -p $$ -o "$T/c.db"
optcheck "--follow twice" "given twice" --follow --follow -p $$ -o "$T/c.db"

finish

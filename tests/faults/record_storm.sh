#!/usr/bin/env bash
# A fork/exec storm (tests/progs/storm.c, 20 children, 8 at a time: fork+exec and vfork+exec of
# leaks3, fork+exec of a static glibc leaks3 and of a static program without libc, forks that
# leak and exit) under `record -- CMD` (children followed by default) and under `record
# --follow -p`: the recorder survives and exits as the command did (7), every process and image
# is a row of processes, every image's allocations exact, the program without an allocator one
# notice each, no error, nothing dropped, and the recorder's peak RSS bounded.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/integration/record.bash"
trap kill_background EXIT

N=20 # 4 of each kind
# The two static programs, built here (mk/progs.mk builds dynamic ones only).
printf 'void _start(void) { __asm__ volatile("mov $60, %%eax\\n xor %%edi, %%edi\\n syscall"); }\n' >"$T/nolibc.c"
if ! gcc -static -nostdlib -O1 -o "$T/nolibc" "$T/nolibc.c" 2>"$T/cc.err" ||
	! gcc -static -O1 -g -fno-omit-frame-pointer -o "$T/leaks3s" "$TOP/tests/progs/leaks3.c" 2>>"$T/cc.err"; then
	not_ok "cannot build the static programs: $(head -1 "$T/cc.err")"
	finish
fi
STORM=("$PROGS/storm" "$N" "$PROGS/leaks3" "$T/leaks3s" "$T/nolibc")

# check NAME DB: the tree's rows.
check() {
	local n=$1 db=$2
	db_ok "$n" "$db" || return
	# 1 storm + N fork or vfork images + an exec'd image for each of the 32 that exec.
	expect_eq "$n: processes: pids, images" "$(q "$db" "SELECT count(DISTINCT pid), count(*) FROM processes")" \
		"$((N + 1))|$((2 * N + 1 - N / 5))"
	expect_eq "$n: images by exe and end" \
		"$(q "$db" "SELECT replace(replace(exe, '$PROGS/', ''), '$T/', ''), end_reason, exit_status, count(*)
			FROM processes GROUP BY 1, 2, 3 ORDER BY 1, 2")" \
		"leaks3|exited|0|$((2 * N / 5))
leaks3s|exited|0|$((N / 5))
nolibc|exited|0|$((N / 5))
storm|exec||$((4 * N / 5))
storm|exited|0|$((N / 5))
storm|exited|7|1"
	# leaks3: 82 rows (61 freed); static glibc adds 5 of its own (87); forks 3 x 333 B live.
	expect_eq "$n: allocations per image exact" \
		"$(q "$db" "SELECT replace(replace(p.exe, '$PROGS/', ''), '$T/', ''), count(DISTINCT p.id), count(*),
			count(a.free_ts) FROM allocations a JOIN processes p ON p.id = a.proc GROUP BY 1 ORDER BY 1")" \
		"leaks3|$((2 * N / 5))|$((82 * 2 * N / 5))|$((61 * 2 * N / 5))
leaks3s|$((N / 5))|$((87 * N / 5))|$((61 * N / 5))
storm|$((N / 5 + 1))|$((3 * N / 5 + 1))|0"
	expect_eq "$n: every leaks3 image exact (82 rows, 21 live, 5000 B)" \
		"$(q "$db" "SELECT DISTINCT count(*) || '|' || (count(*) - count(a.free_ts)) || '|' ||
			sum(CASE WHEN a.free_ts IS NULL THEN a.size ELSE 0 END) FROM allocations a
			JOIN processes p ON p.id = a.proc WHERE p.exe = '$PROGS/leaks3' GROUP BY p.id")" "82|21|5000"
	expect_eq "$n: a no_allocator notice per program without libc" \
		"$(q "$db" "SELECT kind, count(*) FROM notices GROUP BY 1")" "no_allocator|$((N / 5))"
	expect_eq "$n: no errors, nothing dropped" \
		"$(q "$db" "SELECT (SELECT count(*) FROM errors), dropped_events FROM recording")" "0|0"
	expect_eq "$n: every event accounted" \
		"$("$HS" report -d "$db" --format json --view summary | jq .summary.events.accounted)" true
}

# rss_ok NAME FILE: /usr/bin/time's peak RSS (KiB) under 400 MiB (64 MiB of it the ring buffer).
rss_ok() {
	local kb
	kb=$(sed -n 's/^maxrss \([0-9]*\)$/\1/p' "$2")
	echo "# $1: recorder peak RSS ${kb} KiB"
	[ -n "$kb" ] && [ "$kb" -lt 409600 ] && ok "$1: recorder RSS bounded" || not_ok "$1: recorder RSS '$kb' KiB"
}

# --- launch ------------------------------------------------------------------------------------
/usr/bin/time -o "$T/launch.time" -f 'maxrss %M' "$HS" record -o "$T/launch.db" -- "${STORM[@]}" \
	>"$T/launch.out" 2>"$T/launch.err"
expect_eq "launch: heapscope exits with the storm's status" "$?" 7
expect_eq "launch: the storm reaped every child" "$(grep -c "^pid " "$T/launch.out") $(tail -1 "$T/launch.out")" "$((3 * N / 5)) done $N"
check launch "$T/launch.db"
rss_ok launch "$T/launch.time"

# --- attach --follow -----------------------------------------------------------------------------
"${STORM[0]}" --wait "${STORM[@]:1}" >"$T/attach.target" 2>&1 &
target=$!
wait_for "attach: storm ready" 10 grep -q '^ready' "$T/attach.target"
/usr/bin/time -o "$T/attach.time" -f 'maxrss %M' "$HS" record --follow -p "$target" -o "$T/attach.db" \
	>"$T/attach.out" 2>"$T/attach.err" &
rec=$!
wait_for "attach: recording" 30 grep -q '^heapscope: recording pid' "$T/attach.err"
kill -USR1 "$target"
wait_child "attach: recorder ends with the tree" 60 "$rec"
expect_eq "attach: heapscope exits 0" "$rc" 0
check attach "$T/attach.db"
rss_ok attach "$T/attach.time"
finish

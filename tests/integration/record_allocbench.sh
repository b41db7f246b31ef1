#!/usr/bin/env bash
# allocbench under `heapscope record` (launch; launch with a 1 MiB ring buffer; attach with 4
# threads): the recorded rows of allocbench's own functions equal the counts it prints, unless
# events were dropped, in which case the recording, the summary and the report must say so.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

trap kill_background EXIT

# Built by mk/bench.mk's one rule, from the shared copy.
if ! make -s -C "$TOP" build/bench/allocbench >"$T/cc.err" 2>&1; then
	not_ok "cannot build allocbench: $(head -1 "$T/cc.err")"
	finish
	exit
fi
cp "$TOP/build/bench/allocbench" "$T/allocbench"

# json KEY FILE: a number from allocbench's JSON line.
json() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2" | tail -1; }

# The functions that call the allocator in allocbench.c. free_site compiles to a tail call
# (jmp free), so frees are counted by the allocation's function and free_func, not free_fn.
SITES="('malloc_site', 'leak_site', 'calloc_site', 'realloc_site', 'posix_memalign_site', 'aligned_alloc_site')"

# compare NAME DB OUT ERR: the recorded counts against allocbench's JSON line in OUT; ERR is
# the recorder's stderr (its closing summary).
compare() {
	local name=$1 db=$2 out=$3 err=$4 dropped mallocs callocs reallocs memaligns frees lblocks lbytes got want
	mallocs=$(json mallocs "$out") callocs=$(json callocs "$out") reallocs=$(json reallocs "$out")
	memaligns=$(json memaligns "$out") frees=$(json frees "$out")
	lblocks=$(json leaked_blocks "$out") lbytes=$(json leaked_bytes "$out")
	if [ -z "$mallocs" ] || [ -z "$lbytes" ]; then
		not_ok "$name: no JSON line from allocbench"
		return
	fi
	echo "# $name: allocbench counts: $(tail -1 "$out")"
	dropped=$(q "$db" "SELECT dropped_events FROM recording")
	# mallocs (malloc_site + leak_site) | callocs | reallocs | memaligns | frees (by free) |
	# leaked blocks | leaked bytes (leak_site, live) | live rows of ours
	got=$(qa "$db" "SELECT
		sum(fn IN ('malloc_site', 'leak_site') AND func = 1),
		sum(fn = 'calloc_site' AND func = 2),
		sum(fn = 'realloc_site' AND func = 3),
		sum(fn IN ('posix_memalign_site', 'aligned_alloc_site')),
		sum(free_func = 12),
		sum(fn = 'leak_site' AND free_ts IS NULL),
		sum(CASE WHEN fn = 'leak_site' AND free_ts IS NULL THEN size ELSE 0 END),
		sum(free_ts IS NULL)
		FROM a WHERE fn IN $SITES")
	want="$mallocs|$callocs|$reallocs|$memaligns|$frees|$lblocks|$lbytes|$lblocks"
	if [ "$dropped" = 0 ]; then
		expect_eq "$name: no errors" "$(q "$db" "SELECT count(*) FROM errors")" 0
		# A stack reaches user space before any event that uses it, even across CPUs.
		expect_eq "$name: every allocation and free has its stack" \
			"$(q "$db" "SELECT count(*) FROM allocations WHERE site IS NULL OR (free_ts IS NOT NULL AND free_site IS NULL)")" 0
		expect_eq "$name: mallocs|callocs|reallocs|memaligns|frees|leaked blocks|leaked bytes|live" "$got" "$want"
		# glibc < 2.38: aligned_alloc is memalign (one address), so 7 is as right as 6.
		expect_eq "$name: memalign funcs: posix_memalign_site -> 5, aligned_alloc_site -> 6" \
			"$(qa "$db" "SELECT DISTINCT fn, CASE func WHEN 7 THEN 6 ELSE func END FROM a WHERE fn IN ('posix_memalign_site', 'aligned_alloc_site') ORDER BY fn")" \
			"aligned_alloc_site|6
posix_memalign_site|5"
	else
		echo "# $name: $dropped events dropped: counts cannot be exact (got $got, made $want)"
		echo "# $name: errors recorded anyway: $(q "$db" "SELECT count(*) FROM errors")"
		local g w over="" i
		IFS='|' read -ra g <<<"$got"
		IFS='|' read -ra w <<<"$want"
		for i in 0 1 2 3 4 5; do
			[ "${g[$i]:-0}" -le "${w[$i]}" ] || over="$over field$((i + 1)):${g[$i]}>${w[$i]}"
		done
		expect_eq "$name: no count above what allocbench made" "$over" ""
		expect_match "$name: the recorder's summary says events were dropped" \
			"$(tail -1 "$err")" "[^0-9]$dropped dropped events"
		expect_match "$name: the report says events were dropped" \
			"$("$HS" report -d "$db" 2>&1)" "[Dd]ropped"
	fi
}

# --- Launch: 2,000,000 calls, one thread.
db=$T/launch.db
RECORD_TIMEOUT=240 record launch -o "$db" -- "$T/allocbench" --ops 2000000 --mix
expect_eq "launch: exit status" "$rc" 0
if db_ok launch "$db"; then
	expect_eq "launch: recording row" "$(q "$db" "SELECT mode, exit_status, end_reason FROM recording")" \
		"launch|0|exited"
	compare launch "$db" "$T/launch.out" "$T/launch.err"
fi

# --- A 1 MiB ring buffer against 4 threads: drops are likely, and must then be reported.
db=$T/small.db
record small --ringbuf-mb 1 -o "$db" -- "$T/allocbench" --ops 1000000 --threads 4 --mix
expect_eq "small: exit status" "$rc" 0
if db_ok small "$db"; then
	compare small "$db" "$T/small.out" "$T/small.err"
fi

# --- Attach to a waiting allocbench with 4 threads; the recording ends when it exits.
if start_target attach '^ready' "$T/allocbench" --wait --ops 400000 --threads 4 --mix; then
	start_record attach
	kill -USR1 "$target"
	wait_child "attach: allocbench" 120 "$target"
	expect_eq "attach: allocbench status" "$rc" 0
	wait_child "attach: recorder" 30 "$rec"
	expect_eq "attach: recorder status" "$rc" 0
	sed 's/^/#   attach stderr: /' "$T/attach.err" | head -20
	if db_ok attach "$T/attach.db"; then
		expect_eq "attach: recording row" "$(q "$T/attach.db" "SELECT pid, mode, end_reason FROM recording")" \
			"$target|attach|exited"
		compare attach "$T/attach.db" "$T/attach.target" "$T/attach.err"
		expect_eq "attach: 4 worker threads" \
			"$(qa "$T/attach.db" "SELECT count(DISTINCT tid) FROM a WHERE fn IN $SITES")" 4
	fi
fi

finish

#!/usr/bin/env bash
# Launch-mode recording of threads4: four concurrent threads with known per-thread counts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

OURS="('thread_churn', 'thread_leak', 'handoff')"

db=$T/threads4.db
record threads4 -o "$db" -- "$PROGS/threads4"
expect_eq "threads4: exit status" "$rc" 0
if db_ok threads4 "$db"; then
	pid=$(sed -n 's/^pid //p' "$T/threads4.out")
	expect_eq "threads4: recording row" "$(q "$db" "SELECT pid, mode, exit_status FROM recording")" "$pid|launch|0"
	expect_eq "threads4: no errors (a thread's exit frees its untraced tcache block)" \
		"$(q "$db" "SELECT count(*) FROM errors")" 0
	expect_eq "threads4: nothing dropped" "$(q "$db" "SELECT dropped_events FROM recording")" 0
	# fn | rows | bytes | live | distinct tids
	expect_eq "threads4: totals per function" \
		"$(qa "$db" "SELECT fn, count(*), sum(size), sum(free_ts IS NULL), count(DISTINCT tid) FROM a WHERE fn IN $OURS GROUP BY fn ORDER BY fn")" \
		"handoff|100|4800|0|4
thread_churn|2500|240000|0|4
thread_leak|10|30000|10|4"
	# glibc 2.36's pthread_create callocs each new thread's DTV, in the main thread.
	expect_eq "threads4: other rows: 4 callocs in the main thread" \
		"$(qa "$db" "SELECT func, tid, count(*) FROM a WHERE fn IS NULL OR fn NOT IN $OURS GROUP BY func, tid")" \
		"2|$pid|4"
	expect_eq "threads4: nothing of ours in the main thread" \
		"$(qa "$db" "SELECT count(*) FROM a WHERE tid = $pid AND fn IN $OURS")" 0
	expect_eq "threads4: every free in the allocating thread, by the allocating function" \
		"$(qa "$db" "SELECT count(*) FROM a WHERE fn = 'thread_churn' AND (free_tid IS NOT tid OR free_fn IS NOT 'thread_churn' OR free_func IS NOT 12)")" 0
	expect_eq "threads4: handoff blocks all freed by the main thread in free_handoffs" \
		"$(qa "$db" "SELECT DISTINCT free_tid, free_fn, free_func FROM a WHERE fn = 'handoff'")" "$pid|free_handoffs|12"
	expect_eq "threads4: leak sites are thread_leak called by worker" \
		"$(qa "$db" "SELECT DISTINCT fn, (SELECT function FROM site_frames s WHERE s.site = a.site AND s.pos = 1) FROM a WHERE free_ts IS NULL AND fn IN $OURS")" \
		"thread_leak|worker"
	for i in 0 1 2 3; do
		tid=$(sed -n "s/^thread $i tid //p" "$T/threads4.out")
		n=$((i + 1))
		expect_eq "threads4: thread $i (tid $tid): churn rows, bytes, freed" \
			"$(qa "$db" "SELECT count(*), sum(size), count(free_ts) FROM a WHERE fn = 'thread_churn' AND tid = '$tid'")" \
			"$((250 * n))|$((250 * n * 32 * n))|$((250 * n))"
		expect_eq "threads4: thread $i (tid $tid): leaks" \
			"$(qa "$db" "SELECT count(*), sum(size), sum(free_ts IS NULL) FROM a WHERE fn = 'thread_leak' AND tid = '$tid'")" \
			"$n|$((n * 1000 * n))|$n"
		expect_eq "threads4: thread $i (tid $tid): handoff rows" \
			"$(qa "$db" "SELECT count(*) FROM a WHERE fn = 'handoff' AND tid = '$tid'")" "$((10 * n))"
	done
fi

finish

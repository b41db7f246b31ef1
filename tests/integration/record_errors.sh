#!/usr/bin/env bash
# Launch-mode recordings of a double free and an interior free: glibc aborts the process, the
# recorder exits 134 like it, and the bad free is stored with its stack.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

# --- double_free: 6 rows, all freed; 1 error double_free by second_free (first: first_free).
db=$T/double_free.db
record double_free -o "$db" -- "$PROGS/double_free"
expect_eq "double_free: exit status 134 (SIGABRT)" "$rc" 134
expect_match "double_free: glibc's message passed through" "$(cat "$T/double_free.err")" "double free detected"
if db_ok double_free "$db"; then
	pid=$(sed -n 's/^pid //p' "$T/double_free.out")
	expect_eq "double_free: recording row" "$(q "$db" "SELECT pid, mode, exit_status FROM recording")" \
		"$pid|launch|134"
	expect_eq "double_free: per function: rows, bytes, live, freed by" \
		"$(qa "$db" "SELECT fn, count(*), sum(size), sum(free_ts IS NULL), free_fn, free_func FROM a GROUP BY fn ORDER BY fn")" \
		"good_pairs|5|120|0|good_pairs|12
make_victim|1|48|0|first_free|12"
	expect_eq "double_free: exactly one error: kind, innermost function, func" \
		"$(qa "$db" "SELECT kind, fn, func FROM e")" "double_free|second_free|12"
	victim=$(qa "$db" "SELECT id || '|' || addr FROM a WHERE fn = 'make_victim'")
	expect_eq "double_free: the error names the block and its first free" \
		"$(qa "$db" "SELECT alloc_id || '|' || addr, prev_fn FROM e")" "$victim|first_free"
	expect_eq "double_free: the error's caller is main" \
		"$(q "$db" "SELECT function FROM site_frames WHERE pos = 1 AND site = (SELECT site FROM errors)")" main
	expect_eq "double_free: the second free did not end the block again" \
		"$(q "$db" "SELECT count(*) FROM allocations WHERE free_ts > (SELECT ts FROM errors)")" 0
fi

# --- interior_free: 4 rows, 3 freed, 1 live (64 B); 1 error invalid_free by bad_free at +16.
db=$T/interior_free.db
record interior_free -o "$db" -- "$PROGS/interior_free"
expect_eq "interior_free: exit status 134 (SIGABRT)" "$rc" 134
expect_match "interior_free: glibc's message passed through" "$(cat "$T/interior_free.err")" "free\(\): invalid"
if db_ok interior_free "$db"; then
	pid=$(sed -n 's/^pid //p' "$T/interior_free.out")
	expect_eq "interior_free: recording row" "$(q "$db" "SELECT pid, mode, exit_status FROM recording")" \
		"$pid|launch|134"
	expect_eq "interior_free: per function: rows, bytes, live" \
		"$(qa "$db" "SELECT fn, count(*), sum(size), sum(free_ts IS NULL) FROM a GROUP BY fn ORDER BY fn")" \
		"good_pairs|3|72|0
make_block|1|64|1"
	expect_eq "interior_free: exactly one error: kind, innermost function, func" \
		"$(qa "$db" "SELECT kind, fn, func FROM e")" "invalid_free|bad_free|12"
	block=$(qa "$db" "SELECT id || '|' || (addr + 16) FROM a WHERE fn = 'make_block'")
	expect_eq "interior_free: the error's address is the block's + 16" \
		"$(qa "$db" "SELECT (SELECT id FROM a WHERE fn = 'make_block') || '|' || addr FROM e")" "$block"
	expect_match "interior_free: alloc_id is the block's row, or unknown" \
		"$(q "$db" "SELECT ifnull(alloc_id, 'null') FROM errors")" "^(${block%%|*}|null)$"
fi

finish

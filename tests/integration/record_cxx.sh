#!/usr/bin/env bash
# Launch-mode recording of cxx_new: every operator new/delete form, nested calls counted once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

# The C++ functions of cxx_new; stored names may be mangled (_ZL12leak_widgetsv) or not.
NAMES="plain_new_delete unsized_delete array_new_delete sized_array_delete nothrow_new nothrow_array aligned_new cxx_malloc leak_widgets leak_buffers"
name="CASE"
for n in $NAMES; do name="$name WHEN fn LIKE '%$n%' THEN '$n'"; done
name="$name END"
VIEWS="$VIEWS CREATE TEMP VIEW c AS SELECT *, $name AS name FROM a;"

db=$T/cxx_new.db
record cxx_new -o "$db" -- "$PROGS/cxx_new"
expect_eq "cxx_new: exit status" "$rc" 0
if db_ok cxx_new "$db"; then
	pid=$(sed -n 's/^pid //p' "$T/cxx_new.out")
	expect_eq "cxx_new: recording row" "$(q "$db" "SELECT pid, mode, exit_status FROM recording")" "$pid|launch|0"
	expect_eq "cxx_new: no errors" "$(q "$db" "SELECT count(*) FROM errors")" 0
	# name | func | rows | bytes | live | free_func (empty = live)
	expect_eq "cxx_new: per function: func, rows, bytes, live, free_func" \
		"$(qa "$db" "SELECT name, func, count(*), sum(size), sum(free_ts IS NULL), free_func FROM c WHERE name IS NOT NULL GROUP BY name, func, free_func ORDER BY name")" \
		"aligned_new|10|3|384|0|13
array_new_delete|11|5|500|0|14
cxx_malloc|1|2|96|0|12
leak_buffers|11|4|4000|4|
leak_widgets|10|6|240|6|
nothrow_array|11|2|400|0|14
nothrow_new|10|4|160|0|13
plain_new_delete|10|10|400|0|13
sized_array_delete|11|2|200|0|14
unsized_delete|10|3|192|0|13"
	expect_eq "cxx_new: innermost function of every leak of ours" \
		"$(qa "$db" "SELECT DISTINCT name FROM c WHERE free_ts IS NULL AND name IS NOT NULL ORDER BY name")" \
		"leak_buffers
leak_widgets"
	expect_eq "cxx_new: each delete made by the allocating function" \
		"$(qa "$db" "SELECT count(*) FROM c WHERE name IS NOT NULL AND free_ts IS NOT NULL AND free_fn IS NOT fn")" 0
	expect_eq "cxx_new: operator new/new[] rows are all ours (nested malloc not counted)" \
		"$(q "$db" "SELECT func, count(*) FROM allocations WHERE func IN (10, 11) GROUP BY func")" \
		"10|26
11|13"
	# libstdc++ (GCC 12) mallocs its emergency exception pool at startup and keeps it.
	expect_eq "cxx_new: the only other row is libstdc++'s emergency pool (malloc, live)" \
		"$(qa "$db" "SELECT func, count(*), sum(free_ts IS NULL), module LIKE '%libstdc++%' FROM c WHERE name IS NULL GROUP BY func")" \
		"1|1|1|1"
	expect_eq "cxx_new: totals: rows, freed, live blocks, live bytes" \
		"$(q "$db" "SELECT count(*), count(free_ts) FROM allocations")|$(qa "$db" "SELECT count(*), sum(size) FROM c WHERE free_ts IS NULL AND name IS NOT NULL")" \
		"42|31|10|4240"
	expect_eq "cxx_new: leak_widgets's frame has its file and line" \
		"$(qa "$db" "SELECT DISTINCT s.file LIKE '%cxx_new.cpp', s.line FROM c JOIN site_frames s ON s.site = c.site AND s.pos = 0 WHERE c.name = 'leak_widgets'")" \
		"1|$(line_of "$TOP/tests/progs/cxx_new.cpp" "sink(new Widget)")"
fi

finish

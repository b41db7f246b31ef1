#!/usr/bin/env bash
# Launch-mode recordings of dlopen_leak: leaks from a dlopen'ed library's function, symbolized
# as that library's, whether it is still mapped at the end (default) or dlclose'd (--close).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

OURS="('main_leak', 'leaky_leak', 'leaky_churn')"

for mode in open close; do
	db=$T/dlopen_$mode.db
	args=()
	[ $mode = close ] && args=(--close)
	record dlopen_$mode -o "$db" -- "$PROGS/dlopen_leak" "${args[@]}"
	expect_eq "dlopen ($mode): exit status" "$rc" 0
	db_ok "dlopen ($mode)" "$db" || continue
	pid=$(sed -n 's/^pid //p' "$T/dlopen_$mode.out")
	expect_eq "dlopen ($mode): recording row" "$(q "$db" "SELECT pid, mode, exit_status FROM recording")" \
		"$pid|launch|0"
	expect_eq "dlopen ($mode): no errors" "$(q "$db" "SELECT count(*) FROM errors")" 0
	expect_eq "dlopen ($mode): nothing dropped" "$(q "$db" "SELECT dropped_events FROM recording")" 0
	# fn | rows | bytes | live | module's file name
	expect_eq "dlopen ($mode): per function: rows, bytes, live, module" \
		"$(qa "$db" "SELECT fn, count(*), sum(size), sum(free_ts IS NULL), replace(module, rtrim(module, replace(module, '/', '')), '') FROM a WHERE fn IN $OURS GROUP BY fn ORDER BY fn")" \
		"leaky_churn|4|220|0|libleaky.so
leaky_leak|9|6993|9|libleaky.so
main_leak|2|66|2|dlopen_leak"
	expect_eq "dlopen ($mode): leaky_leak's module is the library's path" \
		"$(qa "$db" "SELECT DISTINCT module FROM a WHERE fn = 'leaky_leak'")" "$PROGS/libleaky.so"
	expect_eq "dlopen ($mode): leaky_leak's frame has its file and line, and main as caller" \
		"$(qa "$db" "SELECT DISTINCT s0.file LIKE '%libleaky.c', s0.line, s1.function FROM a JOIN site_frames s0 ON s0.site = a.site AND s0.pos = 0 JOIN site_frames s1 ON s1.site = a.site AND s1.pos = 1 WHERE a.fn = 'leaky_leak'")" \
		"1|$(line_of "$TOP/tests/progs/libleaky.c" "sink(malloc(777))")|main"
	expect_eq "dlopen ($mode): leaky_churn's frees made by leaky_churn" \
		"$(qa "$db" "SELECT DISTINCT free_fn, free_func FROM a WHERE fn = 'leaky_churn'")" "leaky_churn|12"
	expect_eq "dlopen ($mode): the other rows come from the dynamic linker, not from us" \
		"$(qa "$db" "SELECT count(*) FROM a WHERE (fn IS NULL OR fn NOT IN $OURS) AND ifnull(module, '') NOT LIKE '%/ld-linux-x86-64.so.2' AND ifnull(module, '') NOT LIKE '%/libc.so.6'")" 0
done

finish

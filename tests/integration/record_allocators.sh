#!/usr/bin/env bash
# The allocator that really serves malloc is the one probed: glibc, a preloaded jemalloc or
# tcmalloc, or a static executable's own. leaks3's numbers must come out the same each time.
. "$(dirname "$0")/../lib.sh"

# Rows, freed rows and live bytes of leaks3's own functions, and the leak sites by function.
OWN="SELECT count(*), count(a.free_ts), sum(CASE WHEN a.free_ts IS NULL THEN a.size ELSE 0 END)
     FROM allocations a JOIN site_frames sf ON sf.site = a.site AND sf.pos = 0
     WHERE sf.function IN ('churn', 'leak_a', 'leak_b', 'leak_c', 'scratch', 'zero')"
LEAKS="SELECT sf.function, count(*) FROM leaks a JOIN site_frames sf ON sf.site = a.site
       AND sf.pos = 0 WHERE sf.function LIKE 'leak_%' GROUP BY 1 ORDER BY 1"

check() { # NAME DB ALLOCATOR_REGEX
	expect_match "$1: allocator probed" "$(q "$2" "SELECT allocator FROM recording")" "$3"
	expect_eq "$1: leaks3's rows, freed, live bytes" "$(q "$2" "$OWN")" "82|61|5000"
	expect_eq "$1: leak sites" "$(q "$2" "$LEAKS")" "leak_a|3
leak_b|7
leak_c|11"
	expect_eq "$1: no errors" "$(q "$2" "SELECT count(*) FROM errors")" 0
	expect_eq "$1: malloc and free probed in the allocator" \
		"$(q "$2" "SELECT count(*) FROM probes p JOIN recording r ON p.module = r.allocator WHERE p.symbol IN ('malloc', 'free')")" 2
}

"$HS" record -o "$T/glibc.db" -- "$PROGS/leaks3" 0 >/dev/null 2>&1
check glibc "$T/glibc.db" 'libc\.so\.6$'

for lib in libjemalloc.so.2 libtcmalloc_minimal.so.4; do
	path=/usr/lib/x86_64-linux-gnu/$lib
	if [ ! -f "$path" ]; then
		not_ok "$lib is missing (make deps installs it)"
		continue
	fi
	LD_PRELOAD=$path "$HS" record -o "$T/$lib.db" -- "$PROGS/leaks3" 0 >/dev/null 2>&1
	check "$lib" "$T/$lib.db" "$lib\$"
done

CXX_FUNCS=$(for f in plain_new_delete unsized_delete array_new_delete sized_array_delete nothrow_new \
	nothrow_array aligned_new cxx_malloc leak_widgets leak_buffers; do
	printf "f.function LIKE '%%%s%%' OR " "$f"
done)
CXX_FUNCS="(${CXX_FUNCS% OR })"
# C++ under a preloaded jemalloc or tcmalloc: they bring their own operator new and delete (first
# in the lookup order, not calling malloc), which are the ones probed: cxx_new's 41 rows and 31
# frees, no false invalid free.
for lib in libjemalloc.so.2 libtcmalloc_minimal.so.4; do
	LD_PRELOAD=/usr/lib/x86_64-linux-gnu/$lib "$HS" record -o "$T/cxx-$lib.db" -- "$PROGS/cxx_new" \
		>/dev/null 2>&1
	expect_eq "C++ under $lib: operator new/delete probed in it" \
		"$(q "$T/cxx-$lib.db" "SELECT count(DISTINCT module) FROM probes WHERE symbol = '_Znwm'")|$(
			q "$T/cxx-$lib.db" "SELECT module FROM probes WHERE symbol = '_Znwm'" | grep -c "$lib")" "1|1"
	expect_eq "C++ under $lib: cxx_new's rows, frees and no errors" \
		"$(q "$T/cxx-$lib.db" "SELECT count(*), count(a.free_ts), (SELECT count(*) FROM errors)
		  FROM allocations a JOIN site_frames f ON f.site = a.site AND f.pos = 0
		  WHERE $CXX_FUNCS")" "41|31|0"
done

cc -static -O1 -g -fno-omit-frame-pointer -o "$T/leaks3-static" "$TOP/tests/progs/leaks3.c"
"$HS" record -o "$T/static.db" -- "$T/leaks3-static" 0 >/dev/null 2>&1
check static "$T/static.db" 'leaks3-static$'

# A program with no malloc anywhere: the notice names what was looked for. Followed (the
# default), its recording says so; with --no-follow there is nothing to record: an error.
printf '.globl _start\n_start: mov $60, %%eax\nxor %%edi, %%edi\nsyscall\n' >"$T/nomalloc.s"
cc -nostdlib -static -o "$T/nomalloc" "$T/nomalloc.s"
"$HS" record -o "$T/notice.db" -- "$T/nomalloc" 2>"$T/notice.err"
expect_eq "no allocator, followed: the program's exit status" "$?" 0
expect_match "no allocator, followed: a notice on stderr" "$(head -1 "$T/notice.err")" \
	"^heapscope: notice: pid [0-9]+: no allocator found: .*defines malloc \(looked for glibc"
expect_eq "no allocator, followed: the notice is in the recording" \
	"$(q "$T/notice.db" "SELECT kind, count(*) FROM notices")" "no_allocator|1"
"$HS" record --no-follow -o "$T/none.db" -- "$T/nomalloc" 2>"$T/none.err"
expect_eq "no allocator: exit status" "$?" 1
expect_match "no allocator: one line naming what was looked for" "$(cat "$T/none.err")" \
	"^heapscope: no allocator found: .*defines malloc \(looked for glibc, jemalloc, tcmalloc"
expect_eq "no allocator: no file left" "$(ls "$T/none.db" 2>/dev/null)" ""
finish

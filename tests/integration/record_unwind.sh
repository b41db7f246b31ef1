#!/usr/bin/env bash
# Full stacks through code without frame pointers (tests/progs/nofp_*, built -O2
# -fomit-frame-pointer as distributions build): the recorded chain equals the real one, frame
# for frame with file:line, through a shared library, operator new, a second thread, a library
# dlopen'ed after the recording started, and (by its frame pointers) a library without unwind
# tables; --stack=fp/caller and --max-depth as asked.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

trap kill_background EXIT

SRC=$TOP/tests/progs
# The chain of the allocation of SIZE, innermost first: our code as function:file:line, the C
# library's and the dynamic linker's frames (whose lines follow Debian's glibc updates) by
# function name.
chain() {
	q "$1" "SELECT group_concat(CASE WHEN module LIKE '%/libc.so.6' OR module LIKE '%/ld-linux-x86-64.so.2' THEN function
	  ELSE function || ifnull(':' || replace(file, rtrim(file, replace(file, '/', '')), '') || ':' || line, '') END, ' < ')
	  FROM (SELECT * FROM site_frames WHERE site = (SELECT site FROM allocations WHERE size = $2) ORDER BY pos)"
}
walk_end() { q "$1" "SELECT s.walk_end FROM allocations a JOIN stacks s ON s.id = a.site WHERE a.size = $2"; }
at() { echo "$1:$2:$(line_of "$SRC/$2" "$3")"; }

MAIN_TAIL="__libc_start_call_main < __libc_start_main < _start"
C=nofp_chain.c
CHAIN="$(at chain_c $C "site: chain_c") < $(at chain_b $C "site: chain_b") < $(at chain_a $C "site: chain_a")"
LIB_CHAIN() { echo "$(at lib_inner libnofp.c "site: lib_inner") < $(at lib_entry libnofp.c "site: lib_entry")"; }

# check NAME DB: the three chains of nofp_chain.
check_chains() {
	expect_eq "$1: main -> chain_a -> chain_b -> chain_c -> malloc, to _start" "$(chain "$2" 1001)" \
		"$CHAIN < $(at main $C "site: main chain") < $MAIN_TAIL"
	expect_eq "$1: main -> lib_entry -> lib_inner -> malloc, to _start" "$(chain "$2" 1002)" \
		"$(LIB_CHAIN) < $(at main $C "site: main lib") < $MAIN_TAIL"
	expect_eq "$1: second thread's chain, to its start" "$(chain "$2" 1003)" \
		"$CHAIN < $(at thread_main $C "site: thread_main") < start_thread < __clone3"
	expect_eq "$1: through a library without unwind tables, by its frame pointers" \
		"$(chain "$2" 1004)" "fp_inner < fp_entry < $(at main $C "site: main fp") < $MAIN_TAIL"
	expect_eq "$1: each stack complete" \
		"$(walk_end "$2" 1001) $(walk_end "$2" 1002) $(walk_end "$2" 1003) $(walk_end "$2" 1004)" \
		"complete complete complete complete"
}

# --- Launch mode, the library linked.
record chain -o "$T/chain.db" -- "$PROGS/nofp_chain"
expect_eq "chain: exit status" "$rc" 0
if db_ok chain "$T/chain.db"; then
	check_chains chain "$T/chain.db"
	expect_eq "chain: mode dwarf, tables for the program, libnofp, libc and ld.so; none for libfponly" \
		"$(q "$T/chain.db" "SELECT stack_mode, unwind_files >= 4, unwind_files_no_cfi FROM recording")" "dwarf|1|1"
	expect_eq "chain: a constructor run before main, up to the dynamic linker's entry code" \
		"$(chain "$T/chain.db" 1005) | $(walk_end "$T/chain.db" 1005)" \
		"$(at lib_init libnofp.c "site: lib_init") < call_init < _dl_init < _dl_start_user | complete"
	expect_eq "chain: two frames by frame pointer (fp_inner's and fp_entry's)" \
		"$(q "$T/chain.db" "SELECT fp_fallback_frames FROM recording")" 2
	expect_eq "chain: every allocation's stack complete (pthread_create's too)" \
		"$(q "$T/chain.db" "SELECT count(*) FROM allocations a JOIN stacks s ON s.id = a.site WHERE s.walk_end != 'complete'")" 0
fi

# --- Launch mode, the library dlopen'ed: the recorder holds the program at the dynamic
# linker's notice until the tables are in, so even the first call is unwound.
cp "$PROGS/libnofp.so" "$T/libnofp_dl.so"
record dl -o "$T/dl.db" -- "$PROGS/nofp_chain" --dlopen "$T/libnofp_dl.so"
expect_eq "dlopen: exit status" "$rc" 0
if db_ok dlopen "$T/dl.db"; then
	check_chains dlopen "$T/dl.db"
	expect_eq "dlopen: lib_inner's frame in the dlopen'ed copy" \
		"$(q "$T/dl.db" "SELECT module FROM site_frames WHERE site = (SELECT site FROM allocations WHERE size = 1002) AND pos = 0")" \
		"$T/libnofp_dl.so"
fi

# --- Attach mode, the library dlopen'ed after the attach and called at once: its constructor
# and first call run before the recorder has its tables, so the walks stop there and hand the
# recorder a copy of the stack, which it finishes with the tables.
start_target attach '^pid' "$PROGS/nofp_chain" --wait --dlopen "$T/libnofp_dl.so"
start_record attach
kill -USR1 "$target"
wait_child "attach: recorder" 30 "$rec"
expect_eq "attach: recorder status" "$rc" 0
if db_ok attach "$T/attach.db"; then
	check_chains attach "$T/attach.db"
	expect_eq "attach: the dlopen'ed constructor's stack goes through dlopen to main, complete" \
		"$(q "$T/attach.db" "SELECT s.walk_end, f.function FROM allocations a JOIN stacks s ON s.id = a.site
		  JOIN site_frames f ON f.site = a.site AND f.function = 'main' WHERE a.size = 1005")" "complete|main"
fi

# --- C++: operator new's caller and everything above it.
N=nofp_new.cpp
record new -o "$T/new.db" -- "$PROGS/nofp_new"
expect_eq "new: exit status" "$rc" 0
if db_ok new "$T/new.db"; then
	expect_eq "new[]: make_inner -> make_outer -> main, to _start" "$(chain "$T/new.db" 1000)" \
		"$(at "make_inner(int)" $N "site: make_inner array") < $(at "make_outer(int)" $N "site: make_outer") < $(at main $N "site: main array") < $MAIN_TAIL"
	expect_eq "new: make_inner -> make_outer -> main, to _start" "$(chain "$T/new.db" 24)" \
		"$(at "make_inner(int)" $N "site: make_inner node") < $(at "make_outer(int)" $N "site: make_outer") < $(at main $N "site: main node") < $MAIN_TAIL"
fi

# --- The other modes on the same program: what they promise, no more.
record fp -o "$T/fp.db" --stack=fp -- "$PROGS/nofp_chain"
if db_ok fp "$T/fp.db"; then
	expect_eq "fp: the caller is exact; the chain ends where the frame pointers do" \
		"$(q "$T/fp.db" "SELECT stack_mode FROM recording") $(chain "$T/fp.db" 1001 | cut -d' ' -f1) $(walk_end "$T/fp.db" 1001)" \
		"fp $(at chain_c $C "site: chain_c") fp"
fi
record caller -o "$T/caller.db" --stack=caller -- "$PROGS/nofp_chain"
if db_ok caller "$T/caller.db"; then
	expect_eq "caller: one frame per stack, marked caller_only" \
		"$(q "$T/caller.db" "SELECT DISTINCT s.depth || ' ' || s.walk_end FROM stacks s")" "1 caller_only"
fi
record depth -o "$T/depth.db" --max-depth 3 -- "$PROGS/nofp_chain"
if db_ok depth "$T/depth.db"; then
	expect_eq "--max-depth 3: three frames, marked depth" \
		"$(chain "$T/depth.db" 1001) | $(walk_end "$T/depth.db" 1001)" "$CHAIN | depth"
fi
record badmode -o "$T/bad.db" --stack=lbr -- "$PROGS/nofp_chain"
expect_eq "--stack=lbr: refused" "$rc $(cat "$T/badmode.err" | head -1)" "2 heapscope: --stack must be dwarf, fp or caller"
record baddepth -o "$T/bad.db" --max-depth 65 -- "$PROGS/nofp_chain"
expect_eq "--max-depth 65: refused" "$rc $(head -1 "$T/baddepth.err")" "2 heapscope: --max-depth must be 1-64"

finish

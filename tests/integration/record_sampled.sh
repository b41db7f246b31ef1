#!/usr/bin/env bash
# Sampled mode (record --sample BYTES): estimates within the bounds sampling theory gives (4
# standard deviations, computed from the rate by sampled_bounds.py), per site and in total, for
# a program with known bytes per site (16 B to 1 MiB, C and C++, nested and tail-jumped
# allocator calls) and for allocbench against an exact recording of the same run; unsampled
# calls make no event (BPF counters); the same seed samples the same calls; bad options.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

trap kill_background EXIT

# bounds NAME ARGS...: sampled_bounds.py's ok/FAIL lines counted as ours.
bounds() {
	local name=$1 line
	shift
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$name: ${line#ok - }" ;;
		"FAIL - "*) not_ok "$name: ${line#FAIL - }" ;;
		*) echo "# $line" ;;
		esac
	done < <(python3 "$TOP/tests/integration/sampled_bounds.py" "$@" 2>&1 || true)
}

counter() { q "$1" "SELECT value FROM bpf_counters WHERE name = '$2'"; }
emitted() { q "$1" "SELECT emitted FROM event_counts WHERE kind = '$2'"; }

# sample_sites: truth from its header (function:size:count:live).
SITES="site_16(long):16:400000:0,site_64(long):64:200000:50000,site_256(long):256:100000:0"
SITES="$SITES,site_1k(long):1024:40000:4000,site_4k(long):4096:20000:0"
SITES="$SITES,site_64k(long):65536:4000:2000,site_1m(long):1048576:400:100"
CALLS=764400 # its allocator calls, nested ones once

for rate in 4096 65536; do
	db="$T/sites-$rate.db"
	record "sites $rate" --sample "$rate" --sample-seed 11 -o "$db" -- "$PROGS/sample_sites"
	expect_eq "sites $rate: exit status" "$rc" 0
	db_ok "sites $rate" "$db" || continue
	expect_eq "sites $rate: the rate is stored" "$(q "$db" "SELECT sample_bytes FROM recording")" "$rate"
	bounds "sites $rate" "$db" --sites "$SITES"
	# Unsampled calls make no event: every outermost call is counted once as sampled or not
	# (libstdc++ makes one allocation at start-up), and only the sampled ones are sent.
	taken=$(counter "$db" sample_taken)
	expect_eq "sites $rate: sampled + unsampled calls = the program's calls" \
		$(($(counter "$db" sample_skipped) + taken)) $((CALLS + 1))
	expect_eq "sites $rate: one alloc event per sampled call, none for the others" \
		"$(emitted "$db" alloc)" "$taken"
	expect_eq "sites $rate: nested calls counted apart (new -> malloc, realloc(NULL) -> malloc)" \
		"$(( $(counter "$db" sample_nested) > 0 ))" 1
	expect_eq "sites $rate: free events only for sampled blocks" \
		"$(( $(emitted "$db" free) <= taken ))" 1
	expect_eq "sites $rate: the stored rows are the sampled blocks" \
		"$(q "$db" "SELECT count(*) FROM allocations")" "$taken"
	expect_eq "sites $rate: no misuse reported in sampled mode" \
		"$(q "$db" "SELECT count(*) FROM errors")" 0
	# Leak sites: every site that keeps blocks, and only those.
	expect_eq "sites $rate: the leaking sites are found" \
		"$(q "$db" "SELECT group_concat(fn, ',') FROM (SELECT DISTINCT sf.function AS fn
		  FROM leak_sites l JOIN site_frames sf ON sf.site = l.site AND sf.pos = 0
		  WHERE sf.function LIKE 'site_%' ORDER BY 1)")" \
		"site_1k(long),site_1m(long),site_64(long),site_64k(long)"
	expect_eq "sites $rate: 1 MiB blocks are always sampled, weight 1" \
		"$(q "$db" "SELECT count(*) || ' ' || sum(weight) FROM allocations WHERE size = 1048576")" \
		"400 400"
done

# Other allocators (preloaded through an exec): jemalloc and tcmalloc bring their own operator
# new and delete, probed instead of libstdc++'s.
for lib in libjemalloc.so.2 libtcmalloc_minimal.so.4; do
	record "$lib" --sample 4096 --sample-seed 11 -o "$T/$lib.db" -- \
		env LD_PRELOAD="/usr/lib/x86_64-linux-gnu/$lib" "$PROGS/sample_sites"
	db_ok "$lib" "$T/$lib.db" && bounds "$lib" "$T/$lib.db" --sites "$SITES"
done

# The same seed samples the same calls.
record "sites again" --sample 4096 --sample-seed 11 -o "$T/again.db" -- "$PROGS/sample_sites"
expect_eq "same seed: same sampled sizes, same estimate" \
	"$(q "$T/again.db" "SELECT count(*), sum(size), sum(weight) FROM allocations")" \
	"$(q "$T/sites-4096.db" "SELECT count(*), sum(size), sum(weight) FROM allocations")"

# allocbench (deterministic calls): its exact recording is the truth.
if make -s -C "$TOP" build/bench/allocbench >"$T/cc.err" 2>&1; then
	for threads in 1 2; do
		args=(--ops 300000 --mix --threads "$threads")
		record "allocbench exact $threads" -o "$T/ab-exact-$threads.db" -- "$TOP/build/bench/allocbench" "${args[@]}"
		record "allocbench sampled $threads" --sample 8192 --sample-seed 5 -o "$T/ab-$threads.db" \
			-- "$TOP/build/bench/allocbench" "${args[@]}"
		if db_ok "allocbench $threads threads exact" "$T/ab-exact-$threads.db" &&
			db_ok "allocbench $threads threads sampled" "$T/ab-$threads.db"; then
			expect_eq "allocbench $threads threads: nothing dropped" \
				"$(q "$T/ab-exact-$threads.db" "SELECT dropped_events FROM recording")" 0
			bounds "allocbench $threads threads" "$T/ab-$threads.db" --truth-db "$T/ab-exact-$threads.db"
		fi
	done
else
	not_ok "cannot build allocbench: $(head -1 "$T/cc.err")"
fi

# Attached to a running process and stopped while it runs: estimates so far, flagged sampled.
start_target churn ready "$PROGS/churn"
record "attach" --sample 1024 -p "$target" -o "$T/attach.db" --duration 1
kill "$target" 2>/dev/null
wait "$target" 2>/dev/null
expect_eq "attach: exit status" "$rc" 0
if db_ok "attach" "$T/attach.db"; then
	expect_eq "attach: sampled" "$(q "$T/attach.db" "SELECT sample_bytes FROM recording")" 1024
	expect_ge "attach: some samples" "$(q "$T/attach.db" "SELECT count(*) FROM allocations")" 1
	expect_eq "attach: every event accounted" \
		"$(q "$T/attach.db" "SELECT count(*) FROM event_counts WHERE emitted != stored + after_cut")" 0
fi

# Every test program, sampled: every report format says its numbers are estimates; pprof's
# values are the weighted ones (go tool pprof -top -sample_index=alloc_space, in bytes).
for exe in "$PROGS"/*; do
	p=$(basename "$exe")
	[ -f "$exe" ] && [ -x "$exe" ] && [ "${p%.so}" = "$p" ] || continue
	case $p in signal_batch | exec_on_signal | sample_sites) continue ;; esac # signals; above
	# Until killed, or held on stdin or a signal: the tests of the scan and the faults run them.
	case $p in many_threads | ticker | reach_* | storm | attach_frees) continue ;; esac
	db="$T/prog-$p.db"
	case $p in
	churn) record "$p" --sample 512 -o "$db" -- "$exe" 1 ;;
	leak_grow) record "$p" --sample 512 -o "$db" -- "$exe" 10 ;;
	spawn_exec) record "$p" --sample 512 -o "$db" -- "$exe" spawn "$PROGS/leaks3" ;;
	*) record "$p" --sample 512 -o "$db" -- "$exe" ;;
	esac
	db_ok "$p sampled" "$db" || continue
	"$HS" report -d "$db" >"$T/$p.txt" 2>"$T/$p.rerr"
	expect_match "$p: text says sampled first" "$(head -1 "$T/$p.txt")" "^SAMPLED: 1 sample per 512 B"
	expect_eq "$p: every text section with numbers says estimated" 		"$(grep '^== ' "$T/$p.txt" | grep -v -e '(estimated)' -e '^== Allocator misuse$' | head -3)" ""
	"$HS" report -d "$db" --format json >"$T/$p.json" 2>>"$T/$p.rerr"
	expect_eq "$p: JSON says sampled" "$(jq -r '.sampling.mode + " " + (.sampling.mean_bytes|tostring)' "$T/$p.json")" "sampled 512"
	"$HS" report -d "$db" --format csv >"$T/$p.csv" 2>>"$T/$p.rerr"
	expect_match "$p: CSV has the estimated column" "$(head -1 "$T/$p.csv")" "estimated"
	if command -v go >/dev/null; then
		"$HS" report -d "$db" --format pprof -o "$T/$p.pb.gz" 2>>"$T/$p.rerr"
		top=$(go tool pprof -top -unit=B -sample_index=alloc_space "$T/$p.pb.gz" 2>&1 |
			sed -n 's/.* of \([0-9]*\)B total.*/\1/p' | head -1)
		want=$(q "$db" "SELECT coalesce(sum(size * weight), 'none') FROM allocations") # none: empty
		expect_eq "$p: pprof alloc_space total is the weighted estimate" "${top:-none}" "$want"
	else
		not_ok "$p: go is not installed (make deps): cannot read the pprof profile"
	fi
done

# Bad values: one line, exit status 2 or 1, no file.
for bad in -1 1.5 4097G x 12Q; do
	record "bad $bad" --sample "$bad" -o "$T/bad.db" -- true
	expect_eq "--sample $bad: refused" "$(( rc != 0 ))" 1
	expect_match "--sample $bad: says why" "$(head -1 "$T/bad $bad.err")" "invalid --sample"
done
record "seed alone" --sample-seed 3 -o "$T/bad.db" -- true
expect_match "--sample-seed without --sample: says why" "$(head -1 "$T/seed alone.err")" "goes with --sample"
expect_eq "no file from bad options" "$(ls "$T"/bad.db 2>/dev/null)" ""
record "zero" --sample 0 -o "$T/zero.db" -- "$PROGS/leaks3"
expect_eq "--sample 0 is exact" "$(q "$T/zero.db" "SELECT sample_bytes, count(*), sum(weight) FROM allocations, recording")" "0|82|82"
record "suffix" --sample 64K -o "$T/k.db" -- "$PROGS/leaks3"
expect_eq "--sample 64K" "$(q "$T/k.db" "SELECT sample_bytes FROM recording")" 65536

finish

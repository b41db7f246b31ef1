#!/usr/bin/env bash
# heapscope benchmarks (`make bench`): the overhead table (allocbench with 1 and 2 threads,
# sqlite3, cc1, redis-server attached; under the floors, heapscope's modes and heaptrack) with the
# recorder's own cost, store ingest, reports, the server, process trees, the stop cut and the
# reachability scan (against memcheck's leak check); on
# request, the older allocbench series (bare / floor / traced / bpftrace entry probes), stack
# modes and sqlite3 series. Prints ratios; never fails on a figure.
#
# Knobs (environment): BENCH_ROUNDS (3, the table's interleaved rounds), BENCH_TABLE_OPS
# (500000, allocbench in the table), BENCH_REDIS_REQUESTS (50000 per redis-benchmark test),
# BENCH_REDIS_PORT (6390), BENCH_OPS (2000000), BENCH_RUNS (5, default mix), BENCH_MIX_RUNS (3,
# --mix), BENCH_STACK_RUNS (3, stack modes), BENCH_SQLITE_RUNS (3), BENCH_INGEST_ROWS (2000000),
# BENCH_REPORT_OPS (10000000), BENCH_ONLY (a space-separated subset of: table alloc mix stack
# ingest sqlite report serve tree cut scan; default: table ingest report serve tree cut scan),
# BENCH_SCAN_BLOCKS (1048576 blocks of 1 KiB scanned), BENCH_SCAN_VG_BLOCKS (131072, memcheck's).
set -u
cd "$(dirname "$0")/.."

BUILD=build
HS=$BUILD/heapscope
AB=$BUILD/bench/allocbench
FLOOR=$BUILD/bench/floor
INGEST=$BUILD/bench/ingest
BT_SCRIPT=bench/entry_probes.bt
SQL_SCRIPT=bench/sqlite_workload.sql
OPS=${BENCH_OPS:-2000000}
RUNS=${BENCH_RUNS:-5}
MIX_RUNS=${BENCH_MIX_RUNS:-3}
SQLITE_RUNS=${BENCH_SQLITE_RUNS:-3}
INGEST_ROWS=${BENCH_INGEST_ROWS:-2000000}

# Standalone use builds what is needed; under `make bench` the prerequisites are already built.
if [ -z "${MAKELEVEL:-}" ]; then
	make -s bench-bins || exit 1
fi
for bin in "$HS" "$AB" "$FLOOR" "$INGEST" "$BUILD/bench/selfstat"; do
	[ -x "$bin" ] || { echo "bench: $bin is missing: run make bench-bins" >&2; exit 1; }
done
for tool in bpftrace heaptrack sqlite3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found: run make deps" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: BPF needs root: run as root" >&2; exit 1; }

TMP=$(mktemp -d /tmp/heapscope-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# Every traced run uses one copy of the recorder, even if build/heapscope is rebuilt meanwhile.
HS_BUILT=$(date -u -r "$HS" '+%Y-%m-%d %H:%M:%S UTC')
cp "$HS" "$TMP/heapscope" || exit 1
HS_SRC=$HS
HS=$TMP/heapscope
LOGS=$TMP/logs
mkdir -p "$LOGS"
NOTES=$TMP/notes
: >"$NOTES"
CMDS=$TMP/commands
: >"$CMDS"
RESULTS=$TMP/results
: >"$RESULTS"

note() { echo "$*" >>"$NOTES"; echo "  note: $*" >&2; }
cmdline() { grep -qxF -- "$*" "$CMDS" || echo "$*" >>"$CMDS"; }

# The median of the numbers on stdin (the lower middle one for an even count).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "NA" }'; }

# a / b with two decimals, NA if either is missing or b is zero.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b + 0 == 0) print "NA"; else printf "%.2f\n", a / b }'; }

ops_of() { sed -n 's/.*"ops_per_sec":\([0-9.]*\).*/\1/p' "$1" | tail -1; }

# Runs one configuration of allocbench; appends "config ops_per_sec" to $TMP/ops.$tag.
# $1 tag (default|mix), $2 config, $3 run number, rest: allocbench arguments.
run_alloc() {
	local tag=$1 cfg=$2 i=$3 log ops rc
	shift 3
	log=$LOGS/$tag.$cfg.$i
	case $cfg in
	bare)
		cmdline "$AB $*"
		"$AB" "$@" >"$log.out" 2>"$log.err"
		rc=$? ;;
	floor)
		cmdline "$FLOOR $TMP/probes.db -- $AB $*"
		"$FLOOR" "$TMP/probes.db" -- "$AB" "$@" >"$log.out" 2>"$log.err"
		rc=$? ;;
	traced)
		cmdline "$HS record -o $TMP/x.db -- $AB $*"
		rm -f "$TMP"/x.db*
		"$HS" record -o "$TMP/x.db" -- "$AB" "$@" >"$log.out" 2>"$log.err"
		rc=$?
		recording_stats "$tag" "$log" ;;
	entry)
		cmdline "bpftrace -c '$AB $*' $BT_SCRIPT"
		bpftrace -c "$AB $*" "$BT_SCRIPT" >"$log.out" 2>"$log.err"
		rc=$? ;;
	esac
	ops=$(ops_of "$log.out")
	if [ "$rc" != 0 ] || [ -z "$ops" ]; then
		note "$tag/$cfg run $i: exit status $rc, no ops_per_sec ($(tail -1 "$log.err"))"
		ops=NA
	fi
	echo "$cfg $ops" >>"$TMP/ops.$tag"
	printf '  %-8s %-6s run %d: %s ops/s\n' "$tag" "$cfg" "$i" "$ops" >&2
}

# After a traced run: stored events/s, drops and heapscope's own complaints.
recording_stats() {
	local tag=$1 log=$2 row
	row=$(sqlite3 -separator ' ' "$TMP/x.db" \
		"SELECT (SELECT count(*) FROM allocations) + (SELECT count(free_ts) FROM allocations),
		        duration_ns, dropped_events, untracked_frees, stack_collisions, stack_map_full,
		        (SELECT count(*) FROM errors)
		 FROM recording" 2>>"$log.err")
	if [ -z "$row" ]; then
		note "$tag/traced: cannot read the recording ($(tail -1 "$log.err"))"
		return
	fi
	echo "$row" >>"$TMP/rec.$tag"
	grep -v '^heapscope: recording pid\|^heapscope: exited after' "$log.err" |
		sed "s|^|$tag/traced stderr: |" | head -3 >>"$NOTES"
}

# One allocbench series: $1 tag, $2 runs, rest allocbench arguments.
alloc_series() {
	local tag=$1 runs=$2 i cfg
	shift 2
	: >"$TMP/ops.$tag"
	: >"$TMP/rec.$tag"
	echo "allocbench $* : $runs interleaved rounds of bare, floor, traced, entry-probes" >&2
	for ((i = 1; i <= runs; i++)); do
		for cfg in bare floor traced entry; do
			run_alloc "$tag" "$cfg" "$i" "$@"
		done
	done
	grep -h 'entry_hits=' "$LOGS/$tag.floor."*.err 2>/dev/null | tail -1 |
		sed "s/^floor: /$tag floor hits (last run): /" >>"$NOTES"
	summarize_alloc "$tag" "$runs" "$*"
}

med_of() { awk -v c="$2" '$1 == c && $2 != "NA" { print $2 }' "$TMP/ops.$1" | median; }

summarize_alloc() {
	local tag=$1 runs=$2 args=$3 bare floor traced entry evs drops other
	bare=$(med_of "$tag" bare)
	floor=$(med_of "$tag" floor)
	traced=$(med_of "$tag" traced)
	entry=$(med_of "$tag" entry)
	evs=$(awk '$2 > 0 { printf "%.0f\n", $1 / ($2 / 1e9) }' "$TMP/rec.$tag" | median)
	drops=$(awk '{ s += $3; if ($3 > m) m = $3 } END { printf "%d\n", m }' "$TMP/rec.$tag")
	other=$(awk '{ u += $4; c += $5; f += $6; e += $7 } END { printf "untracked_frees %d, stack_collisions %d, stack_map_full %d, errors %d\n", u, c, f, e }' "$TMP/rec.$tag")
	{
		echo "== allocbench $args (median of $runs interleaved runs, allocbench's ops_per_sec)"
		printf '  %-34s %14s\n' "bare ops/s" "$bare" "floor ops/s" "$floor" \
			"traced (heapscope) ops/s" "$traced" "entry-probes (bpftrace) ops/s" "$entry"
		printf '  %-34s %14s   %s\n' \
			"traced / bare (slowdown)" "$(ratio "$bare" "$traced")x" "" \
			"floor / bare (slowdown)" "$(ratio "$bare" "$floor")x" "" \
			"traced / floor" "$(ratio "$floor" "$traced")x" "target <= 1.3x" \
			"entry-probes / traced" "$(ratio "$traced" "$entry")x" \
			"how many times faster heapscope is; target >= 8x" \
			"events/s stored (allocs+frees)" "$evs" "rows / recording.duration_ns" \
			"dropped_events (max of the runs)" "$drops" "target 0 (default mix)"
		printf '  %-34s %s\n' "other counters (sum of the runs)" "$other"
	} >>"$RESULTS"
}

# allocbench under each --stack mode, with the kernel's BPF run-time statistics on: traced / bare
# per mode, and what the full unwind adds per stack (BPF time per alloc_enter / free_enter run).
stack_modes_bench() {
	local runs=${BENCH_STACK_RUNS:-3} i m log ops stats_was
	stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
	sysctl -qw kernel.bpf_stats_enabled=1 || note "stack modes: cannot enable kernel.bpf_stats_enabled"
	: >"$TMP/ops.stack"
	: >"$TMP/bpf.stack"
	echo "allocbench --ops $OPS: $runs interleaved rounds of bare and --stack=caller|fp|dwarf" >&2
	for ((i = 1; i <= runs; i++)); do
		for m in bare caller fp dwarf; do
			log=$LOGS/stack.$m.$i
			rm -f "$TMP"/st.db*
			if [ $m = bare ]; then
				"$AB" --ops "$OPS" >"$log.out" 2>"$log.err"
			else
				cmdline "$HS record --stack=$m -o $TMP/st.db -- $AB --ops $OPS"
				"$HS" record --stack=$m -o "$TMP/st.db" -- "$AB" --ops "$OPS" >"$log.out" 2>"$log.err"
				sqlite3 -separator ' ' "$TMP/st.db" "SELECT '$m', name, run_time_ns / runs
					FROM bpf_programs WHERE runs > 0 AND name IN ('alloc_enter', 'free_enter')
					UNION ALL SELECT '$m', 'depth', round(sum(s.depth * ss.allocs) * 1.0 / sum(ss.allocs), 1)
					FROM site_stats ss JOIN stacks s ON s.id = ss.site" >>"$TMP/bpf.stack" 2>>"$log.err"
			fi
			ops=$(ops_of "$log.out")
			echo "$m ${ops:-NA}" >>"$TMP/ops.stack"
			printf '  stack    %-6s run %d: %s ops/s\n' "$m" "$i" "${ops:-NA}" >&2
		done
	done
	sysctl -qw kernel.bpf_stats_enabled="$stats_was"
	local bare caller fp dwarf
	bare=$(med_of stack bare)
	caller=$(med_of stack caller)
	fp=$(med_of stack fp)
	dwarf=$(med_of stack dwarf)
	bpf_ns() { awk -v m="$1" -v p="$2" '$1 == m && $2 == p { print $3 }' "$TMP/bpf.stack" | median; }
	{
		echo "== stack modes: allocbench --ops $OPS (median of $runs interleaved runs)"
		for m in caller fp dwarf; do
			printf '  %-34s %14s   %s\n' "--stack=$m: traced / bare" \
				"$(ratio "$bare" "$(med_of stack $m)")x" \
				"BPF ns per alloc_enter $(bpf_ns $m alloc_enter), per free_enter $(bpf_ns $m free_enter); mean depth $(bpf_ns $m depth)"
		done
		printf '  %-34s %14s   %s\n' "dwarf / caller (slowdown)" "$(ratio "$caller" "$dwarf")x" "target <= 1.3x" \
			"fp / caller (slowdown)" "$(ratio "$caller" "$fp")x" ""
		printf '  %-34s %14s   %s\n' "full unwind, extra ns per stack" \
			"$(awk -v a="$(bpf_ns dwarf alloc_enter)" -v b="$(bpf_ns caller alloc_enter)" 'BEGIN { if (a != "NA" && b != "NA") printf "%.0f", a - b; else print "NA" }')" \
			"alloc_enter BPF time, dwarf - caller; target <= 300"
	} >>"$RESULTS"
}

ingest_bench() {
	local out
	echo "store ingest: $INGEST_ROWS rows" >&2
	cmdline "$INGEST $TMP/ingest.db $INGEST_ROWS"
	out=$("$INGEST" "$TMP/ingest.db" "$INGEST_ROWS" 2>"$LOGS/ingest.err")
	rm -f "$TMP"/ingest.db*
	{
		echo "== store ingest ($INGEST_ROWS allocation rows, commit every 100k)"
		if [ -z "$out" ]; then
			echo "  failed: $(tail -1 "$LOGS/ingest.err")"
			return
		fi
		echo "$out" | awk -F'[:,}]' '{
			printf "  %-34s %14s   %s\n", "rows/s (inserts + commits)", $6, "target >= 1,000,000"
			printf "  %-34s %14s   %s\n", "rows/s incl. store_end_recording", $10, "indexes + close"
		}'
	} >>"$RESULTS"
}

# Wall seconds of one sqlite3 run; $1 config. Output compared with the bare run's.
sqlite_run() {
	local cfg=$1 i=$2 t0 t1 rc log=$LOGS/sqlite.$1.$2
	rm -rf "$TMP"/s.db* "$TMP"/ht*
	t0=$(date +%s%N)
	case $cfg in
	bare) sqlite3 :memory: <"$SQL_SCRIPT" >"$log.out" 2>"$log.err" ;;
	traced) "$HS" record -o "$TMP/s.db" -- sqlite3 :memory: <"$SQL_SCRIPT" >"$log.out" 2>"$log.err" ;;
	heaptrack) heaptrack -o "$TMP/ht" sqlite3 :memory: <"$SQL_SCRIPT" >"$log.out" 2>"$log.err" ;;
	esac
	rc=$?
	t1=$(date +%s%N)
	if [ "$rc" != 0 ]; then
		note "sqlite/$cfg run $i: exit status $rc ($(tail -1 "$log.err"))"
		return
	fi
	# heaptrack's wrapper prints its own lines around the program's output on stdout.
	if ! cmp -s <(sed -n '/^heaptrack output will be written/,/^starting application/d
		/^Heaptrack finished/,$d; p' "$log.out") "$LOGS/sqlite.bare.1.out"; then
		note "sqlite/$cfg run $i: output differs from the bare run"
	fi
	if [ "$cfg" = traced ]; then
		sqlite3 -separator ' ' "$TMP/s.db" "SELECT (SELECT count(*) FROM allocations),
			duration_ns, dropped_events FROM recording" >>"$TMP/rec.sqlite" 2>>"$log.err"
		# Stack depth per allocation: mean, p99, and the share that reached the entry point.
		sqlite3 -separator ' ' "$TMP/s.db" "WITH d AS (SELECT s.depth, s.walk_end, a.site
			FROM allocations a JOIN stacks s ON s.id = a.site)
			SELECT avg(depth), (SELECT depth FROM d ORDER BY depth LIMIT 1 OFFSET
			(SELECT count(*) * 99 / 100 FROM d)), avg(walk_end = 'complete') * 100 FROM d" \
			>>"$TMP/depth.sqlite" 2>>"$log.err"
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }' >>"$TMP/sqlite.$cfg"
	printf '  sqlite %-9s run %d: %.2f s\n' "$cfg" "$i" "$(tail -1 "$TMP/sqlite.$cfg")" >&2
}

sqlite_bench() {
	local i cfg bare traced ht
	echo "sqlite3: $SQLITE_RUNS interleaved rounds of bare, traced, heaptrack" >&2
	cmdline "sqlite3 :memory: < $SQL_SCRIPT"
	cmdline "$HS record -o $TMP/s.db -- sqlite3 :memory: < $SQL_SCRIPT"
	cmdline "heaptrack -o $TMP/ht sqlite3 :memory: < $SQL_SCRIPT"
	: >"$TMP/rec.sqlite"
	: >"$TMP/depth.sqlite"
	for ((i = 1; i <= SQLITE_RUNS; i++)); do
		for cfg in bare traced heaptrack; do
			touch "$TMP/sqlite.$cfg"
			sqlite_run "$cfg" "$i"
		done
	done
	bare=$(median <"$TMP/sqlite.bare")
	traced=$(median <"$TMP/sqlite.traced")
	ht=$(median <"$TMP/sqlite.heaptrack")
	{
		echo "== sqlite3 shell, $SQL_SCRIPT (median of $SQLITE_RUNS, wall seconds end to end)"
		printf '  %-34s %14s\n' "bare s" "$bare" "traced (heapscope) s" "$traced" \
			"heaptrack s" "$ht"
		printf '  %-34s %14s\n' "traced / bare" "$(ratio "$traced" "$bare")x" \
			"heaptrack / bare" "$(ratio "$ht" "$bare")x"
		awk '{ n = $1; d = $2; dr += $3 } END { if (NR) printf "  %-34s %14s   %s\n",
			"allocations per traced run", n, sprintf("recording %.2f s, %d dropped in all", d / 1e9, dr) }' \
			"$TMP/rec.sqlite"
	awk 'END { if (NR) printf "  %-34s %14s   %s\n", "stack depth per allocation",
		sprintf("mean %.1f", $1), sprintf("p99 %d; %.1f%% reach the entry point", $2, $3) }' \
		"$TMP/depth.sqlite"
	} >>"$RESULTS"
}

# Report speed on a big recording: seconds and peak RSS of each view (JSON) and each format.
report_bench() {
	local db=$TMP/report.db n=${BENCH_REPORT_OPS:-10000000} line
	cmdline "$HS record -o $db -- $AB --ops $n"
	if ! "$HS" record -o "$db" -- "$AB" --ops "$n" >"$LOGS/report_rec.out" 2>"$LOGS/report_rec.err"; then
		note "report bench: the recording failed: $(tail -1 "$LOGS/report_rec.err")"
		return
	fi
	{
		echo "== report on a recording of $(sqlite3 "$db" "SELECT count(*) FROM allocations") allocations" \
			"($(du -m "$db" | cut -f1) MiB; targets: <= 1 s for summary, sites, leaks, lifetimes;" \
			"<= 5 s for html; <= 200 MiB RSS)"
		for v in summary sites leaks lifetimes sizes errors timeline advice; do
			cmdline "$HS report -d $db --view $v --format json -o /dev/null"
			line=$(/usr/bin/time -f "%e %M" "$HS" report -d "$db" --view "$v" --format json \
				-o "$TMP/r.out" 2>&1 >/dev/null | tail -1)
			printf '  %-34s %8s s %8s MiB RSS\n' "view $v (json)" "${line% *}" "$(( ${line#* } / 1024 ))"
		done
		for f in text csv pprof collapsed html; do
			cmdline "$HS report -d $db --format $f -o /dev/null"
			line=$(/usr/bin/time -f "%e %M" "$HS" report -d "$db" --format "$f" \
				-o "$TMP/r.out" 2>&1 >/dev/null | tail -1)
			printf '  %-34s %8s s %8s MiB RSS\n' "format $f" "${line% *}" "$(( ${line#* } / 1024 ))"
		done
	} >>"$RESULTS"
}

# The server on report_bench's recording: wrk against the first page of sites and against the
# summary, requests/s and p99 latency (target p99 <= 100 ms for /api/sites).
serve_bench() {
	local db=$TMP/report.db out=$TMP/serve.url pid url path log rps p99 bad i
	if [ ! -f "$db" ]; then
		note "serve bench: no recording (the report bench failed)"
		return
	fi
	command -v wrk >/dev/null || { note "serve bench: wrk not found: run make deps"; return; }
	cmdline "$HS serve -d $db --port 0"
	"$HS" serve -d "$db" --port 0 >"$out" 2>"$LOGS/serve.err" &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '^http://' "$out" && break
		sleep 0.1
	done
	url=$(head -1 "$out")
	url=${url%/}
	if [ -z "$url" ]; then
		note "serve bench: the server did not start: $(tail -1 "$LOGS/serve.err")"
		kill "$pid" 2>/dev/null
		return
	fi
	{
		echo "== serve on the same recording (wrk -t2 -c8 -d5s --latency; target p99 <= 100 ms" \
			"for the first page of /api/sites)"
		for path in /api/sites /api/summary; do
			log=$LOGS/wrk.${path##*/}
			cmdline "wrk -t2 -c8 -d5s --latency $url$path"
			wrk -t2 -c8 -d5s --latency "$url$path" >"$log" 2>&1
			rps=$(awk '/^Requests\/sec:/ { print $2 }' "$log")
			p99=$(awk '$1 == "99%" { print $2 }' "$log")
			bad=$(awk -F': *' '/Non-2xx or 3xx responses/ { print ", " $2 " non-2xx responses" }' "$log")
			printf '  %-34s %10s req/s   p99 %s%s\n' "GET $path" "${rps:-NA}" "${p99:-NA}" "$bad"
		done
	} >>"$RESULTS"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# Process trees: a shell loop running leaks3 50 times, bare and traced (each process and each
# exec followed), wall time of 3 interleaved rounds.
tree_bench() {
	local loop="for i in \$(seq 50); do $BUILD/progs/leaks3 0 >/dev/null; done" i t bare traced
	: >"$TMP/tree"
	echo "tree: 50-process shell loop, 3 interleaved rounds of bare and traced" >&2
	cmdline "sh -c '$loop'"
	cmdline "$HS record -o $TMP/tree.db -- sh -c '$loop'"
	for ((i = 1; i <= 3; i++)); do
		/usr/bin/time -f "%e" -o "$TMP/t" sh -c "$loop" >/dev/null
		echo "bare $(tail -1 "$TMP/t")" >>"$TMP/tree"
		rm -f "$TMP"/tree.db*
		/usr/bin/time -f "%e" -o "$TMP/t" "$HS" record -o "$TMP/tree.db" -- sh -c "$loop" \
			>/dev/null 2>"$LOGS/tree.err"
		echo "traced $(tail -1 "$TMP/t")" >>"$TMP/tree"
	done
	bare=$(awk '$1 == "bare" { print $2 }' "$TMP/tree" | median)
	traced=$(awk '$1 == "traced" { print $2 }' "$TMP/tree" | median)
	{
		echo "== process tree: sh loop of 50 leaks3 runs (101 program images followed)"
		printf '  bare %s s, traced %s s: traced / bare %s; %s processes rows, %s errors\n' \
			"$bare" "$traced" "$(ratio "$traced" "$bare")" \
			"$(sqlite3 "$TMP/tree.db" "SELECT count(*) FROM processes")" \
			"$(sqlite3 "$TMP/tree.db" "SELECT count(*) FROM errors")"
	} >>"$RESULTS"
}

# The stop cut on a live target: allocbench attached for 2 s, 3 times; misuse errors (must be 0),
# events the cut discarded, and the time from the cut to the recorder's exit.
cut_bench() {
	local i pid t db=$TMP/cut.db
	{
		echo "== stop cut: allocbench --ops 50000000 attached, record --duration 2 (3 runs)"
		for ((i = 1; i <= 3; i++)); do
			"$AB" --ops 50000000 --wait >"$TMP/cut.out" 2>&1 &
			pid=$!
			sleep 0.3
			kill -USR1 "$pid"
			rm -f "$db"*
			cmdline "$HS record -p PID --duration 2 -o $db"
			/usr/bin/time -f "%e" -o "$TMP/t" "$HS" record -p "$pid" --duration 2 -o "$db" \
				2>"$LOGS/cut.err"
			t=$(tail -1 "$TMP/t")
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			sqlite3 -separator ' ' "$db" "SELECT (SELECT count(*) FROM errors),
				(SELECT sum(after_cut) FROM event_counts),
				(SELECT count(*) FROM event_counts WHERE emitted != received
				   OR received != stored + after_cut), duration_ns / 1e9 FROM recording" |
				awk -v t="$t" '{ printf "  run: %d errors, %d events after the cut, %d kinds" \
					" unaccounted; recorder exit %.2f s after the cut\n", $1, $2, $3, t - $4 }'
		done
	} >>"$RESULTS"
}

# ---- Reachability scan: heapscope scan -p on a live heap of 1 GiB in 1M blocks (reach_big: one
# list from a global, so every block is read), its stop time and speed; and how long Valgrind's
# memcheck takes for its leak check of the same program at exit, measured at a smaller size.
scan_bench() {
	local n=${BENCH_SCAN_BLOCKS:-1048576} vgn=${BENCH_SCAN_VG_BLOCKS:-131072} big=$BUILD/progs/reach_big
	local rec pid t0 t1 line i k
	{
		echo "== reachability scan: reach_big $n blocks x 1 KiB, recorded (record --no-follow), heapscope scan -p"
		mkfifo "$TMP/scan.go"
		exec 5<>"$TMP/scan.go"
		export HEAPSCOPE_RUN_DIR=$TMP/run
		cmdline "$HS record --no-follow -o $TMP/scan.db -- $big $n 1024 READY; $HS scan -p PID --json"
		"$HS" record --no-follow -o "$TMP/scan.db" -- "$big" "$n" 1024 "$TMP/scan.ready" \
			<"$TMP/scan.go" >/dev/null 2>"$LOGS/scan.err" &
		rec=$!
		for ((i = 0; i < 1200; i++)); do [ -s "$TMP/scan.ready" ] && break; sleep 0.1; done
		pid=$(awk '{ print $2 }' "$TMP/scan.ready" 2>/dev/null)
		for k in 1 2 3; do
			if [ -z "$pid" ] || ! "$HS" scan -p "$pid" --json >"$TMP/scan$k.json" 2>>"$LOGS/scan.err"; then
				echo "  scan failed: $(tail -1 "$LOGS/scan.err")"
				break
			fi
			jq -r '"  scan \(input_line_number): stopped \(.stop_ns / 1e6 | floor) ms, whole scan \(.scan_ns / 1e6 | floor) ms, read \((.roots_bytes + .blocks_bytes) / 1048576 | floor) MiB: \(.scan_ns / 1e9 / ((.roots_bytes + .blocks_bytes) / 1073741824) * 100 | floor / 100) s per GiB scanned; \(.reachable_blocks) blocks still reachable"' \
				"$TMP/scan$k.json" | sed "s/scan 1:/scan $k:/"
		done
		printf x >&5
		wait "$rec" 2>/dev/null
		exec 5>&-
		unset HEAPSCOPE_RUN_DIR
		echo "== memcheck (valgrind --leak-check=full) on reach_big $vgn blocks x 1 KiB: its leak check at exit"
		rm -f "$TMP/vg.ready"
		mkfifo "$TMP/vg.go"
		exec 5<>"$TMP/vg.go"
		cmdline "valgrind --leak-check=full $big $vgn 1024 READY"
		t0=$(date +%s%N)
		valgrind --leak-check=full --log-file="$LOGS/vg.log" "$big" "$vgn" 1024 "$TMP/vg.ready" \
			<"$TMP/vg.go" >/dev/null 2>&1 &
		rec=$!
		while [ ! -s "$TMP/vg.ready" ] && kill -0 "$rec" 2>/dev/null; do sleep 0.1; done
		t1=$(date +%s%N)
		printf x >&5
		wait "$rec"
		line=$(date +%s%N)
		exec 5>&-
		awk -v a="$t0" -v b="$t1" -v c="$line" -v n="$vgn" -v N="$n" 'BEGIN {
			printf "  run up to ready %.2f s, leak check at exit %.2f s (%d blocks); linear to %d blocks: %.1f s\n",
				(b - a) / 1e9, (c - b) / 1e9, n, N, (c - b) / 1e9 * N / n }'
		grep -m1 'still reachable:' "$LOGS/vg.log" | sed 's/^==[0-9]*==/  memcheck:/'
	} >>"$RESULTS"
}

# ---- The overhead table (BENCH_ONLY=table): every workload under every configuration, in
# BENCH_ROUNDS interleaved rounds; each cell is the median over rounds of that round's ratio to
# the round's own bare run. Configurations:
#   floor     the floor program (bench/floor.c) counting hits on all of heapscope's probes
#   floor2    the same with only two entry probes: malloc and free, at heapscope's offsets
#   dwarf     heapscope record (default: full stacks)
#   caller    heapscope record --stack=caller
#   sampled   heapscope record --sample SAMPLING_DEFAULT_BYTES (agent/sampling.h)
#   heaptrack heaptrack (LD_PRELOAD; -p: injected with gdb)
# kernel.bpf_stats_enabled is on for the whole section (every BPF configuration pays its two
# clock reads per program run alike).
TABLE_CFGS="bare floor floor2 dwarf caller sampled heaptrack"
TABLE_WORKLOADS="ab1 ab2 sqlite cc1 redis"
CC1=/usr/lib/gcc/x86_64-linux-gnu/12/cc1
CC1_INPUT=$BUILD/bench/cc1_input.i
SELFSTAT=$BUILD/bench/selfstat
TABLE_OPS=${BENCH_TABLE_OPS:-500000}
REDIS_REQUESTS=${BENCH_REDIS_REQUESTS:-50000}
REDIS_PORT=${BENCH_REDIS_PORT:-6390}

# The sampled column exists once record has --sample; its default rate is the header's.
sample_bytes() {
	local expr
	"$HS" record --help 2>&1 | grep -q -- --sample || return 1
	expr=$(sed -n 's/^#define SAMPLING_DEFAULT_BYTES[[:space:]]*(\{0,1\}\([0-9 *]*\))\{0,1\}.*/\1/p' \
		agent/sampling.h 2>/dev/null)
	[ -n "$expr" ] || return 1
	echo $((expr))
}

workload_label() {
	case $1 in
	ab1) echo "allocbench --ops $TABLE_OPS, 1 thread" ;;
	ab2) echo "allocbench --ops $TABLE_OPS, 2 threads" ;;
	sqlite) echo "sqlite3 shell, $SQL_SCRIPT" ;;
	cc1) echo "cc1 -O2 $(basename "$CC1_INPUT") ($(wc -l <"$CC1_INPUT") lines)" ;;
	redis) echo "redis-server attached: redis-benchmark req/s" ;;
	esac
}

# Runs one workload (in the foreground; stdin from the SQL script for sqlite) behind the
# configuration's wrapper: "$@" is the wrapper, then --, then nothing: the workload is $W_CMD.
workload_cmd() {
	case $1 in
	ab1) W_CMD=("$AB" --ops "$TABLE_OPS") ;;
	ab2) W_CMD=("$AB" --ops "$TABLE_OPS" --threads 2) ;;
	sqlite) W_CMD=(sqlite3 :memory:) ;;
	cc1) W_CMD=("$CC1" -quiet -O2 "$CC1_INPUT" -o /dev/null) ;;
	esac
}

# The wrapper of a configuration for a launched command (array T_PRE), or for an attach (-p).
cfg_prefix() {
	local cfg=$1 db=$2 ss=$3
	case $cfg in
	bare) T_PRE=() ;;
	floor) T_PRE=("$FLOOR" "$PROBES_DB") ;;
	floor2) T_PRE=("$FLOOR" --only malloc,free "$PROBES_DB") ;;
	dwarf) T_PRE=("$SELFSTAT" "$ss" -- "$HS" record -o "$db") ;;
	caller) T_PRE=("$SELFSTAT" "$ss" -- "$HS" record --stack=caller -o "$db") ;;
	sampled) T_PRE=("$SELFSTAT" "$ss" -- "$HS" record --sample "$SAMPLE_BYTES" -o "$db") ;;
	heaptrack) T_PRE=(heaptrack -o "$TMP/ht") ;;
	esac
}

# After a heapscope run: what the recording holds and what the recorder cost; after a floor run,
# its program's kernel statistics. Lines "W CFG ROUND ..." in $TMP/cost and $TMP/bpf.
table_stats() {
	local w=$1 cfg=$2 i=$3 db=$4 ss=$5 log=$6 row
	case $cfg in
	floor | floor2)
		sed -n 's/^floor: runs=\([0-9]*\) run_time_ns=\([0-9]*\)/\1 \2/p' "$log.err" |
			awk -v k="$w $cfg $i" '{ print k, "count_hit", $1, $2 }' >>"$TMP/bpf" ;;
	dwarf | caller | sampled)
		row=$(sqlite3 -separator ' ' "$db" "SELECT (SELECT count(*) FROM allocations),
			(SELECT coalesce(sum(weight), 0) FROM allocations),
			(SELECT count(*) FROM allocations WHERE free_ts IS NULL),
			(SELECT coalesce(max(live_blocks), 0) FROM timeline), dropped_events FROM recording" \
			2>>"$log.err")
		if [ -z "$row" ] || [ ! -s "$ss" ]; then
			note "table $w/$cfg round $i: no recording or no recorder statistics ($(tail -1 "$log.err"))"
			return
		fi
		echo "$w $cfg $i $row $(cat "$ss")" >>"$TMP/cost"
		sqlite3 -separator ' ' "$db" "SELECT '$w $cfg $i', name, runs, run_time_ns
			FROM bpf_programs WHERE runs > 0" >>"$TMP/bpf" 2>>"$log.err" ;;
	esac
}

# One launched workload under one configuration: appends "W CFG ROUND value" to $TMP/tab, the
# value being allocbench's ops/s or the wall seconds of the whole run (tracer start and end
# included).
table_launch() {
	local w=$1 cfg=$2 i=$3 log=$LOGS/table.$1.$2.$3 db=$TMP/t.db ss=$TMP/ss rc t0 t1 v
	rm -rf "$db"* "$ss" "$TMP"/ht*
	workload_cmd "$w"
	cfg_prefix "$cfg" "$db" "$ss"
	[ "$cfg" = bare ] || [ "$cfg" = heaptrack ] || T_PRE+=(--)
	[ $i = 1 ] && cmdline "${T_PRE[*]} ${W_CMD[*]}$([ "$w" = sqlite ] && echo " < $SQL_SCRIPT")"
	t0=$(date +%s%N)
	if [ "$w" = sqlite ]; then
		"${T_PRE[@]}" "${W_CMD[@]}" <"$SQL_SCRIPT" >"$log.out" 2>"$log.err"
	else
		"${T_PRE[@]}" "${W_CMD[@]}" >"$log.out" 2>"$log.err" </dev/null
	fi
	rc=$?
	t1=$(date +%s%N)
	case $w in
	ab1 | ab2) v=$(ops_of "$log.out") ;;
	*) v=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }') ;;
	esac
	if [ "$rc" != 0 ] || [ -z "$v" ]; then
		note "table $w/$cfg round $i: exit status $rc ($(tail -1 "$log.err"))"
		v=NA
	fi
	echo "$w $cfg $i $v" >>"$TMP/tab"
	printf '  %-6s %-9s round %d: %s %s\n' "$w" "$cfg" "$i" "$v" \
		"$(case $w in ab*) echo ops/s ;; *) echo s ;; esac)" >&2
	table_stats "$w" "$cfg" "$i" "$db" "$ss" "$log"
}

# redis-benchmark's requests/s over its tests (total requests / total time).
redis_rps() {
	redis-benchmark -p "$REDIS_PORT" -q -n "$REDIS_REQUESTS" -c 20 -t set,get --csv \
		2>/dev/null | awk -F'"' -v n="$REDIS_REQUESTS" 'NR > 1 && $4 > 0 { t += n / $4; k++ }
		END { if (k) printf "%.0f\n", k * n / t }'
}

# Polls for the pattern $1 for up to $2 tenths of a second in the files $3...
wait_for() {
	local pat=$1 n=$2 i
	shift 2
	for ((i = 0; i < n; i++)); do
		grep -qs "$pat" "$@" && return 0
		sleep 0.1
	done
	return 1
}

# A fresh redis-server per configuration and round: bare requests/s, then the tracer attached
# (-p), requests/s again, then the server shut down (which ends the tracer). Appends
# "redis CFG ROUND bare_rps traced_rps" to $TMP/redis.
table_redis() {
	local cfg=$1 i=$2 log=$LOGS/table.redis.$1.$2 db=$TMP/t.db ss=$TMP/ss rpid tpid bare traced
	local marker t
	rm -rf "$db"* "$ss" "$TMP"/ht*
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
		>"$log.server" 2>&1 &
	rpid=$!
	wait_for "Ready to accept connections" 100 "$log.server" || {
		note "table redis/$cfg round $i: redis-server did not start ($(tail -1 "$log.server"))"
		kill "$rpid" 2>/dev/null
		wait "$rpid" 2>/dev/null
		return
	}
	bare=$(redis_rps)
	cfg_prefix "$cfg" "$db" "$ss"
	case $cfg in
	floor | floor2) T_PRE+=(-p "$rpid"); marker='probes on pid' ;;
	dwarf | caller | sampled) T_PRE+=(-p "$rpid"); marker='recording pid' ;;
	heaptrack) T_PRE+=(-p "$rpid"); marker='injection finished' ;;
	esac
	[ $i = 1 ] && cmdline "${T_PRE[*]}   (redis-server --port $REDIS_PORT --save '' --appendonly no;" \
		"redis-benchmark -p $REDIS_PORT -q -n $REDIS_REQUESTS -c 20 -t set,get --csv)"
	"${T_PRE[@]}" >"$log.out" 2>"$log.err" </dev/null &
	tpid=$!
	if wait_for "$marker" 300 "$log.err" "$log.out"; then
		traced=$(redis_rps)
	else
		note "table redis/$cfg round $i: the tracer did not attach ($(tail -1 "$log.err"))"
	fi
	redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
	# heaptrack's gdb may hold on; the others end with their target.
	for ((t = 0; t < 300; t++)); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.1; done
	kill -INT "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	echo "redis $cfg $i ${bare:-NA} ${traced:-NA}" >>"$TMP/redis"
	printf '  %-6s %-9s round %d: bare %s, traced %s req/s\n' redis "$cfg" "$i" "${bare:-NA}" \
		"${traced:-NA}" >&2
	table_stats redis "$cfg" "$i" "$db" "$ss" "$log"
}

# Whether W ran under CFG and failed every time.
table_failed() {
	awk -v w="$1" -v c="$2" '$1 == w && $2 == c { n++; if ($4 != "NA" && (w != "redis" || $5 != "NA")) ok++ }
		END { exit !(n && !ok) }' "$TMP/tab" "$TMP/redis"
}

# The median over rounds of the per-round slowdown of W under CFG (x bare), or NA.
table_cell() {
	local w=$1 cfg=$2
	if [ "$w" = redis ]; then
		awk -v c="$cfg" '$2 == c && $4 != "NA" && $5 != "NA" && $5 > 0 { print $4 / $5 }' \
			"$TMP/redis" | median
		return
	fi
	awk -v w="$w" -v c="$cfg" '$1 == w && $2 == "bare" { b[$3] = $4 }
		$1 == w && $2 == c { v[$3] = $4 }
		END { for (i in v) if (v[i] != "NA" && b[i] != "NA" && b[i] > 0 && v[i] > 0)
			print (w ~ /^ab/) ? b[i] / v[i] : v[i] / b[i] }' "$TMP/tab" | median
}

table_bench() {
	local rounds=${BENCH_ROUNDS:-3} i w cfg stats_was cells c
	SAMPLE_BYTES=$(sample_bytes) || SAMPLE_BYTES=
	[ -x "$CC1" ] || { note "table: $CC1 not found (gcc 12): the cc1 row is skipped"; }
	command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
		note "table: redis-server or redis-benchmark not found (make deps): no redis row"
	stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
	sysctl -qw kernel.bpf_stats_enabled=1 || note "table: cannot enable kernel.bpf_stats_enabled"
	: >"$TMP/tab"; : >"$TMP/redis"; : >"$TMP/cost"; : >"$TMP/bpf"
	# redis uses jemalloc: the floors attach where heapscope attaches to it.
	REDIS_PROBES_DB=$TMP/redis_probes.db
	echo "table: $rounds interleaved rounds of $TABLE_CFGS" \
		"(sampled: ${SAMPLE_BYTES:-n/a, no --sample yet})" >&2
	for ((i = 1; i <= rounds; i++)); do
		for w in $TABLE_WORKLOADS; do
			[ "$w" = cc1 ] && [ ! -x "$CC1" ] && continue
			for cfg in $TABLE_CFGS; do
				[ "$cfg" = sampled ] && [ -z "$SAMPLE_BYTES" ] && continue
				if [ "$w" = redis ]; then
					[ "$cfg" = bare ] && continue
					command -v redis-server >/dev/null || continue
					PROBES_DB=$REDIS_PROBES_DB
					[ -f "$PROBES_DB" ] || redis_probes
					table_redis "$cfg" "$i"
				else
					PROBES_DB=$TMP/probes.db
					table_launch "$w" "$cfg" "$i"
				fi
			done
		done
	done
	sysctl -qw kernel.bpf_stats_enabled="$stats_was"
	table_print "$rounds"
}

# The probe list of heapscope on redis (jemalloc), from a one-second attached recording.
redis_probes() {
	local rpid log=$LOGS/redis_probes
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
		>"$log.server" 2>&1 &
	rpid=$!
	if wait_for "Ready to accept connections" 100 "$log.server"; then
		"$HS" record -p "$rpid" --duration 1 -o "$REDIS_PROBES_DB" >"$log.out" 2>"$log.err" ||
			note "table: the redis reference recording failed ($(tail -1 "$log.err"))"
	fi
	redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
}

table_print() {
	local rounds=$1 w cfg v line
	{
		echo "== overhead table: x bare, median over $rounds interleaved rounds of each round's" \
			"ratio to its own bare run"
		echo "   (allocbench: bare ops/s / traced ops/s; sqlite3, cc1: traced / bare wall" \
			"seconds, tracer start and end included; redis: bare / traced req/s, and traced" \
			"req/s as a % of bare)"
		echo
		echo "| workload | floor | floor2 | heapscope dwarf | heapscope caller | heapscope sampled | heaptrack |"
		echo "|---|---|---|---|---|---|---|"
		for w in $TABLE_WORKLOADS; do
			line="| $(workload_label "$w") |"
			for cfg in floor floor2 dwarf caller sampled heaptrack; do
				if [ "$cfg" = sampled ] && [ -z "$SAMPLE_BYTES" ]; then
					line+=" n/a (no --sample yet) |"
					continue
				fi
				v=$(table_cell "$w" "$cfg")
				if [ "$v" = NA ] && table_failed "$w" "$cfg"; then
					line+=" failed (notes) |"
				elif [ "$v" = NA ]; then
					line+=" NA |"
				elif [ "$w" = redis ]; then
					line+=" $(awk -v r="$v" 'BEGIN { printf "%.2f× (%.0f%%)", r, 100 / r }') |"
				else
					line+=" $(awk -v r="$v" 'BEGIN { printf "%.2f×", r }') |"
				fi
			done
			echo "$line"
		done
		echo
		bare_med() { awk -v w="$1" '$1 == w && $2 == "bare" && $4 != "NA" { print $4 }' "$TMP/tab" | median; }
		echo "   sampled = --sample ${SAMPLE_BYTES:-(absent)}; bare medians: ab1 $(bare_med ab1) ops/s," \
			"ab2 $(bare_med ab2) ops/s, sqlite $(bare_med sqlite) s, cc1 $(bare_med cc1) s," \
			"redis $(awk '$4 != "NA" { print $4 }' "$TMP/redis" | median) req/s"
		echo
		echo "== recorder cost (median over rounds; CPU = the heapscope process's own user+sys," \
			"not the target's; RSS = its VmHWM)"
		printf '  %-8s %-8s %9s %7s %8s %10s %9s %13s %9s %13s %7s\n' workload mode allocs \
			"CPU s" "us/alloc" "peak RSS" "live@end" "RSS/live@end" "peak live" "RSS/peak live" dropped
		for w in $TABLE_WORKLOADS; do
			for cfg in dwarf caller sampled; do
				awk -v w="$w" -v c="$cfg" '$1 == w && $2 == c' "$TMP/cost" | table_cost_row
			done
		done
		echo "  (allocs = allocation rows stored; us/alloc = CPU s / allocs, fixed costs included;" \
			"sampled: the rows are the samples, whose weights estimate the calls made)"
		echo
		echo "== BPF time per program run (kernel.bpf_stats_enabled; median over rounds):" \
			"ns/run, runs per round"
		awk '{ print $1, $2, $4 }' "$TMP/bpf" | sort -u | while read -r w cfg prog; do
			awk -v w="$w" -v c="$cfg" -v p="$prog" '$1 == w && $2 == c && $4 == p && $5 > 0 {
				print $6 / $5, $5 }' "$TMP/bpf" | sort -g | awk -v k="$w $cfg $prog" '
				{ ns[NR] = $1; r[NR] = $2 } END { if (NR) printf "  %-34s %8.0f ns %12d runs\n",
					k, ns[int((NR + 1) / 2)], r[int((NR + 1) / 2)] }'
		done
	} >>"$RESULTS"
}

# stdin: the cost lines of one workload and mode ("W CFG ROUND rows weight live_end peak_live
# dropped user sys rss_kib"); prints one row of medians.
table_cost_row() {
	awk '{ n++; rows[n] = $4; cs[n] = $9 + $10; cpu[n] = cs[n] * 1e6 / ($4 > 0 ? $4 : 1); rss[n] = $11
		le[n] = $6; pl[n] = $7; dr[n] = $8; w = $1; c = $2; wt[n] = $5 }
	function med(a,   i, j, t, b) { for (i = 1; i <= n; i++) b[i] = a[i]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
		return b[int((n + 1) / 2)] }
	END { if (!n) exit
		r = med(rss); l = med(le); p = med(pl)
		printf "  %-8s %-8s %9d %7.2f %8.2f %6.1f MiB %9d %9.1f KiB %9d %9.1f KiB %7d\n", w, c,
			med(rows), med(cs), med(cpu), r / 1024, l, l ? r / l : 0, p, p ? r / p : 0, med(dr) }'
}

start=$(date +%s)
echo "heapscope bench: $(uname -r), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')" >&2

# The floor attaches where heapscope attaches: take the probe list from a short recording.
cmdline "$HS record -o $TMP/probes.db -- $AB --ops 1000"
if ! "$HS" record -o "$TMP/probes.db" -- "$AB" --ops 1000 >"$LOGS/probes.out" 2>"$LOGS/probes.err"; then
	echo "bench: the reference recording failed: $(tail -1 "$LOGS/probes.err")" >&2
	exit 1
fi

ONLY=" ${BENCH_ONLY:-table ingest report serve tree cut scan} "
want() { [[ $ONLY == *" $1 "* ]]; }
want table && table_bench
want alloc && alloc_series default "$RUNS" --ops "$OPS"
want mix && alloc_series mix "$MIX_RUNS" --ops "$OPS" --mix
want stack && stack_modes_bench
want ingest && ingest_bench
want sqlite && sqlite_bench
want report && report_bench
want serve && serve_bench
want tree && tree_bench
want cut && cut_bench
want scan && scan_bench

echo
echo "heapscope bench results ($(uname -r), $(nproc) CPUs, $(($(date +%s) - start)) s)"
echo "recorder: a copy of $HS_SRC built $HS_BUILT"
cat "$RESULTS"
echo "== probe sites (from the reference recording)"
sqlite3 -separator ' ' "$TMP/probes.db" "SELECT count(*), sum(emulated), sum(retprobe) FROM probes" |
	awk '{ printf "  %d probes, %d on emulated instructions, %d with return probes\n", $1, $2, $3 }'
echo "== notes"
if [ -s "$NOTES" ]; then sed 's/^/  /' "$NOTES"; else echo "  none"; fi
echo "== commands ($TMP is a temporary directory, removed at exit)"
sed 's/^/  /' "$CMDS"

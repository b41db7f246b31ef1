#!/usr/bin/env bash
# heapscope benchmarks (`make bench`): allocbench bare / floor / traced / entry probes, store
# ingest, and sqlite3 bare / traced / heaptrack. Prints ratios; never fails on a figure.
#
# Knobs (environment): BENCH_OPS (2000000), BENCH_RUNS (5, default mix), BENCH_MIX_RUNS (3,
# --mix), BENCH_STACK_RUNS (3, stack modes), BENCH_SQLITE_RUNS (3), BENCH_INGEST_ROWS (2000000),
# BENCH_ONLY (a space-separated subset of: alloc mix stack ingest sqlite report serve tree cut).
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
for bin in "$HS" "$AB" "$FLOOR" "$INGEST"; do
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

start=$(date +%s)
echo "heapscope bench: $(uname -r), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')" >&2

# The floor attaches where heapscope attaches: take the probe list from a short recording.
cmdline "$HS record -o $TMP/probes.db -- $AB --ops 1000"
if ! "$HS" record -o "$TMP/probes.db" -- "$AB" --ops 1000 >"$LOGS/probes.out" 2>"$LOGS/probes.err"; then
	echo "bench: the reference recording failed: $(tail -1 "$LOGS/probes.err")" >&2
	exit 1
fi

ONLY=" ${BENCH_ONLY:-alloc mix stack ingest sqlite report serve tree cut} "
want() { [[ $ONLY == *" $1 "* ]]; }
want alloc && alloc_series default "$RUNS" --ops "$OPS"
want mix && alloc_series mix "$MIX_RUNS" --ops "$OPS" --mix
want stack && stack_modes_bench
want ingest && ingest_bench
want sqlite && sqlite_bench
want report && report_bench
want serve && serve_bench
want tree && tree_bench
want cut && cut_bench

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

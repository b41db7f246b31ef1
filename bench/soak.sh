#!/usr/bin/env bash
# heapscope soak (`make soak`): allocbench at full speed for SOAK_SECONDS under
# `heapscope record --serve`, the dashboard's API polled every second meanwhile (/api/summary,
# /api/sites, /api/timeline, /api/flame, as the live dashboard does). Prints the recorder's RSS
# every SOAK_INTERVAL s, then: RSS after attach, at the end and at its peak; dropped events and
# the drop rate; events/s; database bytes per million events; API latency p50/p99 and any
# non-200. Printed, never asserted.
#
# Knobs (environment): SOAK_SECONDS (600), SOAK_THREADS (allocbench threads, 1), SOAK_INTERVAL
# (30 s between RSS samples), SOAK_PORT (7391), SOAK_KEEP (set: keep the recording, say where).
set -u
cd "$(dirname "$0")/.."

BUILD=build
HS=$BUILD/heapscope
BENCH=$BUILD/bench/allocbench
SECONDS_TOTAL=${SOAK_SECONDS:-600}
THREADS=${SOAK_THREADS:-1}
INTERVAL=${SOAK_INTERVAL:-30}
PORT=${SOAK_PORT:-7391}
API=http://127.0.0.1:$PORT/api
ROUTES="summary sites timeline flame"

if [ -z "${MAKELEVEL:-}" ]; then
	make -s "$HS" "$BENCH" || exit 1
fi
for bin in "$HS" "$BENCH"; do
	[ -x "$bin" ] || { echo "soak: $bin is missing: run make $bin" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "soak: BPF needs root: run as root" >&2; exit 1; }
command -v curl >/dev/null || { echo "soak: curl is missing (make deps)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/heapscope-soak.XXXXXX)
poller=
hs=
cleanup() {
	[ -n "$poller" ] && kill "$poller" 2>/dev/null
	[ -n "$hs" ] && kill -INT "$hs" 2>/dev/null
	[ -n "${SOAK_KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
cp "$HS" "$TMP/heapscope" || exit 1
DB=$TMP/soak.db

# RSS and its peak so far (VmRSS, VmHWM) of pid $1 in KiB; nothing once it is gone.
rss_of() { awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { if (r) print r, h }' "/proc/$1/status" 2>/dev/null; }
cpu_of() { awk '{ sub(/.*\) /, ""); printf "%.1f\n", ($12 + $13) / ticks }' ticks="$(getconf CLK_TCK)" "/proc/$1/stat" 2>/dev/null; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
db_bytes() { cat "$DB" "$DB-wal" 2>/dev/null | wc -c; }

# Every second, each route once: "ROUTE HTTP_CODE SECONDS" lines into $TMP/latency.
poll_api() {
	while :; do
		for r in $ROUTES; do
			printf '%s ' "$r"
			curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}\n' "$API/$r" ||
				echo "000 10"
		done >>"$TMP/latency"
		sleep 1
	done
}

# Waits (at most 30 s) for the recorder to serve a recording that has allocations: attached.
wait_attached() {
	local end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ]; do
		curl -s -m 2 "$API/summary" 2>/dev/null | grep -q '"allocs": *[1-9]' && return 0
		kill -0 "$hs" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# The RSS table while the workload runs, for SECONDS_TOTAL; the last sample into last_rss.
sample_loop() {
	local end=$(($(date +%s) + SECONDS_TOTAL)) now wait rss hwm
	printf '%8s %12s %12s %10s %12s\n' "t (s)" "RSS (MiB)" "peak (MiB)" "CPU (s)" "db (MiB)"
	while now=$(date +%s) && [ "$now" -lt "$end" ]; do
		wait=$((end - now < INTERVAL ? end - now : INTERVAL))
		sleep "$wait"
		read -r rss hwm < <(rss_of "$hs") || return 1
		last_rss=$rss
		awk -v t=$(($(date +%s) - start)) -v r="$rss" -v h="$hwm" -v c="$(cpu_of "$hs")" \
			-v d="$(db_bytes)" 'BEGIN { printf "%8d %12.1f %12.1f %10s %12.0f\n",
				t, r / 1024, h / 1024, c, d / 1048576 }'
	done
}

# p50/p99 (ms) and non-200 count of the latency lines of one route (all routes: "").
latency_line() {
	awk -v want="$1" '$1 == want || want == "" { print $3 * 1000, $2 }' "$TMP/latency" |
		sort -n | awk '{ n++; t[n] = $1; if ($2 != "200") bad++ }
		END { if (!n) { print "no requests"; exit }
			printf "%5d requests, p50 %7.1f ms, p99 %7.1f ms, %d not 200\n",
				n, t[int((n - 1) * 0.50) + 1], t[int((n - 1) * 0.99) + 1], bad }'
}

echo "soak: heapscope record --serve -- $BENCH --threads $THREADS (exact, full stacks)" \
	"for $SECONDS_TOTAL s; API polled every second; RSS every $INTERVAL s" >&2
# More operations than it can make in the time: the soak stops it, not its own end.
"$TMP/heapscope" record --serve --port "$PORT" -o "$DB" -- "$BENCH" --threads "$THREADS" \
	--ops $((SECONDS_TOTAL * 5000000)) >"$TMP/out" 2>"$TMP/err" &
hs=$!
if ! wait_attached; then
	echo "soak: the recorder did not attach and serve within 30 s:" >&2
	cat "$TMP/err" >&2
	exit 1
fi
start=$(date +%s)
read -r start_rss _ < <(rss_of "$hs")
poll_api &
poller=$!
last_rss=
sample_loop
read -r end_rss peak_rss < <(rss_of "$hs")
bench_pid=$(pgrep -P "$hs" -x allocbench)
kill "$poller" 2>/dev/null
wait "$poller" 2>/dev/null
poller=
elapsed=$(($(date +%s) - start))
# The recording ends when its only process does (killed); the recorder then goes on serving.
[ -n "$bench_pid" ] && kill "$bench_pid"
end=$((SECONDS + 120))
until curl -s -m 2 "$API/summary" | grep -q '"end_reason": *"killed"'; do
	[ $SECONDS -lt $end ] && kill -0 "$hs" 2>/dev/null || break
	sleep 0.2
done
kill -INT "$hs"
wait "$hs"
rc=$?
hs=
grep -v '^heapscope: serving' "$TMP/err" | tail -1

# One row of sums over every event type: emitted, dropped, stored.
read -r emitted dropped stored < <(sqlite3 -separator ' ' "$DB" \
	"SELECT sum(emitted), sum(dropped), sum(stored) FROM event_counts")
allocs=$(sqlite3 "$DB" "SELECT count(*) FROM allocations")
size=$(db_bytes)
# The recorder exits with its command's status: 143 is allocbench ended by the SIGTERM above.
echo "soak: recorder exit status $rc (143: allocbench's, stopped by the soak); allocbench ran" \
	"${elapsed} s traced"
echo "soak: recorder RSS after attach $(mib "$start_rss"), at the end $(mib "$end_rss")," \
	"peak $(mib "$peak_rss")"
awk -v e="${emitted:-0}" -v d="${dropped:-0}" -v s="${stored:-0}" -v a="$allocs" -v t="$elapsed" \
	-v b="$size" 'BEGIN {
	printf "soak: %d events emitted, %d stored, %d dropped (%.4f%%); %d allocations\n",
		e, s, d, e ? 100 * d / e : 0, a
	printf "soak: %.0f events/s, %.0f allocations/s\n", t ? s / t : 0, t ? a / t : 0
	printf "soak: database %.1f MiB, %.1f MiB per million events (%.0f bytes per event)\n",
		b / 1048576, s ? b / 1048576 / (s / 1e6) : 0, s ? b / s : 0 }'
for r in $ROUTES; do
	printf 'soak: /api/%-9s %s\n' "$r" "$(latency_line "$r")"
done
printf 'soak: %-14s %s\n' "every request" "$(latency_line "")"
[ -n "${SOAK_KEEP:-}" ] && echo "soak: the recording is kept in $DB"
exit 0

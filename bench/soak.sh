#!/usr/bin/env bash
# heapscope soak (`make soak`): one long exact recording of a steady workload (build/bench/steady:
# a fixed allocation rate, a bounded live set), printing the recorder's RSS every 30 s and, at
# the end, the last sample over the first. Printed, never asserted.
#
# Knobs (environment): SOAK_SECONDS (600), SOAK_RATE (20000 allocations/s), SOAK_INTERVAL (30 s
# between samples), SOAK_KEEP (set: keep the recording and say where).
set -u
cd "$(dirname "$0")/.."

BUILD=build
HS=$BUILD/heapscope
STEADY=$BUILD/bench/steady
SECONDS_TOTAL=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-20000}
INTERVAL=${SOAK_INTERVAL:-30}

if [ -z "${MAKELEVEL:-}" ]; then
	make -s "$HS" "$STEADY" || exit 1
fi
for bin in "$HS" "$STEADY"; do
	[ -x "$bin" ] || { echo "soak: $bin is missing: run make $bin" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "soak: BPF needs root: run as root" >&2; exit 1; }

TMP=$(mktemp -d /tmp/heapscope-soak.XXXXXX)
[ -n "${SOAK_KEEP:-}" ] || trap 'rm -rf "$TMP"' EXIT
cp "$HS" "$TMP/heapscope" || exit 1
DB=$TMP/soak.db

# RSS and the peak so far (VmRSS, VmHWM) of pid $1, in KiB; nothing once it is gone.
rss_of() { awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { if (r) print r, h }' "/proc/$1/status" 2>/dev/null; }
cpu_of() { awk '{ sub(/.*\) /, ""); printf "%.1f\n", ($12 + $13) / ticks }' ticks="$(getconf CLK_TCK)" "/proc/$1/stat" 2>/dev/null; }

echo "soak: heapscope record -- $STEADY $SECONDS_TOTAL $RATE (exact, full stacks);" \
	"RSS every $INTERVAL s" >&2
"$TMP/heapscope" record -o "$DB" -- "$STEADY" "$SECONDS_TOTAL" "$RATE" >"$TMP/out" 2>"$TMP/err" &
pid=$!
start=$(date +%s)
first=
last=
printf '%8s %12s %12s %10s %12s\n' "t (s)" "RSS (MiB)" "peak (MiB)" "CPU (s)" "db (MiB)"
while kill -0 "$pid" 2>/dev/null; do
	sleep "$INTERVAL" &
	wait $!
	read -r rss hwm < <(rss_of "$pid") || break
	[ -n "$rss" ] || break
	[ -n "$first" ] || first=$rss
	last=$rss
	awk -v t=$(($(date +%s) - start)) -v r="$rss" -v h="$hwm" -v c="$(cpu_of "$pid")" \
		-v d="$(du -m "$DB" 2>/dev/null | cut -f1)" \
		'BEGIN { printf "%8d %12.1f %12.1f %10s %12s\n", t, r / 1024, h / 1024, c, d }'
done
wait "$pid"
rc=$?
tail -1 "$TMP/err"
echo "soak: recorder exit status $rc after $(($(date +%s) - start)) s; recording $(du -m "$DB" | cut -f1) MiB," \
	"$(sqlite3 "$DB" "SELECT count(*) FROM allocations" 2>/dev/null) allocations," \
	"$(sqlite3 "$DB" "SELECT dropped_events FROM recording" 2>/dev/null) dropped"
if [ -n "$first" ] && [ -n "$last" ]; then
	awk -v f="$first" -v l="$last" 'BEGIN { printf "soak: RSS last / first = %.2f (%.1f MiB / %.1f MiB)\n",
		l / f, l / 1024, f / 1024 }'
else
	echo "soak: no RSS samples (shorter than SOAK_INTERVAL?)"
fi
[ -n "${SOAK_KEEP:-}" ] && echo "soak: the recording is kept in $DB"
exit 0

#!/usr/bin/env bash
# A recorder SIGKILLed 1 s and 5 s into recording allocbench (2 threads), and 10 s into recording
# a program allocating at a steady rate: the file is sound, holds what the recorder committed (at
# least once a second: at most about a second of events lost), and every reader (text, JSON, CSV,
# the server's /api/summary) says the recording was cut short, never that it is still recording.
. "$(dirname "$0")/../lib.sh"

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

if ! make -s -C "$TOP" build/bench/allocbench >"$T/cc.err" 2>&1; then
	not_ok "cannot build allocbench: $(head -1 "$T/cc.err")"
	finish
fi

# summary_of DB: "end_reason live" from the JSON summary.
summary_of() { "$HS" report -d "$1" --format json --view summary | jq -r '.summary | "\(.end_reason) \(.live)"'; }

# killed SECONDS: records, waits until the recorder has started, SIGKILLs it SECONDS later.
killed() {
	local s=$1 db=$T/killed$1.db err=$T/killed$1.err rec target out url spid
	"$HS" record -o "$db" -- "$TOP/build/bench/allocbench" --ops 1000000000 --threads 2 --mix \
		>/dev/null 2>"$err" &
	rec=$!
	PIDS+=("$rec")
	wait_for "${s}s: the recorder starts" 20 grep -q '^heapscope: recording pid' "$err" || return
	target=$(sed -n 's/^heapscope: recording pid \([0-9]*\).*/\1/p' "$err")
	PIDS+=("$target")
	sleep "$s"
	kill -9 "$rec"
	wait "$rec" 2>/dev/null
	kill -9 "$target" 2>/dev/null # untraced once its recorder is gone; not ours to keep

	expect_eq "${s}s: integrity_check" "$(q "$db" 'PRAGMA integrity_check')" ok
	expect_ge "${s}s: allocation rows committed" "$(q "$db" 'SELECT count(*) FROM allocations')" 1
	expect_ge "${s}s: stacks committed" "$(q "$db" 'SELECT count(*) FROM stacks')" 1
	expect_ge "${s}s: site_stats published" "$(q "$db" 'SELECT count(*) FROM site_stats')" 1
	if [ "$s" -ge 5 ]; then
		# Committed every second: at most about a second (and the startup) is lost.
		expect_ge "${s}s: timeline reaches $((s - 2)) s" \
			"$(q "$db" 'SELECT coalesce(max(ts), 0) / 1000000000 FROM timeline')" $((s - 2))
	fi
	expect_eq "${s}s: no end written" "$(q "$db" 'SELECT end_reason IS NULL FROM recording')" 1
	expect_match "${s}s: text says cut short" \
		"$("$HS" report -d "$db" --view summary | grep '^  recording')" "cut short"
	expect_eq "${s}s: text never says still recording" \
		"$("$HS" report -d "$db" | grep -c 'still recording')" 0
	expect_eq "${s}s: JSON end_reason cut_short, not live" "$(summary_of "$db")" "cut_short false"
	expect_eq "${s}s: CSV end_reason" \
		"$("$HS" report -d "$db" --format csv --view summary |
			python3 -c 'import csv,sys; print(next(csv.DictReader(sys.stdin))["end_reason"])')" \
		cut_short
	out=$T/serve$s.out
	"$HS" serve -d "$db" --port 0 >"$out" 2>"$T/serve$s.err" &
	spid=$!
	PIDS+=("$spid")
	if wait_for "${s}s: serve prints its URL" 10 grep -q '^http://' "$out"; then
		url=$(head -1 "$out")
		expect_eq "${s}s: /api/summary cut_short, not live" \
			"$(curl -s --max-time 10 "${url%/}/api/summary" | jq -r '"\(.end_reason) \(.live)"')" \
			"cut_short false"
	fi
	kill "$spid"
	wait "$spid" 2>/dev/null
}

killed 1
killed 5

# --- 10 s, of a program allocating at a steady rate (ticker: one malloc+free per ms, a "tick N"
# line every 100): the rows committed cover all but at most about the last second before the kill
# (commits every second; 0.5 s of margin for the commit itself on a loaded machine).
db=$T/killed10.db
"$HS" record -o "$db" -- "$PROGS/ticker" >"$T/ticker.out" 2>"$T/killed10.err" &
rec=$!
PIDS+=("$rec")
if wait_for "10s: the recorder starts" 20 grep -q '^heapscope: recording pid' "$T/killed10.err"; then
	target=$(sed -n 's/^heapscope: recording pid \([0-9]*\).*/\1/p' "$T/killed10.err")
	PIDS+=("$target")
	wait_for "10s: ticking" 10 grep -q '^tick' "$T/ticker.out"
	t0=$(date +%s%N)
	sleep 10
	kill -9 "$rec"
	t1=$(date +%s%N)
	ticks=$(sed -n 's/^tick //p' "$T/ticker.out" | tail -1) # within 100 of the kill's
	wait "$rec" 2>/dev/null
	kill -9 "$target" 2>/dev/null
	rate=$(((ticks - $(sed -n 's/^tick //p' "$T/ticker.out" | head -1)) * 1000000000 / (t1 - t0)))
	rows=$(q "$db" "SELECT count(*) FROM allocations a JOIN site_frames s ON s.site = a.site AND s.pos = 0 WHERE s.function = 'tick'")
	lost=$((ticks + 100 - rows))
	echo "# 10s: $ticks ticks at the kill (~$rate/s), $rows committed: $lost lost (bound 1.5 s = $((rate * 3 / 2)))"
	expect_eq "10s: integrity_check" "$(q "$db" 'PRAGMA integrity_check')" ok
	expect_ge "10s: the ticker ran at its rate (>= 300/s)" "$rate" 300
	expect_ge "10s: at most 1.5 s of ticks lost" "$((rate * 3 / 2))" "$lost"
	expect_ge "10s: no more rows than ticks" "$((ticks + 100))" "$rows"
	expect_eq "10s: JSON end_reason cut_short, not live" "$(summary_of "$db")" "cut_short false"
	expect_match "10s: text says cut short" \
		"$("$HS" report -d "$db" --view summary | grep '^  recording')" "cut short"
fi
finish

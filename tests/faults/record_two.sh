#!/usr/bin/env bash
# Two recordings at once: two `record -p` of the SAME process (their uprobes on the same
# functions of the same libc) and a third of another process, all exact; stopping the first (its
# probes detached) leaves the second exact; a launched recording beside them is exact too.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/integration/record.bash"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# attach NAME PID: a recorder of PID in the background, its pid in $last.
attach() {
	env --default-signal=INT "$HS" record -p "$2" -o "$T/$1.db" >"$T/$1.out" 2>"$T/$1.err" &
	last=$!
	PIDS+=("$last")
	wait_for "$1: attached" 30 stderr_has "$T/$1.err" "^heapscope: recording pid $2"
}

# batch NAME PID N: sends SIGUSR1 and waits for the Nth "done".
batch() {
	kill -USR1 "$2"
	wait_for "$1: batch $3" 10 grep -q "^done $3" "$T/$1.target"
}

# stop NAME PID: SIGINT, then its exit status must be 0.
stop() {
	kill -INT "$2"
	wait_child "$1" 30 "$2"
	expect_eq "$1: recorder exit status" "$rc" 0
}

# rows DB: "rows|freed|live|live bytes|errors|untracked frees".
rows() {
	q "$1" "SELECT count(*), count(free_ts), count(*) - count(free_ts),
		ifnull(sum(CASE WHEN free_ts IS NULL THEN size END), 0),
		(SELECT count(*) FROM errors), (SELECT untracked_frees FROM recording) FROM allocations"
}

"$PROGS/signal_batch" 3 100 >"$T/a.target" 2>&1 &
a=$!
PIDS+=("$a")
"$PROGS/signal_batch" 5 40 >"$T/b.target" 2>&1 &
b=$!
PIDS+=("$b")
wait_for "a ready" 10 grep -q ready "$T/a.target"
wait_for "b ready" 10 grep -q ready "$T/b.target"

attach one "$a"
r1=$last
attach two "$a"
r2=$last
attach other "$b"
r3=$last
"$HS" record -o "$T/launch.db" -- "$PROGS/leaks3" >/dev/null 2>"$T/launch.err" &
rl=$!
PIDS+=("$rl")
batch a "$a" 1
batch b "$b" 1
wait_child "launched beside them" 30 "$rl"
expect_eq "launched: exit status" "$rc" 0
stop "one (stopped after batch 1)" "$r1"
batch a "$a" 2
batch b "$b" 2
stop "two (after batch 2)" "$r2"
batch b "$b" 3
stop "other (after 3 batches of b)" "$r3"

# One batch of a: 4 x 40 B freed + 3 x 100 B live; of b: 4 freed + 5 x 40 B live.
expect_eq "one: exactly batch 1 of a" "$(rows "$T/one.db")" "7|4|3|300|0|0"
expect_eq "two: exactly batches 1 and 2 of a" "$(rows "$T/two.db")" "14|8|6|600|0|0"
expect_eq "other: exactly 3 batches of b" "$(rows "$T/other.db")" "27|12|15|600|0|0"
expect_eq "launched leaks3: 82 rows, 61 freed, 21 live, 5000 B" "$(rows "$T/launch.db")" "82|61|21|5000|0|0"
for n in one two other launch; do
	expect_eq "$n: every event accounted, none dropped" \
		"$("$HS" report -d "$T/$n.db" --format json --view summary | jq -r '.summary.events | "\(.accounted) \(.dropped)"')" \
		"true 0"
done
finish

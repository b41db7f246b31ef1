#!/usr/bin/env bash
# The traced program SIGKILLed (or killed by another signal) from outside, in every mode: the
# recorder ends with it, exits as a shell would (launch: 128 + signal; attach: 0), and stores how
# it ended: recording and process end_reason killed with exit_status 128 + signal, in the table,
# the JSON summary (and its processes) and the text report; its allocations up to then exact.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/integration/record.bash"
trap kill_background EXIT

# ended DB WANT: "end_reason|exit_status" of the recording, its processes (one line each, by id),
# and the JSON summary's "end_reason exit_status live" then each process's.
ended() {
	q "$1" "SELECT end_reason, exit_status FROM recording"
	q "$1" "SELECT end_reason, exit_status FROM processes ORDER BY id"
	"$HS" report -d "$1" --format json --view summary |
		jq -r '.summary | "\(.end_reason) \(.exit_status) \(.live)", (.processes[] | "\(.end_reason) \(.exit_status)")'
}

# batch_rows DB PID: "rows|freed|live|live bytes" of PID's allocations.
batch_rows() {
	q "$1" "SELECT count(*), count(a.free_ts), count(*) - count(a.free_ts),
		ifnull(sum(CASE WHEN a.free_ts IS NULL THEN a.size END), 0)
		FROM allocations a JOIN processes p ON p.id = a.proc WHERE p.pid = $2"
}

# --- launch: SIGKILL after one batch -----------------------------------------------------------
"$HS" record -o "$T/launch.db" -- "$PROGS/signal_batch" 2 50 >"$T/launch.target" 2>"$T/launch.err" &
rec=$!
if wait_for "launch: ready" 20 grep -q '^ready' "$T/launch.target"; then
	target=$(sed -n 's/^ready \([0-9]*\)/\1/p' "$T/launch.target")
	kill -USR1 "$target"
	wait_for "launch: a batch" 10 grep -q '^done 1' "$T/launch.target"
	kill -KILL "$target"
	wait_child "launch: recorder ends with the command" 30 "$rec"
	expect_eq "launch: heapscope exits 128 + 9" "$rc" 137
	expect_match "launch: exit line says killed" "$(tail -1 "$T/launch.err")" "^heapscope: killed after "
	expect_eq "launch: end stored everywhere" "$(ended "$T/launch.db")" "killed|137
killed|137
killed 137 false
killed 137"
	expect_eq "launch: the batch exact" "$(batch_rows "$T/launch.db" "$target")" "6|4|2|100"
	expect_match "launch: text says killed" \
		"$("$HS" report -d "$T/launch.db" --view summary | grep -E '^  (recording|exit status)' | tr -s ' ' | tr '\n' ';')" \
		"^ recording [0-9.]+ [mu]?s, killed; exit status 137;$"
fi

# --- attach: SIGHUP (an ordinary fatal signal) ---------------------------------------------------
start_target hup '^ready' "$PROGS/signal_batch" 3 70
start_record hup
kill -USR1 "$target"
wait_for "attach hup: a batch" 10 grep -q '^done 1' "$T/hup.target"
kill -HUP "$target"
wait_child "attach hup: recorder ends with the process" 30 "$rec"
expect_eq "attach hup: heapscope exits 0" "$rc" 0
expect_eq "attach hup: end stored everywhere" "$(ended "$T/hup.db")" "killed|129
killed|129
killed 129 false
killed 129"
expect_eq "attach hup: the batch exact" "$(batch_rows "$T/hup.db" "$target")" "7|4|3|210"

# --- attach --follow: a tree's root SIGKILLed after its forked child ended ----------------------
start_target fol '^ready' "$PROGS/signal_batch" 1 30
start_record fol --follow
kill -USR2 "$target"
wait_for "follow: forked" 10 grep -q '^forked' "$T/fol.target"
child=$(sed -n 's/^forked \([0-9]*\)/\1/p' "$T/fol.target")
kill -KILL "$target"
wait_child "follow: recorder ends with the tree" 30 "$rec"
expect_eq "follow: heapscope exits 0" "$rc" 0
expect_eq "follow: the parent killed, the child exited" "$(ended "$T/fol.db")" "killed|137
killed|137
exited|0
killed 137 false
killed 137
exited 0"
expect_eq "follow: the child's rows exact (2 x 31 B live, 3 calloc freed)" \
	"$(batch_rows "$T/fol.db" "$child")" "5|3|2|62"
finish

#!/usr/bin/env bash
# SIGINT to a launch-mode recorder in the middle of a long allocbench run: the recorder exits
# in time, the launched command does not outlive it, and the file is a complete recording.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

trap kill_background EXIT

if ! cc -O2 -g -fno-omit-frame-pointer -pthread -o "$T/allocbench" "$TOP/../shared/bench/allocbench.c"; then
	not_ok "cannot build allocbench"
	finish
	exit
fi

db=$T/sigint.db
# Background jobs of a script ignore SIGINT: env restores the default, as in an interactive shell.
env --default-signal=INT "$HS" record -o "$db" -- "$T/allocbench" --ops 50000000 --mix >"$T/out" 2>"$T/err" &
rec=$!
if wait_for "recorder started" 30 stderr_has "$T/err" "^heapscope: recording"; then
	sleep 2 # let it record for a while: this is the workload, not a synchronisation
	child=$(pgrep -f "^$T/allocbench " | head -1)
	kill -INT "$rec"
	wait_child "recorder after SIGINT" 30 "$rec"
	echo "# recorder exit status after SIGINT: $rc"
	expect_match "recorder exited by itself (0 or 130)" "$rc" "^(0|130)$"
	sed 's/^/#   stderr: /' "$T/err" | head -20
	if [ -n "$child" ]; then
		wait_for "the launched allocbench ends with the recording" 10 dead "$child" &&
			ok "the launched allocbench ends with the recording"
	else
		not_ok "allocbench was not running when SIGINT was sent"
	fi
	expect_eq "allocbench did not finish its 50M calls" "$(grep -c '"ops"' "$T/out")" 0
	if db_ok sigint "$db"; then
		expect_ge "rows were recorded" "$(q "$db" "SELECT count(*) FROM allocations")" 1
		expect_eq "duration_ns set" "$(q "$db" "SELECT duration_ns > 0 FROM recording")" 1
		echo "# end_reason: $(q "$db" "SELECT end_reason FROM recording")"
		expect_eq "every row's site stored" \
			"$(q "$db" "SELECT count(*) FROM allocations WHERE site IS NULL OR site NOT IN (SELECT id FROM stacks)")" 0
	fi
fi

finish

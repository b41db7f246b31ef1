#!/usr/bin/env bash
# A real server under load: Debian's redis-server (jemalloc) answering redis-benchmark, attached
# with each --stack mode and stopped by --duration while the benchmark goes on. The stop cuts
# through tens of thousands of calls a second: no false double frees at the cut, and every event
# the BPF side emitted is accounted for (event_counts).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

RUNS=${REDIS_RUNS:-3} # per stack mode

# Never skipped: without redis the test fails and says what to install.
missing=
for cmd in redis-server redis-cli redis-benchmark; do
	command -v "$cmd" >/dev/null || missing="$missing $cmd"
done
if [ -n "$missing" ]; then
	not_ok "not installed:$missing (apt-get install redis-server redis-tools, or make deps)"
	finish
	exit
fi

# redis-server ($target) and redis-benchmark ($child) are killed on exit, whatever happens.
trap kill_background EXIT

# A port nothing listens on (redis then refuses to start if another process takes it first).
port=
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 40000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done

# ours_answers: our redis-server, not another one, answers on $port.
ours_answers() {
	[ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] &&
		redis-cli -p "$port" info server 2>/dev/null | grep -q "^process_id:$target"$'\r'
}

# q1 DB SQL: q's output and errors on one line (an error for a missing table reads as a value).
q1() { q "$1" "$2" 2>&1 | tr -s '\n ' '  ' | sed 's/ $//'; }

# running PID: PID exists, and is neither a zombie nor stopped (or left stopped by a tracer).
running() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != [ZTtXx] ]]
}

if [ -z "$port" ]; then
	not_ok "no free TCP port found on 127.0.0.1"
	finish
	exit
fi
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
	--dir "$T" >"$T/redis.log" 2>&1 &
target=$!
if ! wait_for "redis-server answers PING on port $port" 15 ours_answers; then
	sed 's/^/#   redis-server: /' "$T/redis.log" | tail -20
	finish
	exit
fi
ok "redis-server $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p') answers on port $port (pid $target)"

for mode in dwarf fp caller; do
	for ((i = 1; i <= RUNS; i++)); do
		n=$mode-$i
		db=$T/$n.db
		# -l: the four tests of 50000 requests each, over and over, until it is killed: the
		# recording starts and stops in the middle of the load.
		redis-benchmark -p "$port" -q -l -n 50000 -t set,get,lpush,lpop >"$T/$n.bench" 2>&1 &
		child=$!
		sleep 0.5 # the load is on before the attach
		record "$n" -p "$target" --stack="$mode" --duration 1.5 -o "$db"
		expect_eq "$n: recorder exit status" "$rc" 0
		if running "$child"; then
			ok "$n: redis-benchmark still running when the recording ended"
		else
			not_ok "$n: redis-benchmark ended before the recording did (its output: $(tr '\r' '\n' <"$T/$n.bench" | grep -v '^ *$' | tail -2 | tr '\n' ' '))"
		fi
		kill -KILL "$child" 2>/dev/null
		wait "$child" 2>/dev/null
		child=
		running "$target" || not_ok "$n: redis-server died (see its log below)"
		if db_ok "$n" "$db"; then
			expect_eq "$n: recording of redis-server in $mode mode" \
				"$(q "$db" "SELECT pid, mode, stack_mode, end_reason FROM recording")" \
				"$target|attach|$mode|duration"
			errors=$(q "$db" "SELECT count(*) FROM errors")
			if [ "$errors" = 0 ]; then
				ok "$n: no errors"
			else
				not_ok "$n: $errors errors: $(q "$db" "SELECT group_concat(kind || ' ' || n || ' (' || first || ' to ' || last || ' ns)', ', ')
					FROM (SELECT kind, count(*) n, min(ts) first, max(ts) last FROM errors GROUP BY kind)"), recording $(q "$db" "SELECT duration_ns FROM recording") ns"
			fi
			expect_ge "$n: allocations recorded" "$(q "$db" "SELECT count(*) FROM allocations")" 1001
			expect_eq "$n: stored frees are after their allocation and complete" \
				"$(q "$db" "SELECT count(*) FROM allocations WHERE free_ts < alloc_ts OR
					(free_func IS NOT NULL AND (free_ts IS NULL OR NOT free_tid > 0))")" 0
			# Event accounting: a missing table or column is a failure, not a skip.
			expect_eq "$n: event_counts: every kind emitted = received = stored + after_cut" \
				"$(q1 "$db" "SELECT count(*) FROM event_counts
					WHERE emitted != received OR received != stored + after_cut")" 0
			expect_eq "$n: event_counts: events were emitted" \
				"$(q1 "$db" "SELECT ifnull(sum(emitted), 0) > 0 FROM event_counts")" 1
			expect_eq "$n: cut_ts set, no stored event after it" \
				"$(q1 "$db" "SELECT (SELECT cut_ts IS NOT NULL FROM recording), (SELECT count(*)
					FROM allocations, recording r WHERE alloc_ts > r.cut_ts OR free_ts > r.cut_ts)")" "1|0"
		fi
		rm -f "$db" "$db"-*
	done
done

if running "$target"; then
	expect_eq "redis-server still answers after ${RUNS}x3 recordings" "$(redis-cli -p "$port" ping 2>&1)" PONG
	kill -TERM "$target" # redis exits cleanly on SIGTERM (the trap would SIGKILL it)
	wait "$target"
	target=
else
	not_ok "redis-server died"
	sed 's/^/#   redis-server: /' "$T/redis.log" | tail -20
fi

finish

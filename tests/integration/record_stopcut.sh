#!/usr/bin/env bash
# Recordings that stop while the target goes on allocating and freeing (churn: malloc/free
# without pause): whatever the stop (--duration, SIGINT, SIGTERM), attached or launched, the
# file is cut at one instant for every kind of event. No free after the cut may be taken for a
# double free of a block whose reallocation was no longer stored; every stored free belongs to
# a stored allocation; every event the BPF side emitted is accounted for (event_counts).
# Each case runs STOPCUT_RUNS times (default 10, for CI's budget: the cut is a race, so run it
# with STOPCUT_RUNS=50 by hand after touching the cut) and gives one result line; a run takes
# ~1 s (attach, 0.4 s, stop), the 60 runs ~1 min on 2 cores.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

# Every churn started (a launched one outlives its recorder) is killed on exit, with the
# background processes of record.bash.
started=
cleanup() {
	for p in $started; do kill -KILL "$p" 2>/dev/null; done
	kill_background
}
trap cleanup EXIT

RUNS=${STOPCUT_RUNS:-10}
STOP_AFTER=0.4 # seconds of recording before the signal, and the --duration
t_start=$SECONDS

# until_ok TIMEOUT_S CMD...: polls CMD until it succeeds; false past the deadline (no output:
# a run's failures are counted, not printed one by one).
until_ok() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.02
	done
}

# running PID: PID exists, and is neither a zombie nor stopped (or left stopped by a tracer).
running() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != [ZTtXx] ]]
}

# fail TAG TEXT: notes a failed check of the current run (why: tags; what: the details).
fail() {
	why="$why $1"
	what="$what; $2"
}

# run_once MODE KIND: one recording of churn, attached (-p) or launched (--), stopped by KIND
# (duration, INT or TERM) ~STOP_AFTER s after the "recording pid" line. Sets $why (the tags of
# the failed checks, empty if none), $what (their details) and $nerr (rows in errors).
run_once() {
	local mode=$1 kind=$2 db=$T/run.db err=$T/run.err stop=() want=0 out line
	local errors untracked badfree lost live rows reason accounting
	why= what= nerr=0 target= rec=
	# Not a line of the previous run's stderr: the new recorder truncates it only once started.
	rm -f "$db" "$db"-* "$T/churn.out" "$err" "$T/run.out"
	case $kind in
	duration) stop=(--duration "$STOP_AFTER") ;;
	INT) [ "$mode" = attach ] || want='(0|130)' ;;
	TERM) [ "$mode" = attach ] || want='(0|143)' ;;
	esac
	# Background jobs of a script ignore SIGINT: env restores the default.
	if [ "$mode" = attach ]; then
		"$PROGS/churn" >"$T/churn.out" 2>&1 &
		target=$!
		started="$started $target"
		if ! until_ok 10 grep -q '^ready' "$T/churn.out"; then
			fail start "churn did not start"
			kill -KILL "$target"
			wait "$target" 2>/dev/null
			target=
			return
		fi
		env --default-signal=INT "$HS" record -p "$target" -o "$db" "${stop[@]}" \
			>"$T/run.out" 2>"$err" &
	else
		env --default-signal=INT "$HS" record -o "$db" "${stop[@]}" -- "$PROGS/churn" \
			>"$T/run.out" 2>"$err" &
	fi
	rec=$!
	# It comes within ~0.3 s; a recorder that hangs at its start costs 10 s, not the whole test.
	if ! until_ok 10 stderr_has "$err" '^heapscope: recording pid [0-9]+'; then
		fail start "no 'recording pid' line within 10 s"
		kill -KILL "$rec" ${target:+"$target"} 2>/dev/null
		wait "$rec" 2>/dev/null
		[ -z "$target" ] || wait "$target" 2>/dev/null
		rec= target=
		return
	fi
	line=$(grep -m1 '^heapscope: recording pid' "$err")
	line=${line#heapscope: recording pid }
	if [ "$mode" = launch ]; then
		target=${line%% *}
		started="$started $target"
	elif [ "${line%% *}" != "$target" ]; then
		fail start "recording pid ${line%% *}, not the target's $target"
	fi
	if [ "$kind" != duration ]; then
		sleep "$STOP_AFTER" # the recording's workload, not a synchronisation
		kill -"$kind" "$rec"
	fi
	if until_ok 30 dead "$rec"; then
		wait "$rec"
		rc=$?
	else
		kill -KILL "$rec" 2>/dev/null
		wait "$rec" 2>/dev/null
		rc=timeout
	fi
	rec=
	[[ $rc =~ ^$want$ ]] || fail rc "recorder exit status $rc, expected $want"
	# The stop must cut through a running stream of calls (a launched churn dies of the signal).
	if [ "$mode" = attach ] || [ "$kind" = duration ]; then
		running "$target" || fail target "churn (pid $target) not running after the recorder exited"
	fi
	kill -KILL "$target" 2>/dev/null
	wait "$target" 2>/dev/null # only a child of this shell in attach mode
	until_ok 5 eval '! running "$target"' || fail target "churn (pid $target) still running after SIGKILL"
	target=

	out=$(db_ok run "$db")
	if [[ $out == *FAIL* ]] || [ ! -s "$db" ]; then
		fail db "${out#*FAIL - }"
		return
	fi
	IFS='|' read -r errors untracked badfree lost live rows reason < <(q "$db" "SELECT
		(SELECT count(*) FROM errors),
		(SELECT untracked_frees FROM recording),
		(SELECT count(*) FROM allocations WHERE free_ts < alloc_ts OR
			(free_func IS NOT NULL AND (free_ts IS NULL OR NOT free_tid > 0))),
		(SELECT count(*) FROM allocations WHERE free_ts IS NOT NULL AND free_func IS NULL),
		(SELECT count(*) FROM allocations WHERE free_ts IS NULL),
		(SELECT count(*) FROM allocations),
		(SELECT end_reason FROM recording)" 2>&1)
	nerr=${errors:-0}
	[ "$errors" = 0 ] || fail errors "$errors errors ($(q "$db" \
		"SELECT group_concat(kind || ' ' || n, ', ') FROM (SELECT kind, count(*) n FROM errors GROUP BY kind)"))"
	# A stored free is the free_ts, free_func and free_tid of its allocation's row, not before it.
	[ "$badfree" = 0 ] || fail pairing "$badfree stored frees before their allocation or half stored"
	# Frees the recording did not pair: of blocks allocated before an attach (untracked), or
	# lost (the block's address was allocated again: free_ts set, no free_func), which only
	# happens while an attach puts its probes in. A launched recording has neither.
	if [ "$mode" = launch ]; then
		[ "$untracked" = 0 ] || fail untracked "$untracked untracked frees in a launched recording"
		[ "$lost" = 0 ] || fail lost "$lost allocations closed by a lost free in a launched recording"
	fi
	# Cut at one instant: only the ring of 8 blocks may be freed after it (live at the end); a
	# cut that stops frees before allocations would leave thousands live.
	[ "$live" -le 64 ] 2>/dev/null || fail live "$live of $rows blocks live at the end (the ring holds 8)"
	[ "$rows" -ge 1000 ] 2>/dev/null || fail rows "only $rows allocations recorded"

	# Event accounting (event_counts, recording.cut_ts): a missing table is a failure.
	accounting=$(q "$db" "SELECT
		(SELECT count(*) FROM event_counts WHERE emitted != received OR received != stored + after_cut),
		(SELECT ifnull(sum(emitted), 0) > 0 FROM event_counts),
		(SELECT count(*) FROM event_counts WHERE kind IN ('alloc', 'free')),
		(SELECT cut_ts IS NOT NULL OR end_reason NOT IN ('duration', 'interrupted') FROM recording),
		(SELECT count(*) FROM allocations, recording r WHERE alloc_ts > r.cut_ts OR free_ts > r.cut_ts)" 2>&1)
	if [ "$accounting" != "0|1|2|1|0" ]; then
		case $accounting in
		*[a-z]*) fail accounting "event accounting: ${accounting//$'\n'/ }" ;;
		*) fail accounting "event accounting: got '$accounting' (unbalanced kinds|sum emitted > 0|alloc and free rows|cut_ts set|rows after cut_ts), expected '0|1|2|1|0'; $(q "$db" \
			"SELECT group_concat(kind || ' ' || emitted || '/' || dropped || '/' || received || '/' || stored || '/' || after_cut, ', ') FROM event_counts") (emitted/dropped/received/stored/after_cut)" ;;
		esac
	fi
	case $mode/$kind/$reason in
	*/duration/duration | attach/*/interrupted | launch/*/killed | launch/*/interrupted) ;;
	*) fail reason "end_reason '$reason'" ;;
	esac
}

# one_case MODE KIND LABEL: RUNS runs of one stop, summed up in one result line; the first
# failing run's reasons and stderr are shown as comments.
one_case() {
	local mode=$1 kind=$2 label=$3 i failed=0 with_errors=0 max_errors=0 tags= first= t
	local t0=$SECONDS
	declare -A count=()
	for ((i = 1; i <= RUNS; i++)); do
		run_once "$mode" "$kind"
		[ -n "$why" ] || continue
		failed=$((failed + 1))
		for t in $why; do count[$t]=$((${count[$t]:-0} + 1)); done
		if [ "$nerr" -gt 0 ] 2>/dev/null; then
			with_errors=$((with_errors + 1))
			[ "$nerr" -le "$max_errors" ] || max_errors=$nerr
		fi
		if [ -z "$first" ]; then
			first=$i
			echo "# $label: run $i failed: ${what#; }"
			sed "s/^/#   $label run $i stderr: /" "$T/run.err" | head -20
		fi
	done
	for t in "${!count[@]}"; do tags="$tags, $t: ${count[$t]}"; done
	if [ "$failed" = 0 ]; then
		ok "$label: $RUNS of $RUNS runs without errors, all frees paired, events accounted for ($((SECONDS - t0)) s)"
	else
		not_ok "$label: $failed of $RUNS runs failed, $with_errors with errors (up to $max_errors per run); failed checks${tags#,} ($((SECONDS - t0)) s)"
	fi
}

for mode in attach launch; do
	for kind in duration INT TERM; do
		case $kind in
		duration) label="$mode, --duration $STOP_AFTER" ;;
		*) label="$mode, SIG$kind after ${STOP_AFTER}s" ;;
		esac
		one_case "$mode" "$kind" "$label"
	done
done
echo "# $((RUNS * 6)) recordings in $((SECONDS - t_start)) s"

finish

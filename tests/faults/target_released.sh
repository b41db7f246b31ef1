#!/usr/bin/env bash
# The traced processes are never left stopped or held by ptrace when heapscope dies: a recorder
# SIGKILLed at random moments of a launch (while the command is held before its exec, at its
# first pauses, while it runs), of an attach --follow to a process of 64 busy threads (while it
# seizes them) and of a fork storm under --follow (children born traced) leaves every process
# and thread it traced running: /proc/PID/task/*/status State neither "T (stopped)" nor
# "t (tracing stop)", TracerPid 0. A launched command killed before its exec never runs.
. "$(dirname "$0")/../lib.sh"

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# released NAME PID...: every thread of every live PID runs free within 2 s of its tracer's
# death (the kernel detaches tracees as the tracer exits); a process gone is fine.
released() {
	local name=$1 p st bad end=$((SECONDS + 2))
	shift
	while :; do
		bad=
		for p in "$@"; do
			for st in /proc/"$p"/task/*/status; do
				[ -r "$st" ] || continue
				# A zombie or dead thread is not held; T and t are.
				if grep -qE '^State:\s+[Tt] ' "$st" || ! grep -qE '^TracerPid:\s+0$' "$st"; then
					bad="$bad ${st#/proc/}: $(grep -E '^(State|TracerPid)' "$st" | tr -s '\t\n' '  ')"
				fi
			done
		done
		[ -z "$bad" ] && return 0
		[ $SECONDS -ge $end ] && break
		sleep 0.05
	done
	not_ok "$name: left held:$bad"
	return 1
}

# descendants PID: PID and every process below it.
descendants() {
	local p
	echo "$1"
	for p in $(cat /proc/"$1"/task/*/children 2>/dev/null); do descendants "$p"; done
}

# --- launch: SIGKILL 0-60 ms after the command's process appears ------------------------------
tries=12 held=0 ran=0 before_exec=0
for i in $(seq 1 $tries); do
	"$HS" record -o "$T/l$i.db" -- "$PROGS/ticker" >"$T/l$i.out" 2>"$T/l$i.err" &
	rec=$!
	PIDS+=("$rec")
	child=
	end=$((SECONDS + 20))
	while [ -z "$child" ] && [ $SECONDS -lt $end ] && kill -0 "$rec" 2>/dev/null; do
		child=$(cat /proc/"$rec"/task/*/children 2>/dev/null | awk '{ print $1; exit }')
	done
	[ -n "$child" ] || { not_ok "launch $i: no child seen"; kill -9 "$rec"; continue; }
	PIDS+=("$child")
	sleep "0.0$((RANDOM % 7))"
	comm=$(cat /proc/"$child"/comm 2>/dev/null)
	kill -9 "$rec"
	wait "$rec" 2>/dev/null
	[ "$comm" = ticker ] || before_exec=$((before_exec + 1))
	released "launch $i (killed at comm '$comm')" "$child" || held=$((held + 1))
	# Unstarted, it exits 127 (a zombie until init reaps it: ended too).
	settled() { [ ! -e /proc/"$1" ] || grep -qE '^(Name:\s+ticker|State:\s+[ZX] )' /proc/"$1"/status; }
	wait_for "launch $i: the held command exec'd or ended" 2 settled "$child"
	case $(sed -n 's/^State:\s*\(.\).*/\1/p' /proc/"$child"/status 2>/dev/null)$(cat /proc/"$child"/comm 2>/dev/null) in
	[RSD]ticker) ran=$((ran + 1)) ;;
	"" | [ZX]*) ;;
	*) not_ok "launch $i: the held command neither exec'd nor ended: $(grep -E '^(Name|State)' /proc/"$child"/status | tr -s '\t\n' '  ')" ;;
	esac
	kill -9 "$child" 2>/dev/null
done
expect_eq "launch: $tries recorders SIGKILLed, no command left held" "$held" 0
expect_ge "launch: some killed while the command was held before its exec" "$before_exec" 1
echo "# launch: $before_exec killed before the command's exec, $ran commands running untraced after"

# --- attach --follow to 64 busy threads: SIGKILL while seizing or soon after ------------------
"$PROGS/many_threads" 64 >"$T/mt.out" 2>&1 &
mt=$!
PIDS+=("$mt")
wait_for "many_threads ready" 10 grep -q ready "$T/mt.out"
held=0
for i in $(seq 1 5); do
	"$HS" record --follow -p "$mt" -o "$T/a$i.db" >/dev/null 2>"$T/a$i.err" &
	rec=$!
	PIDS+=("$rec")
	# From BPF load to the seize takes a while: kill between 0.3 and 1.7 s.
	sleep "$((RANDOM % 2)).$((3 + RANDOM % 5))"
	kill -9 "$rec"
	wait "$rec" 2>/dev/null
	released "attach $i" "$mt" || held=$((held + 1))
done
expect_eq "attach --follow: 5 recorders SIGKILLed, no thread left held" "$held" 0
expect_eq "attach: the process still runs, all 65 threads" "$(ls /proc/"$mt"/task | wc -l)" 65
kill -9 "$mt"

# --- fork storm under --follow: SIGKILL mid-storm ------------------------------------------------
for i in 1 2 3; do
	"$HS" record -o "$T/s$i.db" -- "$PROGS/storm" 40 "$PROGS/leaks3" "$PROGS/leaks3" \
		"$PROGS/ticker" >"$T/s$i.out" 2>"$T/s$i.err" &
	rec=$!
	PIDS+=("$rec")
	wait_for "storm $i: recording" 20 grep -q '^heapscope: recording' "$T/s$i.err"
	root=$(sed -n 's/^heapscope: recording pid \([0-9]*\).*/\1/p' "$T/s$i.err")
	PIDS+=("$root")
	sleep "0.$((2 + RANDOM % 8))"
	tree=$(descendants "$root")
	kill -9 "$rec"
	wait "$rec" 2>/dev/null
	released "storm $i" $tree && ok "storm $i: the $(wc -w <<<"$tree") processes of the tree released"
	# The tickers (kind 3) never end: the storm waits for them; end it and them.
	for p in $tree $(descendants "$root"); do kill -9 "$p" 2>/dev/null; done
done
# A ticker whose parent exited meanwhile belongs to init, no longer to the tree: ours by path.
pkill -9 -f "^$PROGS/ticker\$"
finish

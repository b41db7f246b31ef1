#!/usr/bin/env bash
# The probes go when heapscope goes, by any path: the command exits, --duration, SIGINT,
# SIGTERM, the recorder SIGKILLed, the target killed, disk full. During the recording the
# recorder holds its BPF links (uprobe_multi and tracepoints) and programs (read from its
# /proc/PID/fdinfo, as this bpftool lists neither uprobe_multi links' owners nor pids); after it,
# none of those link or program ids exists any more (`bpftool link show id` / `prog show id`),
# no process it traced holds a BPF object, and uprobe_events holds no heapscope probe (uprobe_multi
# links never appear there; a legacy perf uprobe would).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/integration/record.bash"
trap kill_background EXIT

if ! bpftool link show >/dev/null 2>"$T/bpftool.err"; then
	not_ok "bpftool link show fails: $(head -1 "$T/bpftool.err")"
	finish
fi
EVENTS=/sys/kernel/tracing/uprobe_events
[ -r "$EVENTS" ] || EVENTS=/sys/kernel/debug/tracing/uprobe_events
[ -r "$EVENTS" ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
EVENTS=/sys/kernel/tracing/uprobe_events
[ -r "$EVENTS" ] || not_ok "no uprobe_events file (tracefs) to check"

# bpf_ids PID KIND: the ids of the BPF links (KIND link_id) or programs (prog_id) PID holds.
bpf_ids() { cat /proc/"$1"/fdinfo/* 2>/dev/null | sed -n "s/^$2:\s*//p" | sort -un | tr '\n' ' '; }

# gone NAME IDS_LINKS IDS_PROGS: none of those ids exists any more (polled: closing is quick).
gone() {
	local id left end=$((SECONDS + 5))
	while :; do
		left=
		for id in $2; do bpftool link show id "$id" >/dev/null 2>&1 && left="$left link $id"; done
		for id in $3; do bpftool prog show id "$id" >/dev/null 2>&1 && left="$left prog $id"; done
		[ -z "$left" ] && { ok "$1: its links and programs are gone"; return; }
		[ $SECONDS -ge $end ] && break
		sleep 0.1
	done
	not_ok "$1: still there:$left"
}

# during NAME REC TARGET: the recorder holds links (uprobe_multi among them) and programs, the
# target none; sets $links and $progs.
during() {
	local types
	wait_for "$1: recording" 30 grep -q '^heapscope: recording pid' "$T/$1.err" || return 1
	sleep 0.3 # the probes are attached before that line; the fds are there
	links=$(bpf_ids "$2" link_id)
	progs=$(bpf_ids "$2" prog_id)
	types=$(cat /proc/"$2"/fdinfo/* 2>/dev/null | sed -n 's/^link_type:\s*//p' | sort -u | tr '\n' ' ')
	expect_match "$1: recorder holds uprobe_multi links and programs" "$types|$(wc -w <<<"$links") $(wc -w <<<"$progs")" \
		"uprobe_multi.*\\|[1-9][0-9]* [1-9][0-9]*$"
	expect_eq "$1: the target holds no BPF object" "$(bpf_ids "$3" link_id)$(bpf_ids "$3" prog_id)" ""
}

# after NAME TARGET: gone, and the target (if alive) still holds nothing.
after() {
	gone "$1" "$links" "$progs"
	[ -n "$2" ] && expect_eq "$1: the target holds no BPF object" "$(bpf_ids "$2" link_id)$(bpf_ids "$2" prog_id)" ""
}

# launched NAME STOP ARGS...: records churn ARGS (launch), stops it by STOP (exit, int, term,
# kill, target), checks the ids before and after.
launched() {
	local name=$1 how=$2 child
	shift 2
	env --default-signal=INT "$HS" record "$@" >/dev/null 2>"$T/$name.err" &
	rec=$!
	wait_for "$name: recording" 30 grep -q '^heapscope: recording pid' "$T/$name.err" || return
	child=$(sed -n 's/^heapscope: recording pid \([0-9]*\).*/\1/p' "$T/$name.err")
	during "$name" "$rec" "$child"
	case $how in
	exit | duration) ;;
	int) kill -INT "$rec" ;;
	term) kill -TERM "$rec" ;;
	kill) kill -KILL "$rec" ;;
	target) kill -KILL "$child" ;;
	esac
	wait_child "$name" 30 "$rec"
	after "$name" "$(kill -0 "$child" 2>/dev/null && echo "$child")"
	kill -KILL "$child" 2>/dev/null
}

launched exit exit -o "$T/exit.db" -- "$PROGS/churn" 2
launched duration duration --duration 1.5 -o "$T/duration.db" -- "$PROGS/churn"
launched sigint int -o "$T/sigint.db" -- "$PROGS/churn"
launched sigterm term -o "$T/sigterm.db" -- "$PROGS/churn"
launched sigkill kill -o "$T/sigkill.db" -- "$PROGS/churn"
launched target_killed target -o "$T/target.db" -- "$PROGS/churn"

# Attach, recorder SIGKILLed: the target keeps running and holds nothing.
start_target attach ready "$PROGS/churn"
env "$HS" record -p "$target" -o "$T/attach.db" >/dev/null 2>"$T/attach.err" &
rec=$!
during attach "$rec" "$target"
kill -KILL "$rec"
wait "$rec" 2>/dev/null
after attach "$target"
expect_eq "attach: the target still runs" "$(kill -0 "$target" && echo yes)" yes
kill -KILL "$target"

# Disk full (a 24 MiB tmpfs; churn fills it in a few seconds): heapscope exits 1, probes gone.
MNT=$T/mnt
mkdir -p "$MNT"
if mount -t tmpfs -o size=24m tmpfs "$MNT" 2>"$T/mount.err"; then
	"$HS" record -o "$MNT/full.db" -- "$PROGS/churn" 8 >/dev/null 2>"$T/diskfull.err" &
	rec=$!
	during diskfull "$rec" ""
	wait_child diskfull 60 "$rec"
	expect_eq "diskfull: exit status 1" "$rc" 1
	after diskfull ""
	umount "$MNT"
else
	not_ok "cannot mount a tmpfs (root needed): $(head -1 "$T/mount.err")"
fi

if [ -r "$EVENTS" ]; then
	expect_eq "uprobe_events: no heapscope probe" "$(grep -ciE 'heapscope|progs/churn|libc\.so' "$EVENTS")" 0
fi
finish

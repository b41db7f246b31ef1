#!/usr/bin/env bash
# Rules: a process started after the daemon is picked up by comm and by cgroup, windows rotate
# while it runs, retention keeps the newest `keep`, a bad config file is refused with FILE:LINE,
# the daemon and its recorders are never recorded, and a recorder slow to attach holds up no
# other rule (its failure then is logged once and backed off).
source "$(dirname "$0")/../lib.sh"

DPID=
cleanup() {
	kill -9 ${SREC:-} 2>/dev/null
	kill ${APID:-} ${BPID:-} ${SPID:-} ${CPID:-} 2>/dev/null
	wait ${APID:-} ${BPID:-} ${SPID:-} ${CPID:-} 2>/dev/null
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "${CG:-}" ] && rmdir "$CG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# A config mistake: the daemon refuses to start and says where.
printf '[rule bad]\ncomm = x\nwindow = 5 minutes\n' >"$T/bad.conf"
out=$("$HS" daemon --data "$T/data" --port 0 --config "$T/bad.conf" 2>&1)
expect_eq "a bad config: exit status" "$?" 2
expect_match "a bad config: FILE:LINE: what is wrong" "$out" \
	"$T/bad.conf:3: bad value for window '5 minutes'"

# A cgroup of our own for the cgroup rule, in the cgroup v2 hierarchy (/sys/fs/cgroup, or
# /sys/fs/cgroup/unified on a hybrid system).
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || not_ok "no cgroup2 file system mounted: the cgroup rule cannot be tested"
CG=$CG2/hs-rules-$$
mkdir "$CG" || not_ok "cannot create the cgroup $CG"
cat >"$T/heapscope.conf" <<EOF
[rule bycomm]
comm = hsrule_comm
window = 2
sample = 0
stack = caller
keep = 2

[rule bycgroup]
cgroup = /hs-rules-$$
window = 2
keep = 1

[rule self]
comm = heapscope
window = 2

[rule slow]
comm = hsrule_slow
window = 2
EOF
"$HS" daemon --data "$T/data" --port 0 --config "$T/heapscope.conf" 2>"$T/daemon.log" &
DPID=$!
wait_for "the daemon prints its URL" 20 grep -q 'dashboard at http' "$T/daemon.log" || {
	cat "$T/daemon.log"; finish; exit 1; }
URL=$(sed -n 's|.*dashboard at \(http://[0-9.:]*\)/.*|\1|p' "$T/daemon.log" | head -1)
ctl() { "$HS" ctl --url "$URL" --data "$T/data" "$@"; }
# recordings of RULE in STATE ("ended" counts ended and cut short), as "id pid" lines
recs() { ctl list --json | jq -r ".recordings[] | select(.rule == \"$1\") |
	select((.state == \"running\") == (\"$2\" == \"running\")) | \"\\(.id) \\(.pid)\""; }
count() { recs "$1" "$2" | grep -c .; }

# Started after the daemon: picked up by comm.
cp "$PROGS/churn" "$T/hsrule_comm"
"$T/hsrule_comm" >/dev/null &
APID=$!
comm_recorded() { recs bycomm running | grep -q " $APID\$"; }
wait_for "a process started after the daemon is recorded by comm" 15 comm_recorded &&
	ok "comm rule picked up pid $APID"

# Rotation: windows end after 2 s and the next starts; retention keeps the newest 2 ended.
four_windows() { [ "$(ctl list --json | jq '[.recordings[] | select(.rule == "bycomm")] | length')" -ge 3 ] &&
	grep -q 'rule bycomm: deleted window' "$T/daemon.log"; }
wait_for "windows rotate and the oldest is deleted" 30 four_windows
ended_ids=$(recs bycomm ended | cut -d' ' -f1)
expect_eq "retention: keep = 2 ended windows" "$(echo "$ended_ids" | grep -c .)" 2
deleted=$(sed -n 's/.*rule bycomm: deleted window \([^ ]*\) (retention)$/\1/p' "$T/daemon.log" | head -1)
expect_eq "the deleted window's files are gone" "$(ls "$T/data/recordings" | grep -c "^$deleted")" 0
newest_deleted=$(sed -n 's/.*rule bycomm: deleted window \([^ ]*\) (retention)$/\1/p' "$T/daemon.log" | sort | tail -1)
expect_eq "retention deletes the oldest: every kept window is newer" \
	"$(echo "$ended_ids" | awk -v d="$newest_deleted" '$1 <= d' | wc -l)" 0
first=$(echo "$ended_ids" | head -1)
expect_eq "a window records the rule's settings (2 s, caller, exact)" \
	"$(q "$T/data/recordings/$first.db" "SELECT duration_ns BETWEEN 1900000000 AND 2200000000, end_reason, stack_mode, sample_bytes, pid FROM recording")" \
	"1|duration|caller|0|$APID"

# By cgroup: a process moved into the cgroup.
cp "$PROGS/churn" "$T/hsrule_cg"
sh -c "echo \$\$ > $CG/cgroup.procs && exec $T/hsrule_cg" >/dev/null &
BPID=$!
cg_recorded() { recs bycgroup running | grep -q " $BPID\$"; }
wait_for "a process in the rule's cgroup is recorded" 15 cg_recorded && ok "cgroup rule picked up pid $BPID"
expect_eq "the cgroup rule records only its cgroup's process" "$(recs bycgroup running | cut -d' ' -f2 | sort -u)" "$BPID"

# Never heapscope itself nor its recorders (comm "heapscope"). Other heapscope programs running on
# the machine (another build's tests) may be: only this daemon's own processes are counted.
expect_eq "the daemon and its recorders are not recorded by the 'self' rule" \
	"$(ctl list --json | jq --arg d "$T/data" "[.recordings[] | select(.rule == \"self\") |
		select(.pid == $DPID or ((.command // \"\") | contains(\$d)))] | length")" 0

# A process that exits: its window ends and no new one starts.
kill $APID
wait $APID 2>/dev/null
no_running() { [ "$(count bycomm running)" -eq 0 ]; }
wait_for "the exited process's window ends" 10 no_running && ok "no window after the process exited"
last=$(ctl list --json | jq -r '[.recordings[] | select(.rule == "bycomm") | .id] | max')
sleep 2
expect_eq "no new window for a gone process" \
	"$(ctl list --json | jq -r '[.recordings[] | select(.rule == "bycomm") | .id] | max')" "$last"
expect_eq "no 'cannot record' lines" "$(grep -c 'rule by[a-z]*: cannot record' "$T/daemon.log")" 0

# A recorder slow to attach (stopped here before it could) holds up no other rule: a process
# started meanwhile is recorded. Then it dies before attaching: the start failed, logged once,
# no trace left, and the pid is not tried again for 30 s (backoff) while other windows rotate.
cp "$PROGS/churn" "$T/hsrule_slow"
"$T/hsrule_slow" >/dev/null &
SPID=$!
slow_recorder() { pgrep -f "record -p $SPID -o" >"$T/slowrec"; }
wait_for "the slow rule's recorder starts" 15 slow_recorder
SREC=$(head -1 "$T/slowrec")
kill -STOP "$SREC"
sid=$(recs slow running | cut -d' ' -f1)
expect_eq "the slow rule's recorder is stopped before it attached" \
	"$(grep -c 'recording pid' "$T/data/recordings/$sid.log")" 0
"$T/hsrule_comm" >/dev/null &
CPID=$!
comm2_recorded() { recs bycomm running | grep -q " $CPID\$"; }
wait_for "while a recorder attaches, another rule records a new process" 10 comm2_recorded &&
	ok "pid $CPID recorded while the slow rule's recorder attaches"
kill -9 "$SREC"
wait_for "the failed start is logged" 10 grep -q \
	"rule slow: cannot record pid $SPID (hsrule_slow): .*; retry in 30 s" "$T/daemon.log"
expect_eq "the failed start leaves no recording" "$(ls "$T/data/recordings" | grep -c "^$sid")" 0
first=$(recs bycomm running | grep " $CPID\$" | cut -d' ' -f1)
next_window() { recs bycomm running | grep " $CPID\$" | grep -qv "^$first "; }
wait_for "the new process's next window" 10 next_window
expect_eq "backoff: the failed pid is not tried again at once (one line, no recording)" \
	"$(grep -c 'rule slow: cannot record' "$T/daemon.log") $(count slow running)" "1 0"

kill -TERM "$DPID"
wait "$DPID"
expect_eq "the daemon exits 0 on SIGTERM" "$?" 0
DPID=
finish

#!/usr/bin/env bash
# Rules: a process started after the daemon is picked up by comm and by cgroup, windows rotate
# while it runs, retention keeps the newest `keep`, a bad config file is refused with FILE:LINE,
# and the daemon and its recorders are never recorded.
source "$(dirname "$0")/../lib.sh"

DPID=
cleanup() {
	kill ${APID:-} ${BPID:-} 2>/dev/null
	wait ${APID:-} ${BPID:-} 2>/dev/null
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

# Never heapscope itself nor its recorders (comm "heapscope").
expect_eq "the daemon and its recorders are not recorded by the 'self' rule" \
	"$(ctl list --json | jq '[.recordings[] | select(.rule == "self")] | length')" 0

# A process that exits: its window ends and no new one starts.
kill $APID
wait $APID 2>/dev/null
no_running() { [ "$(count bycomm running)" -eq 0 ]; }
wait_for "the exited process's window ends" 10 no_running && ok "no window after the process exited"
last=$(ctl list --json | jq -r '[.recordings[] | select(.rule == "bycomm") | .id] | max')
sleep 2
expect_eq "no new window for a gone process" \
	"$(ctl list --json | jq -r '[.recordings[] | select(.rule == "bycomm") | .id] | max')" "$last"
expect_eq "no 'cannot record' lines" "$(grep -c 'cannot record' "$T/daemon.log")" 0

kill -TERM "$DPID"
wait "$DPID"
expect_eq "the daemon exits 0 on SIGTERM" "$?" 0
DPID=
finish

#!/usr/bin/env bash
# Rules with push_url: every finished window reaches a stand-in backend (push_receiver.py) as one
# pprof that `go tool pprof -raw` reads, at Pyroscope's /ingest URL or the raw URL; a 503 is
# retried after 1 s, a backend that is down is retried (1 s, 5 s) and never stops the rotation.
source "$(dirname "$0")/../lib.sh"

RECV="$T/recv"
mkdir -p "$RECV" "$T/data"
python3 "$TOP/tests/integration/push_receiver.py" "$RECV" --fail-first 1 >"$T/recv.out" 2>&1 &
RECV_PID=$!
DPID=
cleanup() {
	kill $RECV_PID ${APID:-} ${BPID:-} ${CPID:-} 2>/dev/null
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
wait_for "the receiver listens" 10 grep -q '^port ' "$T/recv.out" || { finish; exit 1; }
RPORT=$(sed -n 's/^port //p' "$T/recv.out")
# A port nothing listens on: bound, then closed.
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cat >"$T/heapscope.conf" <<EOF
[rule pyro]
comm = hspush_pyro
window = 2
sample = 0
keep = 0
push_url = http://127.0.0.1:$RPORT/
push_format = pyroscope

[rule raw]
comm = hspush_raw
window = 2
keep = 0
push_url = http://127.0.0.1:$RPORT/upload/here
push_format = pprof

[rule dead]
comm = hspush_dead
window = 2
keep = 0
push_url = http://127.0.0.1:$DEAD
EOF

"$HS" daemon --data "$T/data" --port 0 --config "$T/heapscope.conf" 2>"$T/daemon.log" &
DPID=$!
wait_for "the daemon prints its URL" 20 grep -q 'dashboard at http' "$T/daemon.log" || {
	cat "$T/daemon.log"; finish; exit 1; }
URL=$(sed -n 's|.*dashboard at \(http://[0-9.:]*\)/.*|\1|p' "$T/daemon.log" | head -1)
ctl() { "$HS" ctl --url "$URL" --data "$T/data" "$@"; }

for name in pyro raw dead; do cp "$PROGS/churn" "$T/hspush_$name"; done
"$T/hspush_pyro" 12 >/dev/null &
APID=$!
"$T/hspush_raw" 8 >/dev/null &
BPID=$!
"$T/hspush_dead" >/dev/null &
CPID=$!

# ended windows of RULE (the recordings API's view)
ended() { ctl list --json | jq "[.recordings[] | select(.rule == \"$1\" and .state != \"running\")] | length"; }
received() { ls "$RECV" | grep -c '\.status$'; }
pyro_pushes() { grep -l '^/ingest' "$RECV"/*.path 2>/dev/null | wc -l; }
raw_pushes() { grep -lx '/upload/here' "$RECV"/*.path 2>/dev/null | wc -l; }

all_pushed() { local n; n=$(ended "$1"); [ "$n" -ge 1 ] && [ "$($1_pushes)" -eq "$n" ]; }
wait $APID $BPID # the programs exit after 12 and 8 s (reaped: no zombie left to match)
# Each window, the last cut short by the program's exit, is pushed once.
wait_for "every pyro window pushed" 30 all_pushed pyro
wait_for "every raw window pushed" 30 all_pushed raw
sleep 0.5 # a push still being decoded by the receiver
n_pyro=$(ended pyro)
n_raw=$(ended raw)
expect_ge "pyro: at least 2 windows of a 12 s program in 2 s windows" "$n_pyro" 2
expect_eq "pyro: one push per window" "$(pyro_pushes)" "$n_pyro"
expect_eq "raw: one push per window" "$(raw_pushes)" "$n_raw"
expect_eq "every push decoded by go tool pprof" \
	"$(cat "$RECV"/*.status | sort -u | tr -d '\n')" "0"

# The Pyroscope URL: the name with the rule and pid, and each window's span in whole seconds as
# its file says (from = start rounded down, until = end rounded up), format=pprof.
want=$(for id in $(ctl list --json | jq -r '.recordings[] | select(.rule == "pyro") | .id'); do
	q "$T/data/recordings/$id.db" "SELECT '/ingest?name=heapscope.pyro%7Bpid%3D$APID%7D&from=' ||
		(start_time_ns / 1000000000) || '&until=' ||
		((start_time_ns + duration_ns + 999999999) / 1000000000) || '&format=pprof'
		FROM recording"
done | sort)
got=$(cat $(grep -l '^/ingest' "$RECV"/*.path) | sort)
expect_eq "pyroscope pushes: /ingest?name=heapscope.pyro{pid=N}, each window's from/until" \
	"$got" "$want"
for p in $(grep -l '^/ingest' "$RECV"/*.path); do
	expect_eq "pyroscope push's Content-Type" "$(cat "${p%.path}.ctype")" "application/octet-stream"
done
expect_eq "raw push's Content-Type" \
	"$(cat "$(grep -lx '/upload/here' "$RECV"/*.path | head -1 | sed 's/path$/ctype/')")" \
	"application/octet-stream"

# The profiles: churn's allocations, all from main, in the 4 sample types.
raw0=$(grep -l '^/ingest' "$RECV"/*.path | head -1)
raw0=${raw0%.path}.raw
expect_match "the pprof's sample types" "$(cat "$raw0")" "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes"
expect_match "the pprof's frames: churn's main" "$(cat "$raw0")" "main"

# The first request got a 503: logged once, retried after 1 s, then pushed.
expect_eq "the 503 logged with its retry" \
	"$(grep -c 'failed: HTTP 503: busy: try later; retry in 1 s' "$T/daemon.log")" 1

# The backend that is down: each failure one line, retried, and windows keep rotating.
wait_for "a dead push retried after 5 s" 20 grep -q "(rule dead) to http://127.0.0.1:$DEAD failed: .*; retry in 5 s" "$T/daemon.log"
expect_match "a refused push logged as one line" \
	"$(grep -m1 '(rule dead)' "$T/daemon.log")" \
	"^heapscope: push of window [0-9T]+-[0-9a-f]+ \(rule dead\) to http://127.0.0.1:$DEAD failed: .*Couldn't connect to server; retry in 1 s$"
dead_rotates() { [ "$(ended dead)" -ge 3 ]; }
wait_for "the dead backend's rule still rotates windows" 20 dead_rotates && ok "the dead backend's rule still rotates windows"
expect_eq "the receiver got the pyro and raw windows, nothing else" "$(received)" \
	"$((n_pyro + n_raw))"

[ "$_fail" -gt 0 ] && sed "s/^/# daemon: /" "$T/daemon.log" && ctl list
kill -TERM "$DPID"
wait "$DPID"
expect_eq "the daemon exits 0 on SIGTERM with pushes pending" "$?" 0
DPID=
finish

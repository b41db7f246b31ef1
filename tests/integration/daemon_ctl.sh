#!/usr/bin/env bash
# heapscope ctl against a real daemon: start, list, stop, export in every format, delete, a
# sampled recording's errors n/a, and its one-line errors (API errors, a server that is not the
# daemon, a daemon that is not there, an unreadable token, bad usage).
source "$(dirname "$0")/../lib.sh"

DPID=
cleanup() {
	kill ${APID:-} ${HPID:-} 2>/dev/null
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

"$HS" daemon --data "$T/data" --port 0 2>"$T/daemon.log" &
DPID=$!
wait_for "the daemon prints its URL" 20 grep -q 'dashboard at http' "$T/daemon.log" || {
	cat "$T/daemon.log"; finish; exit 1; }
URL=$(sed -n 's|.*dashboard at \(http://[0-9.:]*\)/.*|\1|p' "$T/daemon.log" | head -1)
ctl() { "$HS" ctl --url "$URL" --data "$T/data" "$@"; }

"$PROGS/churn" >/dev/null &
APID=$!
expect_eq "list with no recordings: the header only" "$(ctl list | wc -l)" 1

ID=$(ctl start -p $APID --sample 0 --stack fp)
expect_eq "start exits 0" "$?" 0
expect_match "start prints the id" "$ID" '^[0-9]{8}T[0-9]{6}-[0-9a-f]+$'
row=$(ctl list | grep "^$ID ")
expect_match "list: a running row (id, state, pid, no rule)" "$row" "^$ID +running +$APID +- "
expect_eq "list --json: the API's recording" \
	"$(ctl list --json | jq -r ".recordings[] | select(.id == \"$ID\") | \"\(.pid) \(.stack) \(.sample_bytes)\"")" \
	"$APID fp 0"
sleep 1
expect_eq "stop" "$(ctl stop "$ID")" "$ID stopped"
ended() { ctl list --json | jq -e ".recordings[] | select(.id == \"$ID\" and .state == \"ended\")"; }
wait_for "the stopped recording ends" 15 ended && ok "stopped recording is ended"
row=$(ctl list | grep "^$ID ")
allocs=$(ctl list --json | jq ".recordings[] | select(.id == \"$ID\") | .allocs")
expect_match "list: the ended row with its allocations and 0 errors" "$row" \
	"^$ID +ended +$APID +- +[0-9-]+ [0-9:]+ +[0-9.]+ s +[0-9.]+ [KM]iB +$allocs +[0-9.]+ K?i?B +0$"
expect_ge "the recording has allocations" "$allocs" 1000

# export in every format, to a file (-o) and to stdout
ctl export "$ID" --format db -o "$T/x.db"
expect_eq "export db: the recording's rows" "$(q "$T/x.db" 'SELECT pid FROM recording')" "$APID"
ctl export "$ID" --format pprof -o "$T/x.pb.gz"
expect_match "export pprof: go tool pprof reads it" \
	"$(go tool pprof -raw "$T/x.pb.gz" 2>&1 | grep -m1 '^Samples:' -A1 | tail -1)" \
	"alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes"
expect_eq "export json (stdout): the summary's allocations" \
	"$(ctl export "$ID" --format json | jq .summary.allocs)" "$allocs"
ctl export "$ID" --format html -o "$T/x.html"
expect_match "export html: a page" "$(head -c 200 "$T/x.html")" "<!(DOCTYPE|doctype) html"
expect_eq "no .tmp left behind" "$(ls "$T" | grep -c '\.tmp$')" 0

# errors: one line from the API, exit 1
out=$(ctl stop "$ID" 2>&1)
expect_eq "stop an ended recording: exit 1" "$?" 1
expect_eq "stop an ended recording: the API's error" "$out" \
	"heapscope: ctl stop: the recording has already ended"
expect_eq "delete" "$(ctl delete "$ID")" "$ID deleted"
expect_eq "deleted: not listed" "$(ctl list --json | jq '.recordings | length')" 0
out=$(ctl export "$ID" --format db -o "$T/gone.db" 2>&1)
expect_eq "export of a deleted recording: exit 1" "$?" 1
expect_eq "export of a deleted recording: one line" "$out" "heapscope: ctl export: no such recording"
expect_eq "export of a deleted recording: no file" "$(ls "$T" | grep -c gone)" 0
out=$(ctl start -p 999999999 2>&1)
expect_eq "start of no process: exit 1" "$?" 1
expect_eq "start of no process: one line" "$out" "heapscope: ctl start: no process 999999999"

# a sampled recording: its errors are not checked, so list says n/a (as the dashboard does)
SID=$(ctl start -p $APID --sample 4K --duration 1)
sampled_ended() { ctl list --json | jq -e ".recordings[] | select(.id == \"$SID\" and .state == \"ended\")"; }
wait_for "the 1-second sampled recording ends" 15 sampled_ended && ok "sampled recording ended"
expect_match "list: a sampled recording's errors are n/a" "$(ctl list | grep "^$SID ")" " n/a$"
expect_eq "delete the sampled one" "$(ctl delete "$SID")" "$SID deleted"

# a server that is not the daemon: an error page that is not JSON (its 501 to a POST), and a
# 200 that is not the list
mkdir -p "$T/www/api"
echo 'hello' >"$T/www/api/recordings"
(cd "$T/www" && exec python3 -m http.server --bind 127.0.0.1 0 >"$T/http.log" 2>&1) &
HPID=$!
wait_for "a plain HTTP server is up" 10 grep -q 'port [0-9]' "$T/http.log"
HURL=http://127.0.0.1:$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T/http.log" | head -1)
out=$("$HS" ctl --url "$HURL" --data "$T/data" list 2>&1)
expect_eq "not a daemon, 200: exit 1" "$?" 1
expect_eq "not a daemon, 200: says the answer is not the list" "$out" \
	"heapscope: ctl list: the daemon's answer to /api/recordings is not the JSON expected (is --url a heapscope daemon?)"
out=$("$HS" ctl --url "$HURL" --data "$T/data" stop 20261206T000000-0000 2>&1)
expect_eq "not a daemon, an error page: exit 1" "$?" 1
expect_eq "not a daemon, an error page: its status and the URL" "$out" \
	"heapscope: ctl stop: HTTP 501 from $HURL/api/recordings/20261206T000000-0000/stop"
kill "$HPID" 2>/dev/null; wait "$HPID" 2>/dev/null

# the daemon not there, the token unreadable, wrong token, usage
out=$("$HS" ctl --url http://127.0.0.1:1 --data "$T/data" list 2>&1)
expect_eq "no daemon: exit 1" "$?" 1
expect_eq "no daemon: one line" "$(echo "$out" | wc -l)" 1
expect_match "no daemon: says where and why" "$out" \
	"^heapscope: cannot reach the heapscope daemon at http://127.0.0.1:1: .*(refused|connect)"
out=$("$HS" ctl --url "$URL" --data "$T/nowhere" list 2>&1)
expect_eq "no token file: exit 1" "$?" 1
expect_match "no token file: says which file" "$out" \
	"^heapscope: cannot read the daemon's token $T/nowhere/token: No such file or directory"
echo 0000 >"$T/wrong"
out=$("$HS" ctl --url "$URL" --token-file "$T/wrong" list 2>&1)
expect_eq "a wrong token: exit 1" "$?" 1
expect_match "a wrong token: the API's 401 message" "$out" "^heapscope: ctl list: .*token"
expect_eq "the token file is root's only" "$(stat -c %a "$T/data/token")" 600
out=$(ctl stop 2>&1)
expect_eq "stop without an id: exit 2" "$?" 2
out=$(ctl list --format db 2>&1)
expect_eq "an option of another command: exit 2" "$?" 2
expect_eq "an option of another command: says so" "$out" "heapscope: --format and -o go with export"
out=$(ctl start -p 1 -p 2 2>&1)
expect_eq "an option given twice: exit 2" "$?" 2

finish

#!/usr/bin/env bash
# heapscope daemon through its API, as a script or the dashboard uses it: the token (401 without
# it; Bearer or the cookie of the printed URL), Host/Origin guards (403), start/stop/delete on
# long-running test programs with exact counts, two recordings at once, a recorder killed with
# SIGKILL (cut short, the daemon keeps serving), a recording's file read at its end without holding
# up the other calls, downloads, diff, limits and bad requests, a restart (the catalog comes back;
# files that are not recordings read as unreadable, with why), SIGTERM (every recording cut
# cleanly).
. "$(dirname "$0")/../lib.sh"

DATA=$T/data
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "${DP:-}" ] && kill -9 "$DP" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# start_daemon [OPTIONS...]: runs it in the background, sets DP, BASE, TOKEN.
start_daemon() {
	: >"$T/daemon.err"
	"$HS" daemon --data "$DATA" --port 0 "$@" 2>"$T/daemon.err" &
	DP=$!
	wait_for "daemon prints its URL" 10 grep -q 'dashboard at http' "$T/daemon.err"
	URL=$(grep -o 'http://[^ ]*' "$T/daemon.err" | head -1)
	BASE=${URL%%/\?token=*}
	TOKEN=${URL##*token=}
}

api() { curl -s -H "Authorization: Bearer $TOKEN" "$@"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
start_rec() { # start_rec PID [JSON fields]: the new id, or the error body
	api -H 'Content-Type: application/json' -d "{\"pid\": $1${2:+, $2}}" "$BASE/api/recordings"
}
state_of() { api "$BASE/api/recordings/$1" | jq -r .state; }
state_is() { [ "$(state_of "$1")" = "$2" ]; }
allocs_are() { [ "$(api "$BASE/api/recordings/$1/summary" | jq .allocs)" = "$2" ]; }

# launch_batch NAME: a signal_batch (3 leaks of 100 B per SIGUSR1) waiting for signals; its pid
# printed (called in $(...): the caller adds it to pids, which a subshell cannot).
launch_batch() {
	"$PROGS/signal_batch" 3 100 >"$T/$1.out" &
	wait_for "$1 ready" 10 grep -q ready "$T/$1.out"
	echo "$!"
}

start_daemon
expect_eq "URL printed once" "$(grep -c 'dashboard at' "$T/daemon.err")" 1
expect_match "token: 64 hex digits" "$TOKEN" '^[0-9a-f]{64}$'
expect_eq "token file: mode 600" "$(stat -c %a "$DATA/token")" 600
expect_eq "token file holds the token" "$(cat "$DATA/token")" "$TOKEN"

# --- the token -----------------------------------------------------------------------------
expect_eq "API without token: 401" "$(code "$BASE/api/recordings")" 401
expect_eq "dashboard without token: 401" "$(code "$BASE/")" 401
expect_eq "asset without token: 401" "$(code "$BASE/assets/app.js")" 401
# Its last digit changed (to 1 when it is 0: "...0" would be the token itself, 1 run in 16).
wrong=${TOKEN%?}$([ "${TOKEN: -1}" = 0 ] && echo 1 || echo 0)
expect_eq "wrong token: 401" "$(code -H "Authorization: Bearer $wrong" "$BASE/api/recordings")" 401
expect_eq "short token: 401" "$(code -H "Authorization: Bearer ${TOKEN:0:10}" "$BASE/api/recordings")" 401
expect_eq "wrong ?token: 401" "$(code "$BASE/?token=abc")" 401
expect_eq "Bearer: 200" "$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings")" 200
curl -s -D "$T/login.h" -o /dev/null "$URL"
expect_match "printed URL: 303 to /" "$(head -1 "$T/login.h")" ' 303'
cookie=$(grep -i '^set-cookie:' "$T/login.h" | tr -d '\r')
expect_match "cookie: HttpOnly" "$cookie" 'HttpOnly'
expect_match "cookie: SameSite=Strict" "$cookie" 'SameSite=Strict'
expect_eq "cookie: dashboard 200" "$(code -b "heapscope_token=$TOKEN" "$BASE/")" 200
expect_eq "cookie: API 200" "$(code -b "heapscope_token=$TOKEN" "$BASE/api/daemon")" 200
expect_eq "api/daemon says daemon" "$(api "$BASE/api/daemon" | jq .daemon)" true

# --- Host and Origin -------------------------------------------------------------------------
expect_eq "foreign Host: 403" "$(code -H "Authorization: Bearer $TOKEN" -H 'Host: evil.example' "$BASE/api/recordings")" 403
expect_eq "foreign Origin on POST: 403" "$(code -H "Authorization: Bearer $TOKEN" -H 'Origin: http://evil.example' \
	-H 'Content-Type: application/json' -d '{"pid": 1}' "$BASE/api/recordings")" 403
expect_eq "no CORS header" "$(curl -s -D - -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings" | grep -ci 'access-control')" 0

# --- bad requests ----------------------------------------------------------------------------
expect_eq "not JSON: 400" "$(code -H "Authorization: Bearer $TOKEN" -d 'pid=1' "$BASE/api/recordings")" 400
expect_eq "unknown field: 400" "$(code -H "Authorization: Bearer $TOKEN" -d '{"pid": 1, "cmd": "sh"}' "$BASE/api/recordings")" 400
expect_eq "no pid: 400" "$(code -H "Authorization: Bearer $TOKEN" -d '{"duration": 1}' "$BASE/api/recordings")" 400
expect_eq "pid as string: 400" "$(code -H "Authorization: Bearer $TOKEN" -d '{"pid": "1"}' "$BASE/api/recordings")" 400
expect_eq "bad stack: 400" "$(code -H "Authorization: Bearer $TOKEN" -d "{\"pid\": $$, \"stack\": \"x\"}" "$BASE/api/recordings")" 400
expect_eq "no such process: 404" "$(code -H "Authorization: Bearer $TOKEN" -d '{"pid": 999999999}' "$BASE/api/recordings")" 404
head -c 20000 /dev/zero | tr '\0' ' ' >"$T/big"
expect_eq "body over 16 KiB: 413" "$(code -H "Authorization: Bearer $TOKEN" --data-binary @"$T/big" "$BASE/api/recordings")" 413
expect_eq "PUT: 405" "$(code -X PUT -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings")" 405
expect_eq "unknown recording: 404" "$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings/nope/summary")" 404
expect_eq "DELETE unknown: 404" "$(code -X DELETE -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings/nope")" 404
expect_eq "path traversal id: 400" "$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings/..%2f..%2ftoken/summary")" 400
expect_eq "unknown route: 404" "$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/nothing")" 404
expect_eq "daemon is not recordable: 400" "$(code -H "Authorization: Bearer $TOKEN" -d "{\"pid\": $DP}" "$BASE/api/recordings")" 400

# --- two recordings at once, exact, stopped while the programs run ----------------------------
b1=$(launch_batch b1)
b2=$(launch_batch b2)
pids+=("$b1" "$b2")
id1=$(start_rec "$b1" '"stack": "fp"' | jq -r .id)
id2=$(start_rec "$b2" | jq -r .id)
expect_match "start 1: an id" "$id1" '^[0-9]{8}T[0-9]{6}-[0-9a-f]{4}$'
expect_match "start 2: an id" "$id2" '^[0-9]{8}T[0-9]{6}-[0-9a-f]{4}$'
expect_eq "both running" "$(state_of "$id1") $(state_of "$id2")" "running running"
expect_eq "same pid twice: 409" "$(code -H "Authorization: Bearer $TOKEN" -d "{\"pid\": $b1}" "$BASE/api/recordings")" 409
expect_eq "process list marks it" "$(api "$BASE/api/processes" | jq -r ".processes[] | select(.pid == $b1) | .recording")" "$id1"
expect_eq "process list: allocator" "$(api "$BASE/api/processes" | jq -r ".processes[] | select(.pid == $b1) | .allocator")" glibc
kill -USR1 "$b1"; wait_for "b1 batch 1" 5 grep -q 'done 1' "$T/b1.out"
kill -USR1 "$b1"; wait_for "b1 batch 2" 5 grep -q 'done 2' "$T/b1.out"
kill -USR1 "$b2"; wait_for "b2 batch 1" 5 grep -q 'done 1' "$T/b2.out"
expect_eq "stop 1" "$(api -X POST "$BASE/api/recordings/$id1/stop" | jq -r .id)" "$id1"
wait_for "1 ended" 15 state_is "$id1" ended
expect_eq "2 still running" "$(state_of "$id2")" running
expect_eq "stop again: 409" "$(code -X POST -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings/$id1/stop")" 409
s1=$(api "$BASE/api/recordings/$id1/summary")
expect_eq "1: exact allocations" "$(jq .allocs <<<"$s1")" 14
expect_eq "1: exact live bytes" "$(jq .live_bytes <<<"$s1")" 600
expect_eq "1: end reason interrupted" "$(jq -r .end_reason <<<"$s1")" interrupted
expect_eq "1: stack mode fp" "$(api "$BASE/api/recordings/$id1" | jq -r .stack)" fp
expect_eq "1: leaks route" "$(api "$BASE/api/recordings/$id1/leaks" | jq '[.[].bytes] | add')" 600
expect_eq "list: 1's numbers" "$(api "$BASE/api/recordings" | jq -c ".recordings[] | select(.id == \"$id1\") | [.allocs, .live_bytes, .errors, .end_reason]")" '[14,600,0,"interrupted"]'
wait_for "2: its batch committed" 5 allocs_are "$id2" 7
expect_eq "2: live" "$(api "$BASE/api/recordings/$id2/summary" | jq .live)" true

# --- downloads ---------------------------------------------------------------------------------
curl -s -H "Authorization: Bearer $TOKEN" -D "$T/dl.h" -o "$T/dl.db" "$BASE/api/recordings/$id1/download?format=db"
expect_match "db: attachment" "$(grep -i '^content-disposition' "$T/dl.h")" "attachment; filename=\"heapscope-$id1.db\""
expect_eq "db: integrity" "$(q "$T/dl.db" 'PRAGMA integrity_check')" ok
expect_eq "db: same allocations" "$("$HS" report -d "$T/dl.db" --format json --view summary | jq .summary.allocs)" 14
api -o "$T/dl2.db" "$BASE/api/recordings/$id2/download?format=db"
expect_eq "db of a running recording: its counts" "$("$HS" report -d "$T/dl2.db" --format json --view summary | jq .summary.allocs)" 7
api -o "$T/dl.pb.gz" "$BASE/api/recordings/$id1/download?format=pprof"
expect_eq "pprof: gzip" "$(head -c 2 "$T/dl.pb.gz" | od -An -tx1 | tr -d ' ')" 1f8b
api -o "$T/dl.html" "$BASE/api/recordings/$id1/download?format=html"
expect_eq "html: the report page" "$(grep -c 'id="heapscope-data"' "$T/dl.html")" 1
expect_eq "download: bad format 400" "$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings/$id1/download?format=exe")" 400
expect_eq "diff API: site deltas" "$(api "$BASE/api/diff?a=$id2&b=$id1" | jq '.totals.delta.live_bytes')" 300

# --- a recorder killed --------------------------------------------------------------------------
child=$(pgrep -f "record -p $b2 -o")
expect_match "2: its recorder child" "$child" '^[0-9]+$'
kill -9 "$child"
wait_for "2 cut short" 10 state_is "$id2" cut_short
expect_eq "2: summary says cut_short" "$(api "$BASE/api/recordings/$id2/summary" | jq -r .end_reason)" cut_short
expect_eq "2: rows of its last commit" "$(api "$BASE/api/recordings/$id2/summary" | jq .allocs)" 7
expect_eq "daemon still serving" "$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings")" 200
expect_eq "daemon alive" "$(kill -0 "$DP" && echo yes)" yes

# --- delete ----------------------------------------------------------------------------------------
id3=$(start_rec "$b2" '"duration": 30' | jq -r .id)
expect_eq "delete a running one" "$(api -X DELETE "$BASE/api/recordings/$id3" | jq .deleted)" true
expect_eq "deleted: 404" "$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings/$id3")" 404
expect_eq "deleted: no files" "$(ls "$DATA/recordings" | grep -c "$id3")" 0
expect_eq "deleted: its recorder gone" "$(pgrep -fc "record -p $b2 -o")" 0

# --- a recording's file read at its end: the other calls do not wait ------------------------------
# The file swapped for a FIFO before its recorder dies: reading it blocks in open() until a writer
# comes, as long as the test likes. Meanwhile the catalog must answer (the read once held its lock).
id6=$(start_rec "$b2" | jq -r .id)
rec6=$(pgrep -f "record -p $b2 -o")
kill -STOP "$rec6"
rm -f "$DATA/recordings/$id6.db" "$DATA/recordings/$id6.db-wal" "$DATA/recordings/$id6.db-shm"
mkfifo "$DATA/recordings/$id6.db"
kill -9 "$rec6"
reading() { grep -qs fifo_open /proc/"$DP"/task/*/stack; }
wait_for "the daemon reads the ended recording's file" 10 reading
expect_eq "while it reads: the rules answer" \
	"$(code --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE/api/rules")" 200
expect_eq "while it reads: another recording answers" \
	"$(api --max-time 5 "$BASE/api/recordings/$id1" | jq -r .state)" ended
exec 3<>"$DATA/recordings/$id6.db" # a writer: the daemon's open returns
rm -f "$DATA/recordings/$id6.db"
exec 3>&-
wait_for "then the end is published: unreadable (no file)" 10 state_is "$id6" unreadable
expect_eq "its recorder reaped" "$(ps -o stat= -p "$rec6" | grep -c Z)" 0
expect_eq "delete it" "$(api -X DELETE "$BASE/api/recordings/$id6" | jq .deleted)" true

# --- limits ----------------------------------------------------------------------------------------
kill "$DP"; wait "$DP"
start_daemon --running-max 1
id4=$(start_rec "$b1" | jq -r .id)
expect_eq "running_max: 409" "$(code -H "Authorization: Bearer $TOKEN" -d "{\"pid\": $b2}" "$BASE/api/recordings")" 409
expect_match "running_max: says why" "$(start_rec "$b2" | jq -r .error)" 'limit'
expect_match "second daemon on the data dir refused" "$("$HS" daemon --data "$DATA" --port 0 2>&1)" 'another heapscope daemon'

# --- restart: the catalog comes back; SIGTERM cuts cleanly ----------------------------------------
kill -USR1 "$b1"; wait_for "b1 batch 3" 5 grep -q 'done 3' "$T/b1.out"
sleep 1.2 # one commit
kill -TERM "$DP"
wait "$DP"
expect_eq "SIGTERM: daemon exits 0" "$?" 0
expect_eq "SIGTERM: no recorder left" "$(pgrep -fc "record -p $b1 -o")" 0
# Files in recordings/ that are not recordings: garbage, and another program's SQLite database.
bad=20260101T000000-0bad
alien=20260101T000001-0db0
yes garbage | head -c 8192 >"$DATA/recordings/$bad.db"
q "$DATA/recordings/$alien.db" 'CREATE TABLE t(a)'
start_daemon
list=$(api "$BASE/api/recordings")
expect_eq "restart: recordings back" "$(jq -r '[.recordings[].id] | sort | join(" ")' <<<"$list")" \
	"$(printf '%s\n' "$id1" "$id2" "$id4" "$bad" "$alien" | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "restart: states" "$(jq -r ".recordings[] | select(.id == \"$id2\") | .state" <<<"$list")" cut_short
expect_eq "restart: SIGTERM'd one ended cleanly" "$(jq -r ".recordings[] | select(.id == \"$id4\") | [.state, .end_reason, .allocs] | join(\" \")" <<<"$list")" "ended interrupted 7"
expect_eq "restart: the same token" "$TOKEN" "$(cat "$DATA/token")"
expect_eq "restart: 1 still exact" "$(api "$BASE/api/recordings/$id1/summary" | jq .allocs)" 14
expect_eq "garbage: unreadable, in the list" \
	"$(jq -r ".recordings[] | select(.id == \"$bad\") | \"\(.state) \(.readable)\"" <<<"$list")" "unreadable false"
expect_eq "garbage: nothing measured reads as a number (null, not 0)" \
	"$(jq -c ".recordings[] | select(.id == \"$bad\") | [.pid, .allocs, .live_bytes, .errors, .duration_s]" <<<"$list")" \
	"[null,null,null,null,null]"
expect_match "garbage: the store's reason" "$(jq -r ".recordings[] | select(.id == \"$bad\") | .read_error" <<<"$list")" \
	"/$bad\.db is not a heapscope recording \(not an SQLite database\)$"
expect_match "another program's database: unreadable, why" \
	"$(api "$BASE/api/recordings/$alien" | jq -r '"\(.state) \(.read_error)"')" '^unreadable .*not a heapscope recording \(no recording table\)$'
expect_eq "a readable one: no read_error" "$(jq -r ".recordings[] | select(.id == \"$id1\") | .read_error" <<<"$list")" null
for v in summary sites flame 'download?format=pprof' 'download?format=db'; do
	expect_match "garbage: $v answers 409 and why" \
		"$(curl -s -w ' %{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings/$bad/$v")" \
		"^\{\"error\":\"recording $bad cannot be read: .*not an SQLite database\)\"\} 409$"
done
expect_eq "garbage: diff 409" "$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/diff?a=$id1&b=$alien")" 409
expect_eq "garbage: the daemon serves on" "$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings")" 200
expect_eq "garbage: deleted" "$(api -X DELETE "$BASE/api/recordings/$alien" | jq .deleted)" true
expect_eq "diff: a window ending before it starts: 400" \
	"$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/diff?a=$id1&b=$id1&a_from=5&a_to=1")" 400
kill -TERM "$DP"; wait "$DP"

# --- rules as the dashboard lists them -----------------------------------------------------------
cat >"$T/conf" <<EOC
[daemon]
quota = 1K

[rule nightly]
comm = hs-nothing-runs
window = 10m
sample = 64K
keep = 3
push_url = http://user:secret@127.0.0.1:9/
EOC
printf 'rule=nightly\n' >"$DATA/recordings/$bad.meta" # the garbage as a window of the rule
start_daemon --config "$T/conf"
rules=$(api "$BASE/api/rules")
expect_eq "rules: the rule" "$(jq -c '.rules[0] | [.name, .comm, .window_s, .sample_bytes, .estimated, .keep, .windows]' <<<"$rules")" \
	'["nightly","hs-nothing-runs",600,65536,true,3,1]'
expect_eq "rules: push URL not shown (credentials)" "$(grep -c secret <<<"$rules")" 0
expect_match "quota reached: 409, says so" "$(curl -s -w ' %{http_code}' -H "Authorization: Bearer $TOKEN" -d "{\"pid\": $b1}" "$BASE/api/recordings")" 'quota.* 409$'
trend=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/trend?rule=nightly")
expect_eq "trend of a rule: 200" "$(tail -1 <<<"$trend")" 200
expect_eq "trend: its unreadable window left out" "$(head -1 <<<"$trend" | jq '.windows | length')" 0
expect_eq "trend of no such rule: 404" "$(code -H "Authorization: Bearer $TOKEN" "$BASE/api/trend?rule=nope")" 404
kill -TERM "$DP"; wait "$DP"

# --- the daemon SIGKILLed: its recorder goes on; the next daemon adopts it ------------------------
start_daemon
id5=$(start_rec "$b1" | jq -r .id)
kill -9 "$DP"; wait "$DP" 2>/dev/null
expect_eq "daemon killed: its recorder still records" "$(pgrep -fc "record -p $b1 -o")" 1
start_daemon
expect_eq "restart: the orphan recording is running" "$(state_of "$id5")" running
kill -USR1 "$b1"; wait_for "b1 batch 4" 5 grep -q 'done 4' "$T/b1.out"
wait_for "orphan: its batch committed" 5 allocs_are "$id5" 7
expect_eq "orphan: stop" "$(code -X POST -H "Authorization: Bearer $TOKEN" "$BASE/api/recordings/$id5/stop")" 200
wait_for "orphan: ended" 15 state_is "$id5" ended
expect_eq "orphan: ended cleanly, exact" "$(api "$BASE/api/recordings/$id5/summary" | jq -c '[.end_reason, .allocs, .live_bytes]')" '["interrupted",7,300]'
kill -TERM "$DP"; wait "$DP"

"$HS" serve -d "$DATA/recordings/$id1.db" --port 0 >"$T/serve.err" 2>&1 &
SP=$!
pids+=("$SP")
wait_for "serve prints its URL" 10 grep -q 'http://' "$T/serve.err"
SURL=$(grep -o 'http://[^ ]*' "$T/serve.err" | head -1)
expect_eq "serve: /api/daemon says not a daemon" "$(curl -s "${SURL%/}/api/daemon")" '{"daemon":false}'
expect_eq "serve: no token needed" "$(code "${SURL%/}/api/summary")" 200
finish

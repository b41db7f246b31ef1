#!/usr/bin/env bash
# Recorder options and output: --duration, --keep-events, --stack=caller, the default file name,
# the progress line on a terminal and the summary line elsewhere.
. "$(dirname "$0")/../lib.sh"

# --- --duration ends an attach recording on time; the target keeps running.
sleep 30 &
target=$!
start=$SECONDS
"$HS" record -p "$target" -o "$T/dur.db" --duration 1 2>"$T/dur.err"
expect_eq "duration: exit status" "$?" 0
expect_eq "duration: ended by the duration" "$(q "$T/dur.db" "SELECT end_reason, mode FROM recording")" "duration|attach"
expect_ge "duration: took at most 10 s" $((10 - (SECONDS - start))) 0
expect_eq "duration: the target still runs" "$(kill -0 "$target" 2>/dev/null && echo alive)" alive
kill "$target"

# --- --keep-events stores one event per call, in order.
"$HS" record --keep-events -o "$T/ev.db" -- "$PROGS/leaks3" 0 >/dev/null 2>"$T/ev.err"
expect_eq "keep-events: exit status" "$?" 0
expect_eq "keep-events: one alloc event per allocation" \
	"$(q "$T/ev.db" "SELECT (SELECT count(*) FROM events WHERE kind = 'alloc') = (SELECT count(*) FROM allocations)")" 1
expect_eq "keep-events: one free event per freed block" \
	"$(q "$T/ev.db" "SELECT (SELECT count(*) FROM events WHERE kind = 'free') = (SELECT count(free_ts) FROM allocations)")" 1
expect_eq "keep-events: timestamps never go back" \
	"$(q "$T/ev.db" "SELECT count(*) FROM events e JOIN events p ON p.seq = e.seq - 1 WHERE e.ts < p.ts")" 0
"$HS" record -o "$T/noev.db" -- "$PROGS/leaks3" 0 >/dev/null 2>&1
expect_eq "without --keep-events: no events" "$(q "$T/noev.db" "SELECT count(*) FROM events")" 0

# --- --stack=caller: one frame per stack, still the right function.
"$HS" record --stack=caller -o "$T/caller.db" -- "$PROGS/leaks3" 0 >/dev/null 2>&1
expect_eq "stack=caller: every stack has one frame" "$(q "$T/caller.db" "SELECT DISTINCT depth FROM stacks")" 1
expect_eq "stack=caller: leak functions" \
	"$(q "$T/caller.db" "SELECT group_concat(function) FROM (SELECT DISTINCT sf.function FROM leaks l JOIN site_frames sf ON sf.site = l.site WHERE sf.function LIKE 'leak_%' ORDER BY 1)")" \
	"leak_a,leak_b,leak_c"

# --- Default output file: heapscope-<pid>.db in the current directory.
(cd "$T" && "$HS" record -- "$PROGS/leaks3" 0 >"$T/def.out" 2>&1)
pid=$(sed -n 's/^pid //p' "$T/def.out")
expect_eq "default file name" "$(ls "$T" | grep -c "^heapscope-$pid\.db$")" 1

# --- Not a terminal: no progress line, one summary line.
"$HS" record -o "$T/plain.db" -- sleep 1.5 2>"$T/plain.err"
expect_eq "plain: no carriage returns" "$(grep -c $'\r' "$T/plain.err")" 0
expect_match "plain: summary line" "$(tail -1 "$T/plain.err")" "^heapscope: exited after [0-9.]+s: [0-9]+ allocations, [0-9]+ frees, .* 0 dropped events -> "

# --- On a terminal: a progress line about once a second.
script -qfec "$HS record -o $T/tty.db -- sleep 3.5" "$T/tty.log" >/dev/null 2>&1
progress=$(tr '\r' '\n' <"$T/tty.log" | grep -c 'events/s.*live .* blocks.*dropped')
expect_ge "tty: at least 2 progress updates in 3.5 s" "$progress" 2
expect_match "tty: the summary follows" "$(tr '\r' '\n' <"$T/tty.log" | grep 'exited after')" "exited after"

# --- Bad options: one line and exit status 2.
"$HS" record --duration -3 -- true 2>"$T/bad.err"
expect_eq "negative duration: exit 2" "$?" 2
expect_match "negative duration: message" "$(head -1 "$T/bad.err")" "invalid duration"
"$HS" record -o x.db 2>"$T/bad2.err"
expect_eq "no target: exit 2" "$?" 2
expect_match "no target: message" "$(head -1 "$T/bad2.err")" "needs either -p PID or -- COMMAND"
"$HS" record -p 12x 2>"$T/bad3.err"
expect_eq "bad pid: exit 2" "$?" 2
expect_match "bad pid: message" "$(head -1 "$T/bad3.err")" "invalid pid '12x'"
"$HS" record --serve --allow-host bad:80 -- true 2>"$T/bad4.err"
expect_eq "--allow-host with a port: exit 2" "$?" 2

# --- record --serve --allow-host: the live dashboard answers that name, and no other.
"$HS" record --serve --port 0 --allow-host dash.example -o "$T/ah.db" -- "$PROGS/churn" 3 \
	>"$T/ah.out" 2>&1 &
rec=$!
wait_for "record --serve: URL printed" 15 grep -q 'http://127.0.0.1:[0-9]*/' "$T/ah.out"
url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$T/ah.out" | head -1)
port=${url##*:}
port=${port%/}
expect_eq "--allow-host: its name is answered" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H "Host: dash.example:$port" "${url}api/summary")" 200
expect_eq "--allow-host: another name is not" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H "Host: evil.example:$port" "${url}api/summary")" 403
# The command ends by itself; the dashboard stays until a signal.
wait_for "record --serve: the dashboard stays" 30 grep -q 'dashboard stays' "$T/ah.out"
kill -TERM "$rec" 2>/dev/null
wait "$rec" 2>/dev/null
finish

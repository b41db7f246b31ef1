#!/usr/bin/env bash
# heapscope serve's network exposure: the warning on a bind other than loopback, Host names
# refused on every bind (DNS rebinding) unless loopback, the bind address or --allow-host, other
# sites' Origin refused, and connections that send their request slowly (one header line every
# 2 s, from this machine and from another address) closed by the request deadline without ever
# keeping a local request waiting.
. "$(dirname "$0")/../lib.sh"

SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT

"$HS" record -o "$T/leaks3.db" -- "$PROGS/leaks3" >/dev/null 2>"$T/rec.err"
expect_eq "recorded leaks3" "$(q "$T/leaks3.db" 'SELECT count(*) FROM allocations')" 82

# serve_start ARGS...: a server on a free port in the background; sets URL, PORT, SPID.
serve_start() {
	"$HS" serve -d "$T/leaks3.db" --port 0 "$@" >"$T/serve.out" 2>"$T/serve.err" &
	SPID=$!
	wait_for "serve $*: prints its URL" 10 grep -q '^http://' "$T/serve.out" || return 1
	URL=$(head -1 "$T/serve.out")
	URL=${URL%/}
	PORT=${URL##*:}
	echo "# serving at $URL/ ($*)"
}
serve_stop() {
	kill "$SPID"
	wait "$SPID"
	SPID=
}

# status NAME EXPECTED URL [CURL ARGS...]
status() {
	local code
	code=$(curl -s --max-time 10 -o "$T/body" -w '%{http_code}' "${@:4}" "$3")
	expect_eq "$1" "$code" "$2"
}

# --- Loopback (the default): no warning; Host and Origin checked.
serve_start --allow-host dash.example --allow-host '[fd00::7]'
expect_eq "loopback: no warning" "$(grep -c warning "$T/serve.err")" 0
L=http://127.0.0.1:$PORT/api/summary
status "loopback: Host evil.example.com refused" 403 "$L" -H 'Host: evil.example.com'
expect_match "loopback: the refusal says why" "$(jq -r .error "$T/body")" 'DNS rebinding.*--allow-host'
status "loopback: Host evil.example.com:PORT refused" 403 "$L" -H "Host: evil.example.com:$PORT"
status "loopback: Host localhost.evil.example refused" 403 "$L" -H 'Host: localhost.evil.example'
status "loopback: Host 127.0.0.1.nip.io refused" 403 "$L" -H 'Host: 127.0.0.1.nip.io'
status "loopback: Host with a bad port refused" 403 "$L" -H 'Host: localhost:x'
for h in localhost "localhost:$PORT" "127.0.0.1:$PORT" "[::1]:$PORT" "dash.example:$PORT" DASH.Example \
	"[fd00::7]:$PORT" "[fd00:0::7]"; do
	status "loopback: Host $h accepted" 200 "$L" -H "Host: $h"
done
status "loopback: Origin of the dashboard itself" 200 "$L" -H "Origin: http://127.0.0.1:$PORT"
status "loopback: Origin of an allowed name" 200 "$L" -H "Host: dash.example:$PORT" -H "Origin: http://dash.example:$PORT"
status "loopback: Origin evil.example.com refused" 403 "$L" -H 'Origin: http://evil.example.com'
expect_match "loopback: the Origin refusal says why" "$(jq -r .error "$T/body")" 'cross-origin'
status "loopback: Origin of another port refused" 403 "$L" -H "Origin: http://127.0.0.1:$((PORT ^ 1))"
status "loopback: Origin of the same name elsewhere refused" 403 "$L" -H "Host: dash.example:$PORT" -H "Origin: http://127.0.0.1:$PORT"
status "loopback: Origin null refused" 403 "$L" -H 'Origin: null'
status "loopback: Origin on the page itself" 200 "http://127.0.0.1:$PORT/" -H "Origin: http://127.0.0.1:$PORT"
status "loopback: cross-origin asset refused" 403 "http://127.0.0.1:$PORT/assets/app.js" -H 'Origin: https://evil.example.com'
serve_stop

# --- --allow-host values.
bad() {
	"$HS" serve -d "$T/leaks3.db" --port 0 "${@:2}" >/dev/null 2>"$T/bad.err"
	expect_eq "$1: exit status" "$?" 2
	expect_eq "$1: one line" "$(wc -l <"$T/bad.err")" 1
}
bad "--allow-host with a port" --allow-host dash.example:80
bad "--allow-host with a space" --allow-host 'a b'
bad "--allow-host empty" --allow-host ''
bad "--allow-host a URL" --allow-host http://dash.example/
bad "17 --allow-host" $(for i in $(seq 17); do echo --allow-host "h$i"; done)
expect_match "17 --allow-host: the limit" "$(cat "$T/bad.err")" 'at most 16'

# --- Every interface: the warning, the same checks, the bind address and --allow-host names.
REMOTE=$(ip -4 -o addr show scope global | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
if [ -z "$REMOTE" ]; then
	not_ok "this machine needs an IPv4 address other than loopback (ip -4 addr show scope global) to test peers other than loopback"
	finish
	exit 1
fi
serve_start --bind 0.0.0.0 --allow-host "$REMOTE"
expect_eq "0.0.0.0: the warning, one line" "$(cat "$T/serve.err" | grep -v '^heapscope: serving ')" \
	"heapscope: warning: --bind 0.0.0.0 is not loopback: anyone who can reach 0.0.0.0:$PORT can read this recording (command lines, file paths, stacks); Host names answered: localhost, 127.0.0.1, [::1], 0.0.0.0, $REMOTE"
L=http://127.0.0.1:$PORT/api/summary
status "0.0.0.0: Host evil.example.com refused" 403 "$L" -H 'Host: evil.example.com'
status "0.0.0.0: Host evil.example.com refused from $REMOTE" 403 "http://$REMOTE:$PORT/api/summary" -H 'Host: evil.example.com'
status "0.0.0.0: Host 0.0.0.0:PORT (the printed URL)" 200 "$URL/api/summary"
status "0.0.0.0: Host $REMOTE (--allow-host)" 200 "http://$REMOTE:$PORT/api/summary"
status "0.0.0.0: Origin evil.example.com refused" 403 "http://$REMOTE:$PORT/api/summary" -H 'Origin: http://evil.example.com'
status "0.0.0.0: same Origin" 200 "http://$REMOTE:$PORT/api/summary" -H "Origin: http://$REMOTE:$PORT"

# --- Slow requests: 40 connections from 127.0.0.1 and 20 from $REMOTE, each sending a request
# line and then one header line every 2 s, never ending the request; and 2 from 127.0.0.1 sending
# their body (Content-Length: 100000) one byte every 2 s.
cat >"$T/trickle.py" <<'PY'
import select, socket, sys, time
port, ready = int(sys.argv[1]), sys.argv[2]
conns = []  # [group, socket, connected at, closed at]
for g in sys.argv[3:]:
    n, addr = g.split("=")  # ADDR or ADDR/body
    body = addr.endswith("/body")
    for _ in range(int(n)):
        s = socket.create_connection((addr.split("/")[0], port), timeout=5)
        s.setblocking(False)
        c = [addr, s, time.monotonic(), None]
        conns.append(c)
        try:
            s.send(b"GET /api/summary HTTP/1.1\r\nHost: localhost\r\n" +
                   (b"Content-Length: 100000\r\n\r\n" if body else b""))
        except OSError:
            c[3] = c[2]
def poll_closed():
    for c in conns:
        if c[3] is None:
            try:
                if select.select([c[1]], [], [], 0)[0] and c[1].recv(4096) == b"":
                    c[3] = time.monotonic()
            except OSError:
                c[3] = time.monotonic()
start = time.monotonic()
last_send, is_ready = start, False
while time.monotonic() - start < 25 and any(c[3] is None for c in conns):
    time.sleep(0.05)
    poll_closed()
    now = time.monotonic()
    if not is_ready and now - start >= 1:
        with open(ready, "w") as f:
            for addr in dict.fromkeys(c[0] for c in conns):
                f.write("%s %d\n" % (addr, sum(c[0] == addr and c[3] is None for c in conns)))
        is_ready = True
    if now - last_send >= 2:
        last_send = now
        for c in conns:
            if c[3] is None:
                try:
                    c[1].send(b"x" if c[0].endswith("/body") else b"X-Trickle: 1\r\n")
                except OSError:
                    c[3] = now
for addr in dict.fromkeys(c[0] for c in conns):
    held = [c[3] - c[2] for c in conns if c[0] == addr and c[3] is not None and c[3] - c[2] > 1]
    print(addr, sum(c[0] == addr and c[3] is None for c in conns), len(held),
          "%.1f %.1f" % (min(held), max(held)) if held else "- -")
PY
python3 "$T/trickle.py" "$PORT" "$T/ready" 40=127.0.0.1 "20=$REMOTE" 2=127.0.0.1/body >"$T/trickle.out" 2>"$T/trickle.err" &
TPID=$!
wait_for "trickling connections: all opened" 20 test -s "$T/ready"
cat "$T/ready" | sed 's/^/# open after 1 s: /'
expect_eq "trickling: all 40 from 127.0.0.1 held (loopback: no limit but the total)" \
	"$(awk '$1 == "127.0.0.1" { print $2 }' "$T/ready")" 40
expect_eq "trickling: 8 of 20 from $REMOTE held (8 per address)" \
	"$(awk -v a="$REMOTE" '$1 == a { print $2 }' "$T/ready")" 8
expect_eq "trickling: both slow bodies held" "$(awk '$1 == "127.0.0.1/body" { print $2 }' "$T/ready")" 2
w=$(curl -s --max-time 10 -o "$T/body" -w '%{http_code} %{time_total}' "$L")
expect_eq "trickling: a request from 127.0.0.1 is answered" "${w% *}" 200
expect_eq "trickling: at once (under 2 s)" "$(awk -v t="${w#* }" 'BEGIN { print (t < 2) }')" 1
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$REMOTE:$PORT/api/summary")
expect_eq "trickling: a 9th connection from $REMOTE is refused" "$code" 000
wait "$TPID"
expect_eq "trickling: the script ran" "$?" 0
cat "$T/trickle.out" | sed 's/^/# still open, closed after 1 s, their lifetimes min max: /'
# Each closed by the 10 s deadline from its accept (the watchdog looks every 0.25 s), not by the
# 30 s idle timeout, which the trickle keeps resetting.
while read -r addr open closed lo hi; do
	expect_eq "trickling from $addr: none left open" "$open" 0
	case $addr in 127.0.0.1) n=40 ;; */body) n=2 ;; *) n=8 ;; esac
	expect_eq "trickling from $addr: closed after 1 s" "$closed" "$n"
	expect_eq "trickling from $addr: closed by the deadline (9.5-11.5 s: $lo-$hi)" \
		"$(awk -v lo="$lo" -v hi="$hi" 'BEGIN { print (lo >= 9.5 && hi <= 11.5) }')" 1
done <"$T/trickle.out"
status "after the trickle: $REMOTE is served again" 200 "http://$REMOTE:$PORT/api/summary"
expect_eq "still running" "$(kill -0 "$SPID" && echo yes)" yes
serve_stop

finish

#!/usr/bin/env bash
# The daemon's dashboard, end to end: `heapscope daemon` with a rule of 2-second windows, two
# churn processes (one the rule records, one for the browser), driven by headless Chromium
# (tests/web/daemon.test.mjs): log in with the printed URL, pick the process, record (exact),
# watch it live, stop, open every view and the downloads, record again sampled, compare the two,
# two windows of one and a bad window, the Rules panel (and a rule no process matches: waiting for
# its first window), the rule's trend, no such rule, delete; not one console error. Without the
# cookie the API answers 401.
# Screenshots go to build/screenshots/daemon/.
. "$(dirname "$0")/../lib.sh"

DPID=
CPID=
RPID=
cleanup() {
	[ -n "$CPID" ] && kill -KILL "$CPID" 2>/dev/null
	[ -n "$RPID" ] && kill -KILL "$RPID" 2>/dev/null
	if [ -n "$DPID" ]; then
		kill -TERM "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

web=$TOP/tests/web
shots=$TOP/build/screenshots/daemon

if ! "$HS" daemon --help 2>&1 | grep -q 'heapscope daemon'; then
	not_ok "heapscope has no 'daemon' command: its dashboard cannot be tested"
	finish
	exit
fi

cat >"$T/heapscope.conf" <<CONF
[rule hstrend]
comm = hstrend
window = 2
sample = 0
keep = 0

[rule idle]
comm = hs-no-such
window = 10m
sample = 64K
keep = 3
keep_bytes = 1G
CONF
mkdir -p "$T/data/recordings"
# A file that is no recording: listed as unreadable, with Delete only.
BAD=20260101T000000-0bad
yes garbage | head -c 8192 >"$T/data/recordings/$BAD.db"
"$HS" daemon --data "$T/data" --port 0 --config "$T/heapscope.conf" >"$T/daemon.out" 2>"$T/daemon.err" &
DPID=$!
# login_url: "heapscope: dashboard at http://127.0.0.1:PORT/?token=TOKEN" on stderr.
login_url() {
	local u
	u=$(sed -n 's|^heapscope: dashboard at \(http://[0-9.:]*/?token=[0-9A-Za-z]*\).*|\1|p' "$T/daemon.err" | head -1)
	[ -n "$u" ] && echo "$u"
}
if ! wait_for "daemon: prints its URL" 20 login_url; then
	sed 's/^/#   daemon stderr: /' "$T/daemon.err" | head -20
	finish
	exit
fi
LOGIN=$(login_url)
BASE=${LOGIN%%\?*}
expect_match "daemon: the URL is on loopback, with a token" "$LOGIN" '^http://127\.0\.0\.1:[0-9]+/\?token=.+'

# Without the cookie (or with a wrong token): 401, for reads and changes alike.
expect_eq "api/recordings without the cookie" "$(curl -s -o /dev/null -w '%{http_code}' "${BASE}api/recordings")" 401
expect_eq "api/processes without the cookie" "$(curl -s -o /dev/null -w '%{http_code}' "${BASE}api/processes")" 401
expect_eq "POST api/recordings without the cookie" "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' -H "Origin: ${BASE%/}" -d '{"pid":1,"duration":1,"stack":"dwarf","sample":0}' \
	"${BASE}api/recordings")" 401
expect_eq "the page with a wrong token" "$(curl -s -o /dev/null -w '%{http_code}' "${BASE}?token=0123")" 401

# The browser's target (churn allocates until killed) and the rule's (the same, named hstrend).
"$PROGS/churn" >"$T/churn.out" 2>&1 &
CPID=$!
cp "$PROGS/churn" "$T/hstrend"
"$T/hstrend" >"$T/hstrend.out" 2>&1 &
RPID=$!
wait_for "churn is ready" 10 grep -q ready "$T/churn.out"

if [ ! -d "$web/node_modules/playwright-core" ]; then
	not_ok "browser test: $web/node_modules/playwright-core is missing; run 'make web-deps'"
elif ! command -v node >/dev/null; then
	not_ok "browser test: node is not installed; run 'make deps'"
else
	rm -rf "$shots"
	mkdir -p "$shots"
	(cd "$web" && HS_LOGIN=$LOGIN HS_PID=$CPID HS_RULE=hstrend HS_RULE_PID=$RPID HS_IDLE_RULE=idle HS_BAD=$BAD \
		HS_SHOTS=$shots timeout -k 5 240 \
		node --test --test-reporter=tap daemon.test.mjs) >"$T/web.tap" 2>&1
	run_tap web "$T/web.tap" $?
	n=$(find "$shots" -name '*.png' | wc -l)
	expect_ge "screenshots written to build/screenshots/daemon" "$n" 12
fi

kill -TERM "$DPID"
wait_for "daemon: exits on SIGTERM" 30 bash -c "! kill -0 $DPID" && DPID=
finish

#!/usr/bin/env bash
# The dashboard served by `heapscope serve` on a recording of several processes (written by the
# unit test's writer, tests/unit/test_processes.c: pid 100 runs sh, which execs ./prog, whose
# child 101 is a Go program and misuses free after events were lost), driven by headless
# Chromium (tests/web/dashboard.test.mjs): the processes table, the notices as banners, the
# errors after the lost event marked, parent_leak the top leak, and every other view as ever.
. "$(dirname "$0")/../lib.sh"

SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT

db=$T/processes.db
web=$TOP/tests/web
if [ ! -x "$TOP/build/tests/test_processes" ]; then
	not_ok "fixture: build/tests/test_processes is missing (make build/tests/test_processes)"
	finish
	exit
fi
"$TOP/build/tests/test_processes" --write "$db"
expect_eq "fixture written" "$?" 0

"$HS" serve -d "$db" --port 0 >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
url_line() { grep -o '^http://[0-9.:]*/' "$T/serve.out"; }
if ! wait_for "serve: prints its URL" 10 url_line; then
	sed 's/^/#   serve stderr: /' "$T/serve.err" | head -20
	finish
	exit
fi
URL=$(url_line)

expect_eq "api: three program images" "$(curl -s "${URL}api/summary" | jq -c '[.processes[].pid]')" "[100,100,101]"
if [ ! -d "$web/node_modules/playwright-core" ]; then
	not_ok "browser test: $web/node_modules/playwright-core is missing; run 'make web-deps'"
elif ! command -v node >/dev/null; then
	not_ok "browser test: node is not installed; run 'make deps'"
else
	mkdir -p "$TOP/build/screenshots/processes"
	(cd "$web" && HS_URL=$URL HS_TOP_LEAK=parent_leak HS_SHOTS=$TOP/build/screenshots/processes \
		timeout -k 5 200 node --test --test-reporter=tap dashboard.test.mjs) >"$T/web.tap" 2>&1
	run_tap "web (processes)" "$T/web.tap" $?
fi

kill -TERM "$SPID"
wait_for "serve: exits on SIGTERM" 10 bash -c "! kill -0 $SPID"
SPID=
finish

#!/usr/bin/env bash
# The dashboard served by `heapscope serve` on a leaks3 recording scanned at its exit, driven by
# headless Chromium (tests/web/dashboard.test.mjs): every view loads without errors and draws its
# charts, the overview shows the last scan as /api/summary says it, leak_c (11 x 300 B, the
# biggest) is the top leak and opens its stack, sorting works, the URL keeps view and selection,
# nothing is fetched from elsewhere. Screenshots go to build/screenshots/.
# Then the same browser test against tests/web/mock_server.mjs, whose made-up recording has
# errors, advice, no scan and a function name with markup in it (shown as text, never as HTML);
# its screenshots go to build/screenshots/mock/. And web/format.js's unit test.
. "$(dirname "$0")/../lib.sh"

SPID=
MPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; [ -n "$MPID" ] && kill "$MPID" 2>/dev/null; rm -rf "$T"' EXIT

db=$T/leaks3.db
shots=$TOP/build/screenshots
web=$TOP/tests/web

timeout -k 5 120 "$HS" record --scan-at-end -o "$db" -- "$PROGS/leaks3" 0 >"$T/record.out" 2>"$T/record.err"
rc=$?
sed 's/^/#   record stderr: /' "$T/record.err" | head -20
expect_eq "record leaks3: exit status" "$rc" 0

if ! "$HS" serve --help 2>&1 | grep -q 'heapscope serve'; then
	not_ok "heapscope has no 'serve' command: the dashboard cannot be tested"
	finish
	exit
fi
"$HS" serve -d "$db" --port 0 >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
# url_line: the first http://ADDR:PORT/ the server printed; fails while there is none.
url_line() {
	local u
	u=$(grep -ho 'http://[0-9.:]*/' "$T/serve.out" "$T/serve.err" 2>/dev/null | head -1)
	[ -n "$u" ] && echo "$u"
}
if ! wait_for "serve: prints its URL" 10 url_line; then
	sed 's/^/#   serve stderr: /' "$T/serve.err" | head -20
	finish
	exit
fi
URL=$(url_line)
ok "serve: listening at $URL"
expect_match "serve: the URL is on loopback" "$URL" '^http://127\.0\.0\.1:[0-9]+/$'

if [ ! -d "$web/node_modules/playwright-core" ]; then
	not_ok "browser test: $web/node_modules/playwright-core is missing; run 'make web-deps'"
elif ! command -v node >/dev/null; then
	not_ok "browser test: node is not installed; run 'make deps'"
else
	mkdir -p "$shots"
	(cd "$web" && HS_URL=$URL HS_TOP_LEAK=leak_c HS_EXPECT_SCAN=1 HS_SHOTS=$shots timeout -k 5 200 \
		node --test --test-reporter=tap dashboard.test.mjs) >"$T/web.tap" 2>&1
	run_tap web "$T/web.tap" $?
	n=$(find "$shots" -name 'dashboard-*.png' -newer "$db" | wc -l)
	expect_ge "screenshots written to build/screenshots" "$n" 8
fi

kill -TERM "$SPID"
wait_for "serve: exits on SIGTERM" 10 bash -c "! kill -0 $SPID"
SPID=

if [ -d "$web/node_modules/playwright-core" ] && command -v node >/dev/null; then
	(cd "$web" && timeout -k 5 60 node --test --test-reporter=tap format.test.mjs) >"$T/format.tap" 2>&1
	run_tap format "$T/format.tap" $?

	node "$web/mock_server.mjs" --port 0 >"$T/mock.out" 2>"$T/mock.err" &
	MPID=$!
	mock_url() { grep -o '^http://[0-9.:]*/' "$T/mock.out"; }
	if wait_for "mock server: prints its URL" 10 mock_url; then
		mkdir -p "$shots/mock"
		(cd "$web" && HS_URL=$(mock_url) HS_TOP_LEAK=leak_c HS_EXPECT_TEXT='</script><b>x</b>' \
			HS_SHOTS=$shots/mock timeout -k 5 200 node --test --test-reporter=tap dashboard.test.mjs) >"$T/mock.tap" 2>&1
		run_tap "web (mock)" "$T/mock.tap" $?
	else
		sed 's/^/#   mock stderr: /' "$T/mock.err" | head -20
	fi
	kill "$MPID"
	MPID=
fi
finish

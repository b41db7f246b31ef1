#!/usr/bin/env bash
# The live dashboard: `heapscope record --serve` of a long allocbench run, driven by headless
# Chromium (tests/web/live.test.mjs): the LIVE badge is shown and the Overview's allocation
# count rises between two refreshes; once the target is stopped the page says "recording ended"
# and stops polling, while the server stays up until SIGINT.
. "$(dirname "$0")/../lib.sh"

RPID=
TPID=
cleanup() {
	[ -n "$TPID" ] && kill -KILL "$TPID" 2>/dev/null
	[ -n "$RPID" ] && kill -KILL "$RPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

web=$TOP/tests/web
shots=$TOP/build/screenshots

# The workload: the shared allocbench, long enough (tens of seconds traced) to watch it live.
src=$TOP/../shared/bench/allocbench.c
bench=$T/allocbench
if [ -f "$src" ]; then
	if ! cc -O2 -pthread -o "$bench" "$src" 2>"$T/cc.err"; then
		not_ok "cannot compile $src: $(head -1 "$T/cc.err")"
	fi
elif [ -x "$TOP/build/bench/allocbench" ]; then
	bench=$TOP/build/bench/allocbench
else
	not_ok "no allocbench: neither $src nor build/bench/allocbench (make bench builds it)"
fi
if [ ! -x "$bench" ]; then
	finish
	exit
fi

if ! "$HS" record --help 2>&1 | grep -q -- '--serve'; then
	not_ok "heapscope record has no --serve option: the live dashboard cannot be tested"
	finish
	exit
fi

"$HS" record --serve --port 0 -o "$T/live.db" -- "$bench" --ops 30000000 >"$T/rec.out" 2>"$T/rec.err" &
RPID=$!

# url_line: the dashboard's URL, from "heapscope: serving http://127.0.0.1:PORT/" on stderr
# (or any http:// line on either stream); fails while there is none.
url_line() {
	local u
	u=$(sed -n 's|^heapscope: serving \(http://[0-9.:]*/\).*|\1|p' "$T/rec.err" | head -1)
	[ -n "$u" ] || u=$(grep -ho 'http://[0-9.:]*/' "$T/rec.err" "$T/rec.out" 2>/dev/null | head -1)
	[ -n "$u" ] && echo "$u"
}
if ! wait_for "record --serve: prints its URL" 20 url_line; then
	sed 's/^/#   record stderr: /' "$T/rec.err" | head -20
	finish
	exit
fi
URL=$(url_line)
ok "record --serve: serving at $URL"

# live_now: the summary says live and some allocations were stored.
live_now() {
	curl -s --max-time 5 "${URL}api/summary" >"$T/summary.json" &&
		[ "$(jq -r '.live' "$T/summary.json")" = true ] &&
		[ "$(jq -r '.allocs // 0' "$T/summary.json")" -gt 0 ]
}
if ! wait_for "api/summary: live, with allocations" 20 live_now; then
	sed 's/^/#   summary: /' "$T/summary.json" 2>/dev/null | head -5
	sed 's/^/#   record stderr: /' "$T/rec.err" | head -20
	finish
	exit
fi
TPID=$(jq -r '.pid' "$T/summary.json")
ok "api/summary: live, target pid $TPID"

if [ ! -d "$web/node_modules/playwright-core" ]; then
	not_ok "browser test: $web/node_modules/playwright-core is missing; run 'make web-deps'"
elif ! command -v node >/dev/null; then
	not_ok "browser test: node is not installed; run 'make deps'"
else
	mkdir -p "$shots"
	(cd "$web" && HS_URL=$URL HS_STOP_PID=$TPID HS_SHOTS=$shots timeout -k 5 120 \
		node --test --test-reporter=tap live.test.mjs) >"$T/web.tap" 2>&1
	run_tap web "$T/web.tap" $?
fi

# The target is gone (the test stopped it; make sure); the server stays until SIGINT.
kill -TERM "$TPID" 2>/dev/null
wait_for "the traced allocbench exits" 20 bash -c "! kill -0 $TPID" && TPID=
if kill -0 "$RPID" 2>/dev/null; then
	ok "record --serve: still serving after the recording ended"
	expect_eq "api/summary after the end: live" "$(curl -s --max-time 5 "${URL}api/summary" | jq -r .live)" false
fi
kill -INT "$RPID" 2>/dev/null
wait_for "record --serve: exits on SIGINT" 30 bash -c "! kill -0 $RPID" && RPID=
finish

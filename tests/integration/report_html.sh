#!/usr/bin/env bash
# The HTML report of a leaks3 recording (the dashboard's own web/ modules inlined around the
# report JSON), opened in headless Chromium by tests/web (node --test + playwright-core): no
# console errors, no request but data: and blob: URLs, every view drawn, leak_c (11 x 300 B, the
# biggest) as the top leak, a drawn flame graph, a sortable sites table, and each view's text the
# same as the dashboard's (heapscope serve of the same recording); then a recording of several
# processes.
. "$(dirname "$0")/../lib.sh"

db=$T/leaks3.db
html=$T/leaks3.html

timeout -k 5 120 "$HS" record -o "$db" -- "$PROGS/leaks3" 0 >"$T/record.out" 2>"$T/record.err"
rc=$?
sed 's/^/#   record stderr: /' "$T/record.err" | head -20
expect_eq "record leaks3: exit status" "$rc" 0

timeout -k 5 120 "$HS" report -d "$db" --format html -o "$html" >"$T/report.out" 2>"$T/report.err"
rc=$?
sed 's/^/#   report stderr: /' "$T/report.err" | head -20
expect_eq "report --format html: exit status" "$rc" 0
if [ ! -s "$html" ]; then
	not_ok "report --format html: no file at $html"
	finish
	exit
fi
ok "report --format html: wrote $(wc -c <"$html") bytes"
# Attributes of the page's own tags (the modules' sources are JSON strings: their quotes are \").
expect_eq "html: no src or href but data: URLs and in-page links" \
	"$(grep -oiE "<[a-z]+[^<>]*[[:space:]](src|href)=\"[^\"]*\"" "$html" |
		grep -oiE "(src|href)=\"[^\"]*\"" | grep -cvE '^(src|href)="(data:|#)')" 0
expect_eq "html: three scripts (data, modules, loader), each closed once" \
	"$(grep -o '</script>' "$html" | wc -l)" 3
expect_eq "html: one data island" "$(grep -c 'id="heapscope-data"' "$html")" 1

# The browser half. Its modules come from the committed lockfile (make web-deps).
web=$TOP/tests/web
if [ ! -d "$web/node_modules/playwright-core" ]; then
	not_ok "browser test: $web/node_modules/playwright-core is missing; run 'make web-deps'"
elif ! command -v node >/dev/null; then
	not_ok "browser test: node is not installed; run 'make deps'"
else
	# The dashboard of the same recording, to compare each view with.
	"$HS" serve -d "$db" --port 0 >"$T/serve.out" 2>"$T/serve.err" &
	spid=$!
	url_line() {
		local u
		u=$(grep -ho 'http://[0-9.:]*/' "$T/serve.out" "$T/serve.err" 2>/dev/null | head -1)
		[ -n "$u" ] && echo "$u"
	}
	if wait_for "serve: prints its URL" 10 url_line; then
		(cd "$web" && HS_HTML=$html HS_TOP_LEAK=leak_c HS_DASHBOARD=$(url_line) timeout -k 5 120 \
			node --test --test-reporter=tap html_report.test.mjs) >"$T/web.tap" 2>&1
		run_tap web "$T/web.tap" $?
	fi
	kill -TERM "$spid"
	wait "$spid" 2>/dev/null
fi

# The same page for a recording of several processes (written by the unit test's writer,
# tests/unit/test_processes.c): the processes table, the notices, misuse after a lost event.
fx=$T/processes.db
if [ ! -x "$TOP/build/tests/test_processes" ]; then
	not_ok "fixture: build/tests/test_processes is missing (make build/tests/test_processes)"
elif "$TOP/build/tests/test_processes" --write "$fx" &&
	"$HS" report -d "$fx" --format html -o "$T/processes.html" 2>"$T/report.err"; then
	ok "report --format html: a recording of several processes ($(wc -c <"$T/processes.html") bytes)"
	if [ -d "$web/node_modules/playwright-core" ] && command -v node >/dev/null; then
		(cd "$web" && HS_HTML=$T/processes.html HS_TOP_LEAK=parent_leak timeout -k 5 120 \
			node --test --test-reporter=tap html_report.test.mjs) >"$T/web2.tap" 2>&1
		run_tap "web (processes)" "$T/web2.tap" $?
	fi
else
	not_ok "report --format html of several processes: $(head -1 "$T/report.err")"
fi

finish

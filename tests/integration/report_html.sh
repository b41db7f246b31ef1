#!/usr/bin/env bash
# The HTML report of a leaks3 recording, opened in headless Chromium by tests/web (node --test +
# playwright-core): no console errors, no network, leak_c (11 x 300 B, the biggest) as the top
# leak, a drawn flame graph, a sortable sites table; then a recording of several processes.
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
expect_eq "html: the data placeholder was replaced" \
	"$(grep -c -- '<!--HEAPSCOPE_DATA-->' "$html")" 0
expect_eq "html: no external src or href" \
	"$(grep -ciE "(src|href)[[:space:]]*=[[:space:]]*[\"']?(https?:|//)" "$html")" 0
expect_eq "html: the data script is closed once, by the template" \
	"$(grep -o '</script>' "$html" | wc -l)" 2

# The browser half. Its modules come from the committed lockfile (make web-deps).
web=$TOP/tests/web
if [ ! -d "$web/node_modules/playwright-core" ]; then
	not_ok "browser test: $web/node_modules/playwright-core is missing; run 'make web-deps'"
elif ! command -v node >/dev/null; then
	not_ok "browser test: node is not installed; run 'make deps'"
else
	(cd "$web" && HS_HTML=$html HS_TOP_LEAK=leak_c timeout -k 5 120 \
		node --test --test-reporter=tap html_report.test.mjs) >"$T/web.tap" 2>&1
	run_tap web "$T/web.tap" $?
fi

# The same page for a recording of several processes (written by the unit test's writer,
# tests/unit/test_processes.c): the processes table, the notices, misuse after a lost event.
fx=$T/processes.db
if [ ! -x "$TOP/build/tests/test_processes" ]; then
	not_ok "fixture: build/tests/test_processes is missing (make build/tests/test_processes)"
elif "$TOP/build/tests/test_processes" --write "$fx" &&
	"$HS" report -d "$fx" --format html -o "$T/processes.html" 2>"$T/report.err"; then
	ok "report --format html: a recording of several processes"
	if [ -d "$web/node_modules/playwright-core" ] && command -v node >/dev/null; then
		(cd "$web" && HS_HTML=$T/processes.html HS_TOP_LEAK=parent_leak timeout -k 5 120 \
			node --test --test-reporter=tap html_report.test.mjs) >"$T/web2.tap" 2>&1
		run_tap "web (processes)" "$T/web2.tap" $?
	fi
else
	not_ok "report --format html of several processes: $(head -1 "$T/report.err")"
fi

finish

#!/usr/bin/env bash
# Runs every test (unit binaries, then the shell tests of integration/ and faults/) and closes with
# "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ "$(id -u)" != 0 ]; then
	echo "FAIL - tests load BPF programs and must run as root (try: sudo make test)"
	echo "0 passed, 1 failed"
	exit 1
fi

for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	echo "== $t"
	# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)..."
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "FAIL - $t exited $rc"; fi
	passed=$((passed + p))
	failed=$((failed + f))
done

for t in tests/integration/*.sh tests/faults/*.sh; do
	[ -f "$t" ] || continue
	echo "== $t"
	timeout 300 bash "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	counts=$(sed -n 's/^# counts: //p' "$log" | tail -1)
	p=${counts% *}
	f=${counts#* }
	if [ -z "$counts" ]; then p=0; f=1; echo "FAIL - $t did not finish (exit $rc)"; fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "FAIL - $t exited $rc"; fi
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

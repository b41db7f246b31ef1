#!/usr/bin/env bash
# Runs every test (unit binaries, then the shell tests of integration/ and faults/) and closes with
# "N passed, N failed".
#   tests/run.sh [PATTERN...]  only the tests whose name (test_cfi, serve_api, ...) matches a
#                              shell pattern (serve_*, daemon_api, test_*)
#   BUILD=build-san            the heapscope and unit tests of that build dir (default build);
#                              the traced programs and fixtures stay in build/
#   SAN_LOGS=DIR               a sanitizer build: its reports are logged there (every process,
#                              background ones too), each is shown under the test it ended in and
#                              counted as a failure (mk/san.mk sets both)
#   TEST_TIMEOUT=SECONDS       the limit of each shell test (300; sanitizer runs: 900)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
export BUILD=${BUILD:-build}
passed=0
failed=0
sanreports=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# selected NAME: is the test NAME among the patterns given (all when none)?
selected() {
	local p
	[ $# -gt 1 ] || return 0
	for p in "${@:2}"; do
		# shellcheck disable=SC2053 # a pattern, on purpose
		[[ $1 == $p ]] && return 0
	done
	return 1
}

if [ -n "${SAN_LOGS:-}" ]; then
	rm -rf "$SAN_LOGS" && mkdir -p "$SAN_LOGS" || exit 1
	# A report ends the process (exit 1 or 66) and goes to SAN_LOGS/san.PID; san_scan counts it.
	export ASAN_OPTIONS="detect_leaks=1:log_path=$SAN_LOGS/san:${ASAN_OPTIONS:-}"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$SAN_LOGS/san:${UBSAN_OPTIONS:-}"
	export TSAN_OPTIONS="log_path=$SAN_LOGS/san:second_deadlock_stack=1:${TSAN_OPTIONS:-}"
	supp=$TOP/tests/sanitizers/lsan.supp
	[ -f "$supp" ] && export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0:${LSAN_OPTIONS:-}"
fi

# san_scan NAME: the sanitizer reports logged since the last scan are shown and counted as
# failures of NAME, and moved to SAN_LOGS/NAME/.
san_scan() {
	local f n
	[ -n "${SAN_LOGS:-}" ] || return 0
	for f in "$SAN_LOGS"/san.*; do
		[ -f "$f" ] || continue
		n=$(grep -cE '^==[0-9]+==ERROR: |^WARNING: ThreadSanitizer: |: runtime error: ' "$f")
		[ "$n" -gt 0 ] || n=1
		echo "FAIL - $1: $n sanitizer report(s) in ${f##*/}: $(grep -m1 -oE '(ERROR|WARNING): [A-Za-z]+Sanitizer: .*|runtime error: .*' "$f")"
		sed 's/^/#   /' "$f" | head -60
		sanreports=$((sanreports + n))
		failed=$((failed + n))
		mkdir -p "$SAN_LOGS/$1" && mv "$f" "$SAN_LOGS/$1/"
	done
}

if [ "$(id -u)" != 0 ]; then
	echo "FAIL - tests load BPF programs and must run as root (try: sudo make test)"
	echo "0 passed, 1 failed"
	exit 1
fi

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	selected "${t##*/}" "$@" || continue
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
	san_scan "${t##*/}"
done

for t in tests/integration/*.sh tests/faults/*.sh; do
	[ -f "$t" ] || continue
	name=${t##*/}
	selected "${name%.sh}" "$@" || continue
	echo "== $t"
	start=$SECONDS
	timeout "${TEST_TIMEOUT:-300}" bash "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	echo "# $name: $((SECONDS - start)) s"
	counts=$(sed -n 's/^# counts: //p' "$log" | tail -1)
	p=${counts% *}
	f=${counts#* }
	if [ -z "$counts" ]; then p=0; f=1; echo "FAIL - $t did not finish (exit $rc)"; fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "FAIL - $t exited $rc"; fi
	passed=$((passed + p))
	failed=$((failed + f))
	san_scan "${name%.sh}"
done

if [ -n "${SAN_LOGS:-}" ]; then
	sleep 1 # a background process killed by the last test may still be writing its report
	san_scan after-the-tests
	echo "sanitizers: $sanreports report(s) (logs: $SAN_LOGS)"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

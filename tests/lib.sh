# Shared helpers for the shell tests: assertions that count, a temp dir, sqlite queries.
# A test file sources this, calls the assertions, and ends with `finish`.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HS="$TOP/build/heapscope"
PROGS="$TOP/build/progs"
T=$(mktemp -d /tmp/hs-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
_pass=0
_fail=0

ok() { _pass=$((_pass + 1)); echo "ok - $*"; }
not_ok() { _fail=$((_fail + 1)); echo "FAIL - $*"; }

# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1: got '$2', expected '$3'"; fi
}

# expect_match NAME TEXT REGEX
expect_match() {
	if [[ "$2" =~ $3 ]]; then ok "$1"; else not_ok "$1: '$2' does not match /$3/"; fi
}

# expect_ge NAME ACTUAL MIN
expect_ge() {
	if [ "$2" -ge "$3" ] 2>/dev/null; then ok "$1"; else not_ok "$1: got '$2', expected >= '$3'"; fi
}

# q DB SQL: one query through the sqlite3 shell, '|'-separated output.
q() { sqlite3 -batch -noheader "$1" "$2"; }

# wait_for NAME TIMEOUT_S CMD...: poll CMD until it succeeds or the deadline passes.
wait_for() {
	local name=$1 limit=$2 end
	shift 2
	end=$((SECONDS + limit))
	while ! "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $end ]; then not_ok "$name: timed out after ${limit}s"; return 1; fi
		sleep 0.05
	done
}

# Prints the counts in the form tests/run.sh sums, and fails the file if anything failed.
finish() {
	echo "# counts: $_pass $_fail"
	[ "$_fail" -eq 0 ]
}

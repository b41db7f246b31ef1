# Shared helpers for the shell tests: assertions that count, a temp dir, sqlite queries.
# A test file sources this, calls the assertions, and ends with `finish`.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HS="$TOP/${BUILD:-build}/heapscope" # BUILD=build-san: tests/run.sh
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

# tap_error LINE FILE: the first line of the error message under the result LINE of a TAP file.
tap_error() {
	awk -v want="$1" '
		$0 == want { inside = 1; next }
		inside && /^(ok|not ok|# Subtest)/ { exit }
		inside && sub(/^  error: /, "") {
			if ($0 ~ /^[|>]-?$/) { getline; sub(/^ +/, "") }
			print; exit
		}' "$2"
}

# run_tap NAME TAPFILE RC: a node --test TAP run's top-level results become our ok/not_ok
# lines (skipped tests are only shown); a run that did not happen is a failure.
run_tap() {
	local line name err
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*) echo "# $1: $line" ;;
		"ok "*) ok "$1: ${line#ok * - }" ;;
		"not ok "*)
			name=${line#not ok * - }
			err=$(tap_error "$line" "$2")
			not_ok "$1: $name: $err"
			;;
		"# pass "* | "# fail "*) echo "$line" ;;
		esac
	done <"$2"
	if ! grep -q '^# pass ' "$2"; then
		not_ok "$1: the browser test did not run (exit $3):"
		sed 's/^/#   /' "$2" | head -30
	elif [ "$3" != 0 ] && ! grep -q '^not ok ' "$2"; then
		not_ok "$1: the browser test exited $3"
	fi
}

# Prints the counts in the form tests/run.sh sums, and fails the file if anything failed.
finish() {
	echo "# counts: $_pass $_fail"
	[ "$_fail" -eq 0 ]
}

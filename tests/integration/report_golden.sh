#!/usr/bin/env bash
# Report outputs are a contract: on a fixture recording written through the store's writer
# (test_processes --write: two processes, an exec, notices, event counts, a lost event), every
# view's JSON, grouped JSON, one process's JSON, text and CSV equal the files in tests/golden/,
# made by the build before the report, JSON writer and dashboard code were redesigned (issue 10).
# A deliberate change of an output updates its golden file in the same commit.
. "$(dirname "$0")/../lib.sh"

GOLD=$TOP/tests/golden
db=$T/fixture.db
"$TOP/build/tests/test_processes" --write "$db" >"$T/write.out" 2>&1
expect_eq "fixture written" "$?" 0

# same NAME ARGS...: report ARGS on the fixture equals golden/processes.NAME.
same() {
	local name=$1
	shift
	if ! "$HS" report -d "$db" "$@" -o "$T/$name" 2>"$T/$name.err"; then
		not_ok "$name: report failed: $(head -1 "$T/$name.err")"
	elif cmp -s "$GOLD/processes.$name" "$T/$name"; then
		ok "$name: unchanged"
	else
		not_ok "$name: differs from tests/golden/processes.$name"
		diff "$GOLD/processes.$name" "$T/$name" | head -10 | sed 's/^/#   /'
	fi
}

for v in summary sites leaks lifetimes sizes errors timeline advice all; do
	same "$v.json" --view "$v" --format json
done
same by-function.json --view sites,leaks --group-by function --format json
same pid101.json --pid 101 --format json
same text --format text
same csv --format csv
finish

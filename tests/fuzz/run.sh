#!/usr/bin/env bash
# `make fuzz`: runs each libFuzzer harness named on the command line (build/fuzz/fuzz_NAME) for
# FUZZ_SECONDS on its corpus and prints, per harness, the executions and what it found.
# New corpus entries go to build/fuzz/corpus/NAME (tests/fuzz/corpus/NAME, the committed seeds,
# and build/fuzz/fixture, the fixture recording, are only read); a crash, leak, timeout or OOM stops that harness and leaves its input in
# build/fuzz/artifacts/NAME/: fix it, then add the input to tests/fuzz/regressions/NAME/.
# Exits 1 if any harness found something.
set -u
cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
found=0

# One harness: its executions and exit status on one line, the sanitizer's summary if it failed.
fuzz_one() {
	local name=$1 bin=build/fuzz/fuzz_$1 work=build/fuzz/corpus/$1 art=build/fuzz/artifacts/$1
	local log=build/fuzz/$1.log dict=() execs rc
	mkdir -p "$work" "$art" "tests/fuzz/corpus/$name"
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "${dict[@]}" "$work" "tests/fuzz/corpus/$name" \
		build/fuzz/fixture >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log" | tail -1)
	if [ "$rc" = 0 ]; then
		printf 'fuzz %-8s %10s executions in %s s, nothing found\n' "$name" "${execs:-?}" \
			"$SECONDS_EACH"
		return 0
	fi
	found=1
	printf 'fuzz %-8s %10s executions, FOUND (exit %s): %s\n' "$name" "${execs:-?}" "$rc" \
		"$(grep -m1 '^SUMMARY:' "$log")"
	grep -m1 'Test unit written to' "$log" | sed 's/^.*written to /    input: /'
	echo "    log: $log"
}

for name in "$@"; do
	[ -x "build/fuzz/fuzz_$name" ] || { echo "fuzz: build/fuzz/fuzz_$name is missing (make fuzz-bins)"; exit 1; }
	fuzz_one "$name"
done
exit "$found"

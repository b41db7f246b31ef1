#!/usr/bin/env bash
# The fuzzing of CI: each libFuzzer harness of tests/fuzz/ for a short fixed budget
# (FUZZ_SHORT_SECONDS, 6 s each; seed FUZZ_SHORT_SEED, 1) on the committed corpus and the fixture recording, then every regression input
# (tests/fuzz/regressions/NAME/*: each once a crash) replayed through its harness. Needs clang's
# libFuzzer: without it this fails, never skips. `make fuzz` is the long run.
source "$(dirname "$0")/../lib.sh"
cd "$TOP"
BUDGET=${FUZZ_SHORT_SECONDS:-6}
# A fixed seed: every run walks the same sequence of inputs (as far as its speed takes it), so a
# red run is a regression of the code, not a dice roll; FUZZ_SHORT_SEED=0 draws one, `make fuzz`
# explores.
SEED=${FUZZ_SHORT_SEED:-1}
NAMES=$(ls tests/fuzz/fuzz_*.c | sed -n 's|^tests/fuzz/fuzz_\(.*\)\.c$|\1|p' | grep -vx util)

probe_libfuzzer() {
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$T/p.c"
	clang -fsanitize=fuzzer,address,undefined -o "$T/probe" "$T/p.c" >"$T/probe.log" 2>&1 &&
		"$T/probe" -runs=1 >>"$T/probe.log" 2>&1
}

if ! probe_libfuzzer; then
	not_ok "clang's libFuzzer does not work (install clang: make deps): $(tail -1 "$T/probe.log")"
	finish
	exit 1
fi
ok "clang -fsanitize=fuzzer builds and runs"

# make test builds the harnesses already; run alone, this builds them (a no-op when up to date).
if ! make -s fuzz-bins >"$T/make.log" 2>&1; then
	not_ok "make fuzz-bins failed: $(grep -m1 -i error "$T/make.log")"
	finish
	exit 1
fi

# fuzz_one NAME: the harness for BUDGET seconds on a scratch copy of its corpus; what it finds
# is kept in build/fuzz/artifacts/NAME/ (build/fuzz/fuzz_NAME FILE replays it).
fuzz_one() {
	local name=$1 work=$T/corpus-$1 art=build/fuzz/artifacts/$1 dict=() log=$T/fuzz-$1.log execs
	mkdir -p "$work" "$art"
	cp tests/fuzz/corpus/"$name"/* build/fuzz/fixture/fixture.db "$work"/ 2>/dev/null
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	if "build/fuzz/fuzz_$name" -max_total_time="$BUDGET" -seed="$SEED" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" "$work" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log" | tail -1)
		ok "fuzz_$name: ${execs:-?} executions in $BUDGET s, nothing found"
	else
		not_ok "fuzz_$name: $(grep -m1 '^SUMMARY:' "$log") (input kept:" \
			"$(grep -m1 -o "$art/[a-z]*-[0-9a-f]*" "$log"))"
		grep -A3 -m1 -E '^==[0-9]+==ERROR|runtime error' "$log" | sed 's/^/#   /'
	fi
}

# replay NAME FILE: an input that once crashed the harness runs clean.
replay() {
	if "build/fuzz/fuzz_$1" "$2" >"$T/replay.log" 2>&1; then
		ok "regression $2"
	else
		not_ok "regression $2: $(grep -m1 -E '^SUMMARY:|runtime error' "$T/replay.log")"
	fi
}

for name in $NAMES; do
	fuzz_one "$name"
done
# The fixture itself was fuzz_db's first find (report_export's collapsed format).
replay db build/fuzz/fixture/fixture.db
for name in $NAMES; do
	for f in tests/fuzz/regressions/"$name"/*; do
		[ -f "$f" ] && replay "$name" "$f"
	done
done
finish

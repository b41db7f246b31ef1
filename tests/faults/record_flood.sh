#!/usr/bin/env bash
# A ring buffer too small for the target (--ringbuf-mb 1, allocbench with 2 threads): events are
# lost and counted, and every double or invalid free found from the first lost event on is
# marked unreliable wherever errors are listed: text, JSON, CSV and the recorder's exit line.
. "$(dirname "$0")/../lib.sh"

if ! make -s -C "$TOP" build/bench/allocbench >"$T/cc.err" 2>&1; then
	not_ok "cannot build allocbench: $(head -1 "$T/cc.err")"
	finish
fi
db=$T/flood.db
"$HS" record --ringbuf-mb 1 -o "$db" -- "$TOP/build/bench/allocbench" --ops 300000 --threads 2 \
	--mix >/dev/null 2>"$T/err"
expect_eq "allocbench exits 0" "$?" 0
dropped=$(q "$db" 'SELECT dropped_events FROM recording')
expect_ge "events dropped" "$dropped" 1
expect_eq "first drop recorded" "$(q "$db" 'SELECT first_drop_ts IS NOT NULL FROM recording')" 1
errors=$(q "$db" 'SELECT count(*) FROM errors')
late=$(q "$db" 'SELECT count(*) FROM errors WHERE ts >= (SELECT first_drop_ts FROM recording)')
expect_ge "spurious errors after the drops" "$late" 1
echo "# $dropped dropped, $errors errors, $late after the first drop"

expect_match "exit line: errors marked" "$(tail -1 "$T/err")" \
	" $errors errors \\($late unreliable: after events were lost\\), $dropped dropped events"

text=$("$HS" report -d "$db" --view errors)
expect_match "text: the section says how many" "$(head -2 <<<"$text" | tail -1)" \
	"^== Allocator misuse \\($late of these came after events were lost"
expect_eq "text: every late error line marked" \
	"$(grep -E '^  (double|invalid)_free of' <<<"$text" | grep -c 'after events were lost: may be spurious')" "$late"

json=$("$HS" report -d "$db" --format json --view summary,errors)
expect_eq "JSON: unreliable errors" "$(jq '[.errors[] | select(.unreliable)] | length' <<<"$json")" "$late"
expect_eq "JSON: summary.unreliable_errors" "$(jq '.summary.unreliable_errors' <<<"$json")" "$late"
expect_eq "JSON: every error after the first drop is unreliable" \
	"$(jq '[.errors[] | select(.ts >= $f and (.unreliable | not))] | length' \
		--argjson f "$(q "$db" 'SELECT first_drop_ts FROM recording')" <<<"$json")" 0

expect_eq "CSV: unreliable column" \
	"$("$HS" report -d "$db" --format csv --view errors |
		python3 -c 'import csv,sys; print(sum(r["unreliable"] == "1" for r in csv.DictReader(sys.stdin)))')" \
	"$late"
finish

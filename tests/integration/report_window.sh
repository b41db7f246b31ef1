#!/usr/bin/env bash
# Leak ranking by age and time windows (issue 15 parts 2 and 3), on tests/progs/timed_phases
# (leaks at 0, 1 and 2 s): the score formula and order, --min-age keeping growth, --from/--to
# exact counts in every view (seconds, @UNIX and local wall-clock forms), the API's from=/to=,
# and the errors of bad windows.
. "$(dirname "$0")/../lib.sh"

rep() { "$HS" report -d "$DB" "$@" 2>>"$T/rep.err"; }
DB=$T/tp.db
"$HS" record -o "$DB" -- "$PROGS/timed_phases" >/dev/null 2>"$T/rec.err"
expect_eq "record timed_phases: exit status" "$?" 0
# The phases' times as recorded (each is one site's first allocation).
phase() { q "$DB" "SELECT min(a.alloc_ts) FROM allocations a JOIN site_frames f ON f.site = a.site AND f.pos = 0 WHERE f.function = '$1'"; }
expect_eq "phases 1 s apart (B within 0.9-1.4 s, C within 1.9-2.4 s)" \
	"$(( $(phase leak_b) > 900000000 && $(phase leak_b) < 1400000000 && $(phase leak_c) > 1900000000 && $(phase leak_c) < 2400000000 ))" 1

# --- Part 2: age in the score; --min-age keeps the growth.
LEAKS='[.leaks[] | "\(.frames[0].function):\(.blocks):\(.bytes):\(.growth)"] | join(" ")'
rep --view summary,leaks --format json >"$T/all.json"
expect_eq "leaks, best first: leak_a (10000 B, 2 s old) above leak_c (12000 B, just made)" \
	"$(jq -r "$LEAKS" "$T/all.json")" "leak_b:5:15000:0.1 leak_a:10:10000:0.1 leak_c:6:12000:0.1 leak_steady:3:1200:0.3"
# score = bytes x (0.25 + 0.75 growth) x (0.5 + 0.5 age/duration), checked on every row
expect_eq "score = bytes x (0.25 + 0.75 growth) x (0.5 + 0.5 age share)" \
	"$(jq -r '.summary.duration_ns as $d | [.leaks[] | (.bytes * (0.25 + 0.75 * .growth) * (0.5 + 0.5 * ([.oldest_age_ns / $d, 1] | min))) as $want | ((.score - $want) | fabs) < 1e-6 * $want] | all' "$T/all.json")" true
expect_eq "age share: leak_a's ~1, leak_c's ~0" \
	"$(jq -r '.summary.duration_ns as $d | [.leaks[] | select(.frames[0].function | test("leak_[ac]")) | (.oldest_age_ns / $d * 10 | round)] | join(" ")' "$T/all.json")" "10 0"
rep --view leaks --min-age 0.5 --format json >"$T/old.json"
expect_eq "--min-age 0.5: leak_c gone, leak_steady's 2 old blocks, every growth kept" \
	"$(jq -r "$LEAKS" "$T/old.json")" "leak_b:5:15000:0.1 leak_a:10:10000:0.1 leak_steady:2:800:0.3"
rep --view leaks --min-age 0.001 --format json >"$T/tiny.json"
expect_eq "--min-age 0.001: the same growths and scores as without it (was: growth 0 everywhere)" \
	"$(jq -c '[.leaks[] | [.growth, .score]]' "$T/tiny.json")" "$(jq -c '[.leaks[] | [.growth, .score]]' "$T/all.json")"

# --- Part 3: windows. [0.5 s, 1.5 s) holds phase B: leak_b 5 x 3000, leak_steady 400, temp_b 3 x
# 500 (freed at 2 s), churn 20 x 100 (freed).
SUM='.summary | "\(.allocs) \(.frees) \(.alloc_bytes) \(.live_blocks) \(.live_bytes) \(.window.from_ns) \(.window.to_ns)"'
SITES='[.sites[] | "\(.frames[0].function):\(.allocs):\(.bytes):\(.frees):\(.live_blocks)"] | sort | join(" ")'
rep --from 0.5 --to 1.5 --format json >"$T/b.json"
expect_eq "window B: summary" "$(jq -r "$SUM" "$T/b.json")" "29 23 18900 6 15400 500000000 1500000000"
expect_eq "window B: peak is of its blocks (leak_b, leak_steady, temp_b and one churn block)" \
	"$(jq -r '.summary.peak_bytes' "$T/b.json")" 17000
expect_eq "window B: sites" "$(jq -r "$SITES" "$T/b.json")" \
	"churn:20:2000:20:0 leak_b:5:15000:0:5 leak_steady:1:400:0:1 temp_b:3:1500:3:0"
expect_eq "window B: peaks and temporary shares unknown (null)" \
	"$(jq -c '[.sites[] | [.peak_live_bytes, .temporary_share]] | unique' "$T/b.json")" '[[null,null]]'
expect_eq "window B: leaks (growth the site's)" "$(jq -r "$LEAKS" "$T/b.json")" "leak_b:5:15000:0.1 leak_steady:1:400:0.3"
expect_eq "window B: lifetimes (23 freed, 6 live)" "$(jq -r '"\([.lifetimes.buckets[].count] | add) \(.lifetimes.live)"' "$T/b.json")" "23 6"
expect_eq "window B: sizes" "$(jq -r '[.sizes.buckets[] | select(.count > 0) | "\(.lo):\(.count)"] | join(" ")' "$T/b.json")" \
	"64:20 256:4 2048:5"
expect_eq "window B: timeline from 0.5 s to 1.5 s" "$(jq -r '"\(.timeline[0].ts > 500000000) \(.timeline[-1].ts)"' "$T/b.json")" "true 1500000000"
expect_eq "window B: errors none" "$(jq -r '.errors | length' "$T/b.json")" 0
rep --from 1.5 --format json --view summary,leaks >"$T/c.json"
expect_eq "--from 1.5: phase C only (temp_b's frees are not its allocations)" \
	"$(jq -r '.summary | "\(.allocs) \(.frees) \(.live_blocks) \(.live_bytes)"' "$T/c.json")" "7 0 7 12400"
rep --to 0.5 --format json --view summary,sites >"$T/a.json"
expect_eq "--to 0.5: phase A only" "$(jq -r '.summary | "\(.allocs) \(.frees) \(.live_blocks) \(.alloc_bytes)"' "$T/a.json")" "31 20 11 12400"
expect_eq "--to 0.5: sites" "$(jq -r "$SITES" "$T/a.json")" "churn:20:2000:20:0 leak_a:10:10000:0:10 leak_steady:1:400:0:1"
expect_eq "text: the window line" "$(rep --from 0.5 --to 1.5 --view summary | grep '^  window')" \
	"  window        0.500 s to 1.500 s: the allocations made then (live: not freed by the end) and the errors then"
expect_eq "collapsed: the window's bytes" "$(rep --from 0.5 --to 1.5 --format collapsed | awk '{s += $NF} END {print s}')" 18900

# Wall-clock forms: @UNIX seconds and a local time, against recording.start_time_ns.
START=$(jq -r .summary.start_time_ns "$T/all.json")
AT=$(awk -v s="$START" 'BEGIN { printf "%.6f", s / 1e9 + 0.5 }')
LOCAL=$(date -d "@$(awk -v s="$START" 'BEGIN { printf "%.6f", s / 1e9 + 1.5 }')" +%Y-%m-%dT%H:%M:%S.%N)
rep --from "@$AT" --to "$LOCAL" --format json >"$T/wall.json"
expect_eq "@UNIX and local time: the same window's counts" "$(jq -r "$SUM" "$T/wall.json" | cut -d' ' -f1-5)" "29 23 18900 6 15400"
expect_eq "@UNIX and local time: bounds within 1 us of 0.5 s and 1.5 s" \
	"$(jq -r '.summary.window | "\((.from_ns - 500000000) | fabs < 1000) \((.to_ns - 1500000000) | fabs < 1000)"' "$T/wall.json")" "true true"

# Bad windows: one clear line each.
bad() { # NAME STATUS PATTERN ARGS... (on BAD_DB, else DB)
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$HS" report -d "${BAD_DB:-$DB}" "$@" 2>&1 >/dev/null)
	rc=$?
	expect_eq "$name: exit status" "$rc" "$want"
	expect_match "$name: says why" "$out" "$pat"
}
bad "--from abc" 2 "^heapscope: --from takes seconds since the start .* not 'abc'$" --from abc
bad "--to -1" 2 "not '-1'" --to -1
bad "--to before --from" 1 "^heapscope: --to \(1.000 s\) must be after --from \(2.000 s\)$" --from 2 --to 1
bad "--from past the end" 1 "at or after the recording's end" --from 99
bad "--from before the start" 1 "is before the recording started" --from 2020-01-01T00:00:00
cp "$DB" "$T/unfinished.db"
q "$T/unfinished.db" "UPDATE recording SET duration_ns = NULL, end_reason = NULL"
BAD_DB=$T/unfinished.db bad "a recording without its end" 1 "needs a finished recording" --from 1

# --- The API: from=/to= (ns) on every route.
"$HS" serve -d "$DB" --port 0 >"$T/serve.out" 2>"$T/serve.err" &
SERVE=$!
trap 'kill $SERVE 2>/dev/null; rm -rf "$T"' EXIT
wait_for "serve: prints its URL" 10 grep -q '^http://' "$T/serve.out"
URL=$(head -1 "$T/serve.out")
URL=${URL%/}
W='from=500000000&to=1500000000'
get() { curl -s --max-time 20 -o "$T/body" -w '%{http_code}' "$URL/api/$1"; }
expect_eq "API summary: window B" "$(get "summary?$W") $(jq -r '"\(.allocs) \(.frees) \(.live_blocks) \(.live_bytes)"' "$T/body")" "200 29 23 6 15400"
expect_eq "API sites: window B" "$(get "sites?$W") $(jq -r '"\(.total) \([.sites[].allocs] | add)"' "$T/body")" "200 4 29"
expect_eq "API leaks: window B" "$(get "leaks?$W") $(jq -r '[.[] | "\(.frames[0].function):\(.blocks)"] | join(" ")' "$T/body")" "200 leak_b:5 leak_steady:1"
expect_eq "API lifetimes: window B" "$(get "lifetimes?$W") $(jq -r '.live' "$T/body")" "200 6"
expect_eq "API sizes: window B" "$(get "sizes?$W") $(jq -r '[.buckets[].count] | add' "$T/body")" "200 29"
expect_eq "API flame: window B" "$(get "flame?$W") $(jq -r '.value' "$T/body")" "200 18900"
expect_eq "API errors, advice: 200" "$(get "errors?$W") $(get "advice?$W")" "200 200"
SITE_B=$(jq -r '.leaks[] | select(.frames[0].function == "leak_b") | .site' "$T/all.json")
expect_eq "API site: window B" "$(get "site?id=$SITE_B&$W") $(jq -r '"\(.site.allocs) \(.lifetimes.live) \(.timeline[-1].ts)"' "$T/body")" "200 5 5 1500000000"
expect_eq "API bad: from=abc is 400" "$(get "leaks?from=abc")" 400
expect_eq "API bad: to before from is 400, says why" "$(get "sites?from=2000000000&to=1000000000") $(jq -r .error "$T/body")" \
	"400 from/to: a time window needs 0 <= from < to (ns since the start)"
expect_eq "API bad: past the end is 400" "$(get "summary?from=99000000000")" 400

# --- The dashboard: the overview's selection and the chip (tests/web/window.test.mjs).
web=$TOP/tests/web
if [ ! -d "$web/node_modules/playwright-core" ]; then
	not_ok "browser test: $web/node_modules/playwright-core is missing; run 'make web-deps'"
else
	(cd "$web" && HS_URL=$URL/ timeout -k 5 90 node --test --test-reporter=tap window.test.mjs) >"$T/web.tap" 2>&1
	run_tap web "$T/web.tap" $?
fi
kill "$SERVE" 2>/dev/null
wait "$SERVE" 2>/dev/null
finish

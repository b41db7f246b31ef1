#!/usr/bin/env bash
# heapscope diff: two recordings of leak_grow (10 then 25 blocks) with exact deltas in text,
# JSON and CSV, its pprof (B - A) and report's profiles as -diff_base read by go tool pprof, two
# windows of one recording, the trend over three recordings, sampled sides, and bad input.
. "$(dirname "$0")/../lib.sh"

rec() {
	"$HS" record -o "$T/$1.db" -- "$PROGS/leak_grow" "${@:2}" >/dev/null 2>"$T/$1.rec.err" ||
		not_ok "record $1: $(tail -1 "$T/$1.rec.err")"
}
dif() { "$HS" diff "$@" 2>"$T/diff.err"; }
# A site's numbers: function:status:a allocs:a live bytes:b allocs:b live bytes:delta live
# blocks:delta live bytes, in the output's order.
ROWS='[.sites[] | "\(.function):\(.status):\(.a.allocs):\(.a.live_bytes):\(.b.allocs):\(.b.live_bytes):\(.delta.live_blocks):\(.delta.live_bytes)"] | join(" ")'

rec a 10
rec b 25
rec w 10 4
rec t10 10
rec t20 20
rec t30 30

# --- JSON: exact per-site deltas, sorted by growth; sites matched by call path, not row id.
dif "$T/a.db" "$T/b.db" --format json >"$T/ab.json"
expect_eq "json: exit status" "$?" 0
expect_eq "json: sites by growth, exact counts and status" "$(jq -r "$ROWS" "$T/ab.json")" \
	"leak_grow:both:10:10000:25:25000:15:15000 leak_big:new:0:0:1:5000:1:5000 churn:both:100:0:100:0:0:0 leak_fixed:both:5:320:5:320:0:0"
expect_eq "json: leak_grow's bytes" \
	"$(jq -r '.sites[0] | "\(.a.bytes) \(.b.bytes) \(.delta.bytes) \(.delta.allocs)"' "$T/ab.json")" \
	"10000 25000 15000 15"
expect_eq "json: totals" \
	"$(jq -r '.totals | "\(.a.allocs) \(.a.live_bytes) \(.b.allocs) \(.b.live_bytes) \(.delta.allocs) \(.delta.bytes) \(.delta.live_blocks) \(.delta.live_bytes)"' "$T/ab.json")" \
	"115 10320 131 30320 16 20000 16 20000"
expect_eq "json: sides" \
	"$(jq -r '[.a, .b] | map("\(.label|split("/")|last) \(.whole) \(.sampled) \(.from_ns) \(.to_ns) \(.duration_ns > 0) \(.end_reason)") | join(", ")' "$T/ab.json")" \
	"a.db true false null null true exited, b.db true false null null true exited"
expect_eq "json: key is the symbolized stack, innermost first" \
	"$(jq -r '.sites[0].key | split(";")[0:2] | join(";")' "$T/ab.json")" "leak_grow@leak_grow;main@leak_grow"
expect_eq "json: frames as report writes them" \
	"$(jq -r '.sites[0].frames[0] | "\(keys|join(",")) \(.file|split("/")|last) \(.line > 0) \(.module|split("/")|last)"' "$T/ab.json")" \
	"file,function,inlined,line,module,offset leak_grow.c true leak_grow"
dif "$T/b.db" "$T/a.db" --format json >"$T/ba.json"
expect_eq "json: swapped, the site of the bigger run is gone" \
	"$(jq -r '.sites[] | select(.function == "leak_big") | "\(.status) \(.delta.live_bytes)"' "$T/ba.json")" "gone -5000"
expect_eq "json: --limit 2" "$(dif "$T/a.db" "$T/b.db" --format json --limit 2 | jq -r '"\(.site_count) \(.sites|length)"')" "4 2"

# --- Text: a table with signs and human units.
dif "$T/a.db" "$T/b.db" >"$T/ab.txt"
expect_eq "text: exit status" "$?" 0
expect_eq "text: the first site row" \
	"$(grep -m1 'leak_grow (leak_grow.c:' "$T/ab.txt" | tr -s ' ' | sed 's/ < main.*//')" \
	" +14.6 KiB +15 +14.6 KiB +15 24.4 KiB both leak_grow (leak_grow.c:$(grep -n 'malloc(opaque_size(1000))' "$TOP/tests/progs/leak_grow.c" | cut -d: -f1))"
expect_eq "text: the new site" "$(grep 'leak_big' "$T/ab.txt" | tr -s ' ' | cut -d' ' -f2-10)" "+4.9 KiB +1 +4.9 KiB +1 4.9 KiB new"
expect_eq "text: totals' live bytes" "$(grep '^  live bytes' "$T/ab.txt" | tr -s ' ')" " live bytes 10.1 KiB 29.6 KiB +19.5 KiB"
expect_match "text: --limit 1" "$(dif "$T/a.db" "$T/b.db" --limit 1)" "Sites by growth: 1 of 4"
expect_eq "text: no estimate marks on exact recordings" "$(grep -c -e SAMPLED -e estimated "$T/ab.txt")" 0

# --- CSV: one row per site.
dif "$T/a.db" "$T/b.db" --format csv >"$T/ab.csv"
expect_eq "csv: header" "$(head -1 "$T/ab.csv")" \
	"key,function,file,line,module,status,a_allocs,a_bytes,a_live_blocks,a_live_bytes,b_allocs,b_bytes,b_live_blocks,b_live_bytes,delta_allocs,delta_bytes,delta_live_blocks,delta_live_bytes"
expect_eq "csv: rows" "$(($(wc -l <"$T/ab.csv") - 1))" 4
expect_eq "csv: leak_grow's row" "$(grep '^"leak_grow@' "$T/ab.csv" | cut -d, -f6-)" \
	"both,10,10000,10,10000,25,25000,25,25000,15,15000,15,15000"
expect_eq "csv: leak_big's row" "$(grep '^"leak_big@' "$T/ab.csv" | cut -d, -f6-)" \
	"new,0,0,0,0,1,5000,1,5000,1,5000,1,5000"

# --- pprof: B - A per call path, and report's profiles as -diff_base.
# pp ARGS...: "function=flat " of the leak_* rows of go tool pprof -top.
pp() { go tool pprof -top "$@" 2>"$T/pprof.err" | awk 'NF >= 6 && $NF ~ /^leak_/ { print $NF "=" $1 }' | sort | tr '\n' ' '; }
dif "$T/a.db" "$T/b.db" --format pprof -o "$T/d.pb.gz"
expect_eq "pprof: exit status" "$?" 0
expect_eq "pprof: inuse_space B - A" "$(pp -unit=B -sample_index=inuse_space "$T/d.pb.gz")" "leak_big=5000B leak_grow=15000B "
expect_eq "pprof: alloc_objects B - A" "$(pp -sample_index=alloc_objects "$T/d.pb.gz")" "leak_big=1 leak_grow=15 "
dif "$T/b.db" "$T/a.db" --format pprof -o "$T/neg.pb.gz"
expect_eq "pprof: shrinking is negative" "$(pp -unit=B -sample_index=inuse_space "$T/neg.pb.gz")" "leak_big=-5000B leak_grow=-15000B "
"$HS" report -d "$T/a.db" --format pprof -o "$T/a.pb.gz" && "$HS" report -d "$T/b.db" --format pprof -o "$T/b.pb.gz"
expect_eq "pprof: -diff_base of report's profiles" \
	"$(pp -unit=B -sample_index=inuse_space -diff_base="$T/a.pb.gz" "$T/b.pb.gz")" "leak_big=5000B leak_grow=15000B "

# --- Two windows of one recording: phase 1, a 1 s sleep, phase 2. Split half-way into the sleep.
split_ns=$(q "$T/w.db" "SELECT min(a.alloc_ts) - 500000000 FROM allocations a JOIN site_frames f
	ON f.site = a.site AND f.pos = 0 WHERE f.function = 'leak_late'")
split=$(awk -v ns="$split_ns" 'BEGIN { printf "%.9f", ns / 1e9 }')
dif "$T/w.db" --a-to "$split" --b-from "$split" --format json >"$T/w.json"
expect_eq "windows: exit status" "$?" 0
expect_eq "windows: allocations in each, live at each end" "$(jq -r "$ROWS" "$T/w.json")" \
	"leak_late:new:0:0:4:8000:4:8000 churn:both:100:0:100:0:0:0 leak_grow:both:10:10000:0:10000:0:0 leak_fixed:both:5:320:0:192:-2:-128"
expect_eq "windows: the sides" \
	"$(jq -r '"\(.a.label) \(.a.whole) \(.a.from_ns) \(.a.to_ns == '"$split_ns"') \(.b.label) \(.b.from_ns == '"$split_ns"') \(.b.to_ns)"' "$T/w.json")" \
	"A false null true B true null"
expect_match "windows: text names them" "$(dif "$T/w.db" --a-to "$split" --b-from "$split" | sed -n 2p)" \
	"A  A: window the start to [0-9.]+ ms of"

# --- Trend over three recordings, oldest first.
dif --trend "$T/t10.db" "$T/t20.db" "$T/t30.db" >"$T/trend.json"
expect_eq "trend: exit status" "$?" 0
expect_eq "trend: windows" "$(jq -r '[.windows[] | "\(.label|split("/")|last):\(.end_reason):\(.live_bytes)"] | join(" ")' "$T/trend.json")" \
	"t10.db:exited:10320 t20.db:exited:25320 t30.db:exited:35320"
expect_eq "trend: sites by live bytes in the last" \
	"$(jq -r '[.sites[] | "\(.function):\(.live_bytes|join(",")):\(.live_blocks|join(","))"] | join(" ")' "$T/trend.json")" \
	"leak_grow:10000,20000,30000:10,20,30 leak_big:0,5000,5000:0,1,1 leak_fixed:320,320,320:5,5,5"
expect_eq "trend: --limit 1, with frames" \
	"$(dif --trend "$T/t10.db" "$T/t20.db" "$T/t30.db" --limit 1 | jq -r '"\(.sites|length) \(.sites[0].frames[0].function) \(.sites[0].key|split(";")[0])"')" \
	"1 leak_grow leak_grow@leak_grow"

# --- Sampled: every format says estimated; a window sums the rows' weights.
cp "$T/b.db" "$T/s.db"
q "$T/s.db" "UPDATE recording SET sample_bytes = 4096; UPDATE allocations SET weight = 3"
dif "$T/a.db" "$T/s.db" >"$T/s.txt"
expect_eq "sampled text: B's rate" "$(grep -c 'SAMPLED: 1 sample per 4 KiB allocated on average' "$T/s.txt")" 1
expect_eq "sampled text: sections marked" "$(grep -c '^== .*(estimated)' "$T/s.txt")" 2
dif "$T/a.db" "$T/s.db" --format json >"$T/s.json"
expect_eq "sampled json" "$(jq -r '"\(.estimated) \(.a.sampled) \(.b.sampled) \(.b.estimated) \(.b.sample_bytes)"' "$T/s.json")" \
	"true false true true 4096"
dif "$T/a.db" "$T/s.db" --format csv >"$T/s.csv"
expect_eq "sampled csv: estimated column" "$(head -1 "$T/s.csv" | awk -F, '{ print $NF }') $(tail -n +2 "$T/s.csv" | grep -vc ',1$')" "estimated 0"
dif "$T/a.db" "$T/s.db" --format pprof -o "$T/s.pb.gz"
expect_match "sampled pprof: the comment" "$(go tool pprof -comments "$T/s.pb.gz" 2>&1)" "estimated: sampled every 4096 bytes"
dif "$T/a.db" "$T/s.db" --b-from 0 --format json >"$T/sw.json"
expect_eq "sampled window: weighted rows" \
	"$(jq -r '.sites[] | select(.function == "leak_grow") | "\(.b.allocs) \(.b.live_bytes) \(.delta.live_bytes)"' "$T/sw.json")" \
	"75 75000 65000"

# --- Output files: written whole; a device stays a device.
dif "$T/a.db" "$T/b.db" --format csv -o "$T/out.csv"
expect_eq "-o: the same CSV" "$(cmp -s "$T/out.csv" "$T/ab.csv" && echo same)" same
dif "$T/a.db" "$T/b.db" -o /dev/null
expect_eq "-o /dev/null: still a character device" "$(stat -c %F /dev/null)" "character special file"

# --- Bad input: one line and exit 1; bad options: usage and exit 2.
echo "not sqlite" >"$T/junk.db"
cp "$T/a.db" "$T/v4.db"
q "$T/v4.db" "PRAGMA user_version = 4"
bad() { # bad NAME STATUS REGEX ARGS...
	local name=$1 want=$2 re=$3
	shift 3
	dif "$@" >"$T/bad.out"
	expect_eq "$name: exit status" "$?" "$want"
	expect_match "$name: message" "$(head -1 "$T/diff.err")" "$re"
	if [ "$want" = 1 ]; then
		expect_eq "$name: one line" "$(wc -l <"$T/diff.err")" 1
	else
		expect_match "$name: usage" "$(cat "$T/diff.err")" "usage: heapscope diff"
	fi
	expect_eq "$name: nothing on stdout" "$(wc -c <"$T/bad.out")" 0
}
bad "not a recording" 1 "junk.db is not a heapscope recording" "$T/a.db" "$T/junk.db"
bad "no such file" 1 "cannot read $T/nope.db: No such file" "$T/nope.db" "$T/b.db"
bad "other schema" 1 "v4.db is a heapscope recording of schema version 4" "$T/v4.db" "$T/b.db"
bad "trend: not a recording" 1 "junk.db is not a heapscope recording" --trend "$T/a.db" "$T/junk.db"
bad "one recording, no windows" 2 "one recording needs two windows" "$T/a.db"
bad "three recordings" 2 "compares two recordings" "$T/a.db" "$T/b.db" "$T/w.db"
bad "unknown format" 2 "unknown format 'xml'" "$T/a.db" "$T/b.db" --format xml
bad "empty window" 2 "window a is empty" "$T/a.db" "$T/b.db" --a-from 2 --a-to 1
bad "bad seconds" 2 "--b-from must be a number of seconds" "$T/a.db" "$T/b.db" --b-from -1
bad "option twice" 2 "option --limit given twice" "$T/a.db" "$T/b.db" --limit 1 --limit 2
bad "trend with windows" 2 "--trend takes whole recordings" --trend "$T/a.db" --a-to 1

finish

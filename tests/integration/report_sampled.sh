#!/usr/bin/env bash
# Sampled recordings in every report format, the API and the dashboard. A synthetic one (an exact
# recording of leaks3 / fork_workers made "sampled": recording.sample_bytes 4096, every row's
# weight 3) checks that each query over the allocation rows sums weights (its counts triple)
# and that every format labels its numbers as estimates while exact output has no such label;
# then a real `record --sample` recording goes through every format, its allocation rows
# agreeing with the recorder's weighted aggregates.
. "$(dirname "$0")/../lib.sh"

SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT
rep() { "$HS" report "$@" 2>>"$T/rep.err"; }
web=$TOP/tests/web
SAMPLED_LINE='SAMPLED: 1 sample per 4 KiB allocated on average — counts and bytes are estimates'

"$HS" record -o "$T/ex.db" -- "$PROGS/leaks3" >/dev/null 2>"$T/rec.err"
expect_eq "record leaks3: exit status" "$?" 0
"$HS" record -o "$T/fw.db" -- "$PROGS/fork_workers" >"$T/fw.out" 2>>"$T/rec.err"
expect_eq "record fork_workers: exit status" "$?" 0
worker2=$(sed -n 's/^worker 2 //p' "$T/fw.out")

# sampled SRC DST: DST is SRC as a sampled recording whose every row stands for 3 blocks (the
# per-site aggregates left as they are: the reader's own sums over the rows are under test).
sampled() {
	cp "$1" "$2"
	q "$2" "UPDATE recording SET sample_bytes = 4096; UPDATE allocations SET weight = 3"
}
sampled "$T/ex.db" "$T/s.db"
sampled "$T/fw.db" "$T/fw_s.db"
# Before the recorder's first publish of site_stats, counts come from the allocation rows.
for db in ex s fw fw_s; do
	cp "$T/$db.db" "$T/${db}_rows.db"
	q "$T/${db}_rows.db" "DELETE FROM site_stats"
done

# --- Weighted sums: each query over the allocation rows counts 3 blocks per row.
triple() { jq -c "$2" "$T/$1.json"; }
rep -d "$T/ex_rows.db" --format json --view summary >"$T/ex_rows.json"
rep -d "$T/s_rows.db" --format json --view summary >"$T/s_rows.json"
ex=$(jq -c '.summary | [.allocs, .frees, .alloc_bytes, .stacks.allocs, ([.stacks.ends[].allocs]|add), .processes[0].allocs, .processes[0].frees, .processes[0].live_blocks, .processes[0].live_bytes] | map(. * 3)' "$T/ex_rows.json")
expect_eq "rows: allocs, frees, bytes, stack quality and process counts are sums of weights" \
	"$(jq -c '.summary | [.allocs, .frees, .alloc_bytes, .stacks.allocs, ([.stacks.ends[].allocs]|add), .processes[0].allocs, .processes[0].frees, .processes[0].live_blocks, .processes[0].live_bytes]' "$T/s_rows.json")" "$ex"
expect_eq "rows: exact counts unchanged (leaks3: 82 allocations, 61 frees)" \
	"$(jq -c '.summary | [.allocs, .frees]' "$T/ex_rows.json")" "[82,61]"

rep -d "$T/ex.db" --format json --view leaks --min-age 0.000001 >"$T/ex_old.json"
rep -d "$T/s.db" --format json --view leaks --min-age 0.000001 >"$T/s_old.json"
expect_eq "leaks --min-age (a scan): blocks and bytes weighted" \
	"$(jq -c '[.leaks[] | [.site, .blocks, .bytes]] | sort' "$T/s_old.json")" \
	"$(jq -c '[.leaks[] | [.site, .blocks * 3, .bytes * 3]] | sort' "$T/ex_old.json")"

site=$(jq -r '.sites[0].site' <(rep -d "$T/ex.db" --format json --view sites))
rep -d "$T/ex.db" --format json --view timeline --site "$site" >"$T/ex_tl.json"
rep -d "$T/s.db" --format json --view timeline --site "$site" >"$T/s_tl.json"
tl='[([.timeline[].allocs]|add), ([.timeline[].frees]|add), ([.timeline[].alloc_bytes]|add), ([.timeline[].free_bytes]|add), ([.timeline[].live_blocks]|max), ([.timeline[].live_bytes]|max)]'
expect_eq "timeline --site (a scan): counts and bytes weighted" \
	"$(jq -c "$tl" "$T/s_tl.json")" "$(jq -c "$tl | map(. * 3)" "$T/ex_tl.json")"
expect_ge "timeline --site: the site allocated" "$(jq "$tl | .[0]" "$T/ex_tl.json")" 1

rep -d "$T/fw_rows.db" --format json --view summary --pid "$worker2" >"$T/fw_pid.json"
rep -d "$T/fw_s_rows.db" --format json --view summary --pid "$worker2" >"$T/fw_s_pid.json"
pidq='.summary | [.allocs, .frees, .alloc_bytes, .live_blocks, .live_bytes, .peak_bytes]'
expect_eq "--pid: its counts, live blocks and bytes and replayed peak are weighted" \
	"$(jq -c "$pidq" "$T/fw_s_pid.json")" "$(jq -c "$pidq | map(. * 3)" "$T/fw_pid.json")"
expect_eq "--pid: worker 2's exact counts (35 allocations, 30 live)" \
	"$(jq -c '.summary | [.allocs, .live_blocks]' "$T/fw_pid.json")" "[35,30]"

# --- Text: the SAMPLED line first, every section of numbers "(estimated)", misuse unchecked.
rep -d "$T/s.db" --view all >"$T/s.txt"
expect_eq "text: the first line says sampled and the rate" "$(head -1 "$T/s.txt")" "$SAMPLED_LINE"
expect_eq "text: every section but misuse is marked (estimated)" \
	"$(grep '^== ' "$T/s.txt" | grep -v '(estimated)' | tr '\n' '|')" "== Allocator misuse|"
expect_eq "text: sections" "$(grep -c '^== .*(estimated)' "$T/s.txt")" 7
expect_eq "text: misuse not checked (summary and section)" \
	"$(grep -c 'not checked in sampled mode: only sampled blocks are tracked' "$T/s.txt")" 2
rep -d "$T/fw_s.db" --view summary >"$T/fw_s.txt"
expect_match "text: the processes section is marked, its errors column empty" \
	"$(grep -A2 '^== Processes' "$T/fw_s.txt" | tr '\n' '|')" '^== Processes \(estimated\) \(5 program images\)\|.*errors.*\|.* -  [^|]*\|$'
rep -d "$T/ex.db" --view all >"$T/ex.txt"
expect_eq "text exact: no sampling label" "$(grep -c 'SAMPLED\|(estimated)\|not checked' "$T/ex.txt")" 0

# --- JSON: top-level sampling and estimated per section; null misuse counts.
rep -d "$T/s.db" --format json >"$T/s.json"
expect_eq "json: sampling" "$(jq -c '.sampling' "$T/s.json")" \
	'{"mode":"sampled","mean_bytes":4096,"errors_checked":false}'
expect_eq "json: estimated per section" "$(jq -c '.estimated' "$T/s.json")" \
	'{"summary":true,"leaks":true,"sites":true,"lifetimes":true,"sizes":true,"timeline":true,"advice":true}'
expect_eq "json: the object sections say estimated, the summary its sampling" \
	"$(jq -c '[.summary.estimated, .summary.sampling.mean_bytes, .lifetimes.estimated, .sizes.estimated]' "$T/s.json")" \
	'[true,4096,true,true]'
expect_eq "json: misuse counts are null (not checked), the errors list empty" \
	"$(jq -c '[.summary.double_frees, .summary.invalid_frees, (.summary.processes | map(.errors) | unique), (.errors | length)]' "$T/s.json")" \
	'[null,null,[null],0]'
rep -d "$T/ex.db" --format json >"$T/ex.json"
expect_eq "json exact: no sampling or estimated key anywhere" \
	"$(jq '[.. | objects | has("sampling") or has("estimated")] | any' "$T/ex.json")" false

# --- CSV: a trailing estimated column on every table of numbers; the summary's rate.
rep -d "$T/s.db" --format csv --view all --top 0 >"$T/s.csv"
expect_eq "csv: every table of numbers ends with estimated" \
	"$(awk '/^# /{getline; print $0}' "$T/s.csv" | grep -v ',estimated$' | tr '\n' '|')" \
	"kind,addr,ts,tid,func,function,file,line,pid,unreliable|"
expect_eq "csv: every data row ends with 1" \
	"$(grep -v '^#\|^$\|estimated$\|^kind,' "$T/s.csv" | grep -vc ',1$')" 0
expect_eq "csv: summary sample_bytes, empty misuse counts" \
	"$(sed -n '2,3p' "$T/s.csv" | python3 -c 'import csv,sys; r=list(csv.DictReader(sys.stdin))[0]; print(r["sample_bytes"], repr(r["double_frees"]), repr(r["invalid_frees"]), r["estimated"])')" \
	"4096 '' '' 1"
rep -d "$T/ex.db" --format csv --view all --top 0 >"$T/ex.csv"
expect_eq "csv exact: no estimated column" "$(grep -c 'estimated\|sample_bytes' "$T/ex.csv")" 0

# --- pprof: the period is the rate, a comment says estimated; the values are the sites'.
if command -v go >/dev/null; then
	rep -d "$T/s.db" --format pprof -o "$T/s.pb.gz"
	go tool pprof -raw "$T/s.pb.gz" >"$T/s.raw" 2>&1
	expect_eq "pprof: comment" "$(sed -n 's/^Comment: //p' "$T/s.raw" | cut -d';' -f1)" \
		"estimated: sampled every 4096 bytes on average"
	expect_eq "pprof: period" "$(sed -n 's/^Period: //p' "$T/s.raw")" 4096
	rep -d "$T/ex.db" --format pprof -o "$T/ex.pb.gz"
	go tool pprof -raw "$T/ex.pb.gz" >"$T/ex.raw" 2>&1
	expect_eq "pprof exact: period 1, no comment" \
		"$(sed -n 's/^Period: //p' "$T/ex.raw") $(grep -c '^Comment' "$T/ex.raw")" "1 0"
else
	not_ok "pprof: go is not installed (make deps): cannot read the profile"
fi

# --- Collapsed: the format has no room for a label; stderr says so.
"$HS" report -d "$T/s.db" --format collapsed >"$T/s.folded" 2>"$T/s.folded.err"
expect_match "collapsed: a note on stderr" "$(cat "$T/s.folded.err")" 'sampled recording.*estimates'
expect_eq "collapsed: lines are plain 'stack value'" "$(grep -cv ' [0-9]*$' "$T/s.folded")" 0

# --- HTML: the report's JSON carries the sampling (the dashboard's badge reads it).
rep -d "$T/s.db" --format html -o "$T/s.html"
expect_eq "html: the embedded summary has the sampling" \
	"$(grep -c '"sampling":{"mode":"sampled","mean_bytes":4096' "$T/s.html")" 1

# --- The API and the dashboard.
# url_line FILE: the first http://ADDR:PORT/ the server printed; fails while there is none.
url_line() {
	local u
	u=$(grep -ho 'http://[0-9.:]*/' "$1" 2>/dev/null | head -1)
	[ -n "$u" ] && echo "$u"
}
serve() {
	"$HS" serve -d "$1" --port 0 >"$T/serve.out" 2>&1 &
	SPID=$!
	wait_for "serve $1" 30 url_line "$T/serve.out" ||
		sed 's/^/#   serve: /' "$T/serve.out" | head -5
	URL=$(url_line "$T/serve.out")
}
unserve() {
	kill "$SPID"
	wait "$SPID" 2>/dev/null
	SPID=
}
browser() { # NAME ENV...
	local name=$1
	shift
	if [ ! -d "$web/node_modules/playwright-core" ]; then
		not_ok "$name: $web/node_modules/playwright-core is missing; run 'make web-deps'"
		return
	fi
	(cd "$web" && env "$@" timeout -k 5 120 node --test --test-reporter=tap sampled.test.mjs) >"$T/web.tap" 2>&1
	run_tap "$name" "$T/web.tap" $?
}
serve "$T/s.db"
expect_eq "api: /api/summary carries the rate" "$(curl -s "${URL}api/summary" | jq -c '[.sampling.mode, .sampling.mean_bytes, .estimated]')" '["sampled",4096,true]'
expect_eq "api: sites, site, lifetimes and sizes say estimated" \
	"$(for r in "sites" "site?id=$site" lifetimes sizes; do curl -s "${URL}api/$r" | jq -r .estimated; done | tr '\n' ' ')" \
	"true true true true "
browser "web sampled (serve)" HS_URL="$URL" HS_SAMPLED=1
unserve
browser "web sampled (html report)" HS_HTML="$T/s.html" HS_SAMPLED=1
serve "$T/ex.db"
expect_eq "api exact: no sampling" "$(curl -s "${URL}api/summary" | jq -c '[.sampling, .estimated]')" '[null,null]'
browser "web exact (serve)" HS_URL="$URL" HS_SAMPLED=0
unserve

# --- A real sampled recording (record --sample), through every format.
if ! "$HS" record --help 2>&1 | grep -q -- '--sample BYTES'; then
	not_ok "record has no --sample: the real sampled recording is not tested"
	finish
	exit
fi
"$HS" record --sample 65536 --sample-seed 7 -o "$T/real.db" -- "$PROGS/sample_sites" >/dev/null 2>"$T/real.err"
expect_eq "record --sample: exit status" "$?" 0
expect_eq "record --sample: the rate is stored" "$(q "$T/real.db" 'SELECT sample_bytes FROM recording')" 65536
rep -d "$T/real.db" --format json >"$T/real.json"
expect_eq "real: json sampling and estimates" \
	"$(jq -c '[.sampling.mean_bytes, .summary.estimated, .estimated.sites, .summary.double_frees]' "$T/real.json")" '[65536,true,true,null]'
expect_eq "real: the allocation rows' weights add up to the recorder's aggregates" \
	"$(q "$T/real.db" 'SELECT sum(weight), sum(size * weight), coalesce(sum(CASE WHEN free_ts IS NULL THEN weight END), 0) FROM allocations')" \
	"$(jq -r '.summary | "\(.allocs)|\(.alloc_bytes)|\(.live_blocks)"' "$T/real.json")"
cp "$T/real.db" "$T/real_rows.db"
q "$T/real_rows.db" "DELETE FROM site_stats"
expect_eq "real: counted from the rows, the same summary" \
	"$(rep -d "$T/real_rows.db" --format json --view summary | jq -c '.summary | [.allocs, .frees, .alloc_bytes, .stacks.allocs]')" \
	"$(jq -c '.summary | [.allocs, .frees, .alloc_bytes, .stacks.allocs]' "$T/real.json")"
expect_ge "real: more blocks estimated than rows stored" \
	"$(jq .summary.allocs "$T/real.json")" "$(( $(q "$T/real.db" 'SELECT count(*) FROM allocations') + 1 ))"
expect_match "real: text" "$(rep -d "$T/real.db" | head -1)" '^SAMPLED: 1 sample per 64 KiB allocated on average'
expect_eq "real: csv sites end with estimated" "$(rep -d "$T/real.db" --format csv | head -1 | grep -c ',estimated$')" 1
"$HS" report -d "$T/real.db" --format collapsed >"$T/real.folded" 2>/dev/null
expect_eq "real: collapsed bytes add up to the estimate" \
	"$(awk '{ s += $NF } END { print s }' "$T/real.folded")" "$(jq .summary.alloc_bytes "$T/real.json")"
if command -v go >/dev/null; then
	rep -d "$T/real.db" --format pprof -o "$T/real.pb.gz"
	expect_eq "real: pprof period and alloc_space total" \
		"$(go tool pprof -raw "$T/real.pb.gz" 2>/dev/null | sed -n 's/^Period: //p') $(go tool pprof -top -sample_index=alloc_space -unit=bytes "$T/real.pb.gz" 2>/dev/null | sed -n 's/.*of \([0-9]*\)B total.*/\1/p')" \
		"65536 $(jq .summary.alloc_bytes "$T/real.json")"
fi
rep -d "$T/real.db" --format html -o "$T/real.html"
browser "web real sampled (html report)" HS_HTML="$T/real.html" HS_SAMPLED=1
finish

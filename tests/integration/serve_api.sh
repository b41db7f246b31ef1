#!/usr/bin/env bash
# heapscope serve on recordings of tests/progs programs: every API route's status, content type
# and JSON shape (the summary's stack quality too), values equal to `report --format json` of the
# same file, ?pid= on every route (and on a recording of several processes), the flame tree's
# totals, every embedded dashboard file byte for byte, the listening address, and bad options.
. "$(dirname "$0")/../lib.sh"

SPIDS=()
trap 'for p in "${SPIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

rec() { "$HS" record -o "$T/$1.db" -- "$PROGS/$1" >/dev/null 2>"$T/$1.rec.err"; }
rep() { "$HS" report -d "$@" --format json 2>>"$T/rep.err"; }

# serve_start NAME DB [ARGS...]: a server in the background on a free port; sets URL, PORT, SPID.
serve_start() {
	local out=$T/serve.$1.out
	"$HS" serve -d "$2" --port 0 "${@:3}" >"$out" 2>"$T/serve.$1.err" &
	SPID=$!
	SPIDS+=("$SPID")
	wait_for "serve $1: prints its URL" 10 grep -q '^http://' "$out" || return 1
	URL=$(head -1 "$out")
	URL=${URL%/}
	PORT=${URL##*:}
	echo "# serve $1: $URL/ (pid $SPID)"
}

# serve_stop: SIGTERM, then the exit status within a deadline.
serve_stop() {
	kill -TERM "$SPID"
	wait_for "serve: exits on SIGTERM" 10 bash -c "! kill -0 $SPID"
	wait "$SPID"
	expect_eq "serve: exit status 0 after SIGTERM" "$?" 0
}

# get PATH: the body into $T/body; CODE and TYPE (Content-Type) set.
get() {
	local w
	w=$(curl -s --max-time 20 -o "$T/body" -D "$T/headers" -w '%{http_code} %{content_type}' "$URL$1")
	CODE=${w%% *}
	TYPE=${w#* }
}

# api NAME PATH JQ_OF_REPORT REPORT_JSON: 200, JSON, and the body equal to a part of a report.
api() {
	get "$2"
	expect_eq "$1: status" "$CODE" 200
	expect_eq "$1: content type" "$TYPE" "application/json"
	expect_eq "$1: equals report's $3" "$(jq -cS . "$T/body")" "$(jq -cS "$3" "$4")"
}

rec leaks3
rec double_free
rec patterns
for p in leaks3 double_free patterns; do
	expect_eq "recorded $p" "$(q "$T/$p.db" 'SELECT count(*) > 0 FROM allocations')" 1
done

# --- leaks3: every route against the full report.
R=$T/leaks3.json
rep "$T/leaks3.db" --top 0 >"$R"
serve_start leaks3 "$T/leaks3.db"
expect_match "serve: prints http://127.0.0.1:PORT/" "$(cat "$T/serve.leaks3.out")" '^http://127\.0\.0\.1:[0-9]+/$'

api "summary" /api/summary .summary "$R"
expect_eq "summary: leaks3's counts" \
	"$(jq -r '"\(.allocs) \(.frees) \(.live_blocks) \(.live_bytes)"' "$T/body")" "82 61 21 5000"
expect_eq "summary: the stack quality, every allocation and site counted" \
	"$(jq -r '.stacks | "\(.mode) \(.allocs) \(.sites) \([.ends[].allocs]|add) \(.complete_allocs_share >= 0 and .complete_allocs_share <= 1) \(.mean_depth >= 1) \(.p99_depth >= 1)"' "$T/body")" \
	"dwarf 82 8 82 true true true"
get /api/summary
expect_eq "api: Cache-Control no-cache" "$(grep -i '^cache-control:' "$T/headers" | tr -d '\r')" \
	"Cache-Control: no-cache"

get '/api/sites?limit=10000'
expect_eq "sites: status" "$CODE" 200
expect_eq "sites: content type" "$TYPE" "application/json"
expect_eq "sites: shape" "$(jq -r '(keys|join(",")) + " " + ([.sites[0]|has("site","allocs","bytes","frames")]|all|tostring)' "$T/body")" "sites,total true"
expect_eq "sites: total" "$(jq .total "$T/body")" "$(jq '.sites|length' "$R")"
expect_eq "sites: all equal report's" "$(jq -cS .sites "$T/body")" "$(jq -cS .sites "$R")"
get /api/sites
expect_eq "sites: default limit 50 (all 8 here)" "$(jq '.sites|length' "$T/body")" "$(jq '.sites|length' "$R")"
api "sites: group=function sort=allocs asc, limit 2 offset 1" \
	'/api/sites?group=function&sort=allocs&order=asc&limit=2&offset=1' '{total: (.sites|length), sites: .sites[1:3]}' \
	<(rep "$T/leaks3.db" --view sites --group-by function --sort allocs --asc)
api "sites: group=file" '/api/sites?group=file' '{total: (.sites|length), sites}' \
	<(rep "$T/leaks3.db" --view sites --group-by file)
api "sites: function filter" '/api/sites?function=leak_&limit=100' \
	'[.sites[] | select(.frames[0].function // "" | contains("leak_"))] | {total: length, sites: .}' "$R"
expect_eq "sites: function filter keeps leak_a x3, leak_b, leak_c" "$(jq .total "$T/body")" 5
api "sites: file filter" '/api/sites?file=leaks3.c&limit=100' \
	'[.sites[] | select(.frames[0].file // "" | contains("leaks3.c"))] | {total: length, sites: .}' "$R"

TOPSITE=$(jq '.leaks[0].site' "$R")
get "/api/site?id=$TOPSITE"
expect_eq "site: status" "$CODE" 200
expect_eq "site: shape" "$(jq -r 'keys|join(",")' "$T/body")" "lifetimes,site,sizes,timeline"
expect_eq "site: top leak's innermost function" "$(jq -r '.site.frames[0].function' "$T/body")" leak_c
expect_match "site: top leak's file:line" "$(jq -r '.site.frames[0] | "\(.file):\(.line)"' "$T/body")" 'leaks3\.c:[0-9]+$'
expect_eq "site: the object equals report's site" "$(jq -cS .site "$T/body")" "$(jq -cS ".sites[] | select(.site == $TOPSITE)" "$R")"
rep "$T/leaks3.db" --site "$TOPSITE" --view lifetimes,sizes,timeline >"$T/site.json"
expect_eq "site: lifetimes, sizes, timeline equal report --site's" \
	"$(jq -cS '[.lifetimes, .sizes, .timeline]' "$T/body")" "$(jq -cS '[.lifetimes, .sizes, .timeline]' "$T/site.json")"
expect_eq "site: sizes hold its 11 blocks" "$(jq '[.sizes.buckets[].count]|add' "$T/body")" 11
get '/api/site?id=999999'
expect_eq "site: unknown id is 404" "$CODE" 404
expect_eq "site: 404 is a JSON error" "$(jq -r 'has("error")' "$T/body")" true

api "leaks: limit=0 (all)" '/api/leaks?limit=0' .leaks "$R"
api "leaks: default limit" /api/leaks .leaks "$R"
api "leaks: limit=2" '/api/leaks?limit=2' '.leaks[0:2]' "$R"
api "leaks: min_age=0.05" '/api/leaks?min_age=0.05' .leaks <(rep "$T/leaks3.db" --view leaks --min-age 0.05)
api "leaks: group=function" '/api/leaks?group=function' .leaks <(rep "$T/leaks3.db" --view leaks --group-by function)
expect_eq "leaks: ranking" "$(curl -s "$URL/api/leaks" | jq -r '[.[] | "\(.frames[0].function):\(.blocks)"] | join(" ")')" \
	"leak_c:11 leak_b:7 leak_a:1 leak_a:1 leak_a:1"

api "lifetimes" /api/lifetimes .lifetimes "$R"
api "lifetimes: one site" "/api/lifetimes?site=$TOPSITE" .lifetimes "$T/site.json"
api "sizes" /api/sizes .sizes "$R"
api "sizes: one site" "/api/sizes?site=$TOPSITE" .sizes "$T/site.json"
api "timeline" /api/timeline .timeline "$R"
api "timeline: one site" "/api/timeline?site=$TOPSITE" .timeline "$T/site.json"
get '/api/timeline?from=0&resolution=100000000'
expect_eq "timeline: resolution 100 ms, status" "$CODE" 200
expect_eq "timeline: allocations add up to the summary's" "$(jq '[.[].allocs]|add' "$T/body")" 82
# (The windows and the resolution are checked on the 1 s recording of several processes below:
# leaks3 runs for about 100 ms.)

api "errors: none in leaks3" /api/errors .errors "$R"
api "advice: none in leaks3" /api/advice .advice "$R"

# --- ?pid=: validated on every route (a positive integer, else 400), an unknown process 404,
# and leaks3's one process is the whole recording.
for route in summary sites site leaks lifetimes sizes timeline errors advice flame; do
	for v in abc 0 -1 1.5 99999999999 ''; do
		q="pid=$v"
		[ "$route" = site ] && q="id=1&$q" # its one required parameter
		get "/api/$route?$q"
		[ "$CODE" = 400 ] && [ "$(jq -r 'has("error")' "$T/body")" = true ] || not_ok "pid=$v on $route: got $CODE $(cat "$T/body")"
	done
done
ok "pid: abc, 0, -1, 1.5, 1e11 and empty are 400 on every route"
get '/api/summary?pid=abc'
expect_eq "pid=abc: says why" "$(jq -r .error "$T/body")" "parameter 'pid' must be an integer from 1 to 2147483647"
get '/api/sites?pid=1&pid=2'
expect_eq "pid given twice: 400" "$CODE $(jq -r .error "$T/body")" "400 parameter 'pid' given twice"
get '/api/summary?pid=999999999'
expect_eq "pid of no process: 404" "$CODE $(jq -r .error "$T/body")" "404 no process 999999999 in this recording"
PID=$(jq .summary.pid "$R")
api "pid: leaks3's own summary" "/api/summary?pid=$PID" .summary <(rep "$T/leaks3.db" --view summary --pid "$PID")
api "pid: leaks3's own sites are all of them" "/api/sites?pid=$PID&limit=10000" '{total: (.sites|length), sites}' "$R"

# --- The flame tree: totals equal the sites' sums, siblings sorted, parents cover children.
for w in bytes allocs live_bytes; do
	get "/api/flame?weight=$w"
	expect_eq "flame $w: status" "$CODE" 200
	expect_eq "flame $w: root value = sum of sites' $w" "$(jq .value "$T/body")" "$(jq "[.sites[].$w]|add" "$R")"
	expect_eq "flame $w: root children add up" "$(jq '[.children[].value]|add // 0' "$T/body")" "$(jq .value "$T/body")"
	expect_eq "flame $w: every node >= its children, children sorted by value" \
		"$(jq '[.. | objects | select(has("children")) | (.value >= ([.children[].value]|add // 0)) and ([.children[].value] == ([.children[].value]|sort|reverse))] | all' "$T/body")" true
	expect_eq "flame $w: node shape" "$(jq '[.. | objects | select(has("children") and .name != "all") | has("name","file","line","module","value")] | all' "$T/body")" true
done
get /api/flame
expect_eq "flame: default weight is bytes" "$(jq .value "$T/body")" 9480
expect_eq "flame: leak_c's path (outermost first)" \
	"$(jq -r '[paths(objects) as $p | getpath($p) | select(.name? == "leak_c") | .value] | add' "$T/body")" 3300
expect_eq "flame: unknown weight is 400" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/flame?weight=frees")" 400

# --- The dashboard: index and every embedded file, byte for byte, with its content type.
get /
expect_eq "index: status" "$CODE" 200
expect_eq "index: content type" "$TYPE" "text/html; charset=utf-8"
for h in "X-Content-Type-Options: nosniff" "Cache-Control: no-cache" \
	"Content-Security-Policy: default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"; do
	expect_eq "index: header ${h%%:*}" "$(grep -i "^${h%%:*}:" "$T/headers" | tr -d '\r')" "$h"
done
if [ -f "$TOP/web/index.html" ]; then
	expect_eq "index: is web/index.html" "$(cmp -s "$T/body" "$TOP/web/index.html" && echo same)" same
fi
n=0
while IFS= read -r f; do
	rel=${f#web/}
	case $rel in
	*.html) want="text/html; charset=utf-8" ;;
	*.js | *.mjs) want="text/javascript; charset=utf-8" ;;
	*.css) want="text/css; charset=utf-8" ;;
	*.svg) want="image/svg+xml" ;;
	*.png) want="image/png" ;;
	*.json) want="application/json" ;;
	*.woff2) want="font/woff2" ;;
	*) want="" ;;
	esac
	get "/assets/$rel"
	if [ "$CODE" = 200 ] && cmp -s "$T/body" "$TOP/$f" && { [ -z "$want" ] || [ "$TYPE" = "$want" ]; }; then
		n=$((n + 1))
	else
		not_ok "asset $rel: status $CODE, type '$TYPE' (want '$want'), same bytes: $(cmp -s "$T/body" "$TOP/$f" && echo yes || echo no)"
	fi
done < <(cd "$TOP" && find web -type f ! -path 'web/node_modules/*' ! -name 'package*.json' ! -path '*/.*' | sort)
expect_eq "assets: every web/ file served as /assets/<path> with its type" "$n" \
	"$(cd "$TOP" && find web -type f ! -path 'web/node_modules/*' ! -name 'package*.json' ! -path '*/.*' | wc -l)"
if [ -d "$TOP/web/node_modules" ] || ls "$TOP"/web/package*.json >/dev/null 2>&1; then
	get /assets/package.json
	expect_eq "assets: package.json is not embedded" "$CODE" 404
fi

# --- Listening address: loopback by default, exactly the --bind address otherwise.
expect_eq "bind: default listens on 127.0.0.1 only" \
	"$(ss -Hltnp "sport = :$PORT" | grep "pid=$SPID," | awk '{print $4}' | sort -u | tr '\n' ' ')" "127.0.0.1:$PORT "
serve_stop

# --- double_free: errors; patterns: advice.
serve_start double_free "$T/double_free.db"
api "errors: the double free" /api/errors .errors <(rep "$T/double_free.db" --view errors)
expect_eq "errors: kind and function" "$(jq -r '.[0] | "\(.kind):\(.frames[0].function)"' "$T/body")" "double_free:second_free"
api "summary: double_free" /api/summary .summary <(rep "$T/double_free.db" --view summary)
serve_stop

serve_start patterns "$T/patterns.db" --bind 0.0.0.0
expect_match "bind 0.0.0.0: printed" "$(cat "$T/serve.patterns.out")" '^http://0\.0\.0\.0:[0-9]+/$'
expect_eq "bind 0.0.0.0: listens on every interface" \
	"$(ss -Hltnp "sport = :$PORT" | grep "pid=$SPID," | awk '{print $4}' | sort -u | tr '\n' ' ')" "0.0.0.0:$PORT "
URL=http://127.0.0.1:$PORT
api "advice: patterns" /api/advice .advice <(rep "$T/patterns.db" --view advice)
expect_eq "advice: kinds" "$(jq -r '[.[] | .kind] | sort | unique | join(" ")' "$T/body")" "arena batching pool realloc_churn"
api "sites: patterns, sorted by live_bytes" '/api/sites?sort=live_bytes&limit=5' '{total: (.sites|length), sites: .sites[0:5]}' \
	<(rep "$T/patterns.db" --view sites --sort live_bytes)
serve_stop

# --- ?pid= on a recording of several processes, written by the unit test's writer
# (tests/unit/test_processes.c): every route equals `report --pid` of it.
fx=$T/processes.db
if [ ! -x "$TOP/build/tests/test_processes" ]; then
	not_ok "fixture: build/tests/test_processes is missing (make build/tests/test_processes)"
else
	"$TOP/build/tests/test_processes" --write "$fx"
	serve_start processes "$fx"
	P=$T/pid101.json
	rep "$fx" --pid 101 --top 0 --view all >"$P"
	api "pid=101: summary" '/api/summary?pid=101' .summary "$P"
	expect_eq "pid=101: its counts and its image" \
		"$(jq -c '[.pid_filter, .allocs, .live_bytes, .peak_bytes, .unreliable_errors, [.processes[].id], (.notices|length)]' "$T/body")" \
		"[101,5,1000,1500,2,[3],2]"
	api "pid=101: sites" '/api/sites?pid=101' '{total: (.sites|length), sites}' "$P"
	get '/api/site?id=4&pid=101'
	expect_eq "pid=101: site" "$CODE $(jq -cS .site "$T/body")" "200 $(jq -cS '.sites[0]' "$P")"
	get '/api/site?id=2&pid=101'
	expect_eq "pid=101: another process's site is 404" "$CODE $(jq -r .error "$T/body")" "404 no site 2 in process 101"
	api "pid=101: leaks" '/api/leaks?pid=101' .leaks "$P"
	api "pid=101: errors" '/api/errors?pid=101' .errors "$P"
	expect_eq "pid=101: its errors, after the lost event" "$(jq -c '[.[] | [.pid, .unreliable]]' "$T/body")" "[[101,true],[101,true]]"
	api "pid=101: lifetimes" '/api/lifetimes?pid=101' .lifetimes "$P"
	api "pid=101: sizes" '/api/sizes?pid=101' .sizes "$P"
	api "pid=101: timeline" '/api/timeline?pid=101' .timeline "$P"
	api "pid=101: advice" '/api/advice?pid=101' .advice "$P"
	# The recorder's samples of this 1 s recording are 100 ms apart.
	get '/api/timeline?from=0&resolution=100000000'
	expect_eq "timeline: points 100 ms apart" \
		"$(jq -c '[range(1; length) as $i | .[$i].ts - .[$i - 1].ts] | unique' "$T/body")" "[100000000]"
	expect_eq "timeline: allocations add up to the summary's" "$(jq '[.[].allocs]|add' "$T/body")" 22
	get '/api/timeline?from=100000000&to=500000000&resolution=200000000'
	expect_eq "timeline: from/to window" "$(jq -c '[.[] | [.ts, .allocs, .live_blocks]]' "$T/body")" \
		"[[300000000,11,1],[500000000,6,4]]"
	# A finer resolution is clamped to the samples, never mostly-empty spikes.
	get '/api/timeline?from=100000000&to=300000000&resolution=50000000'
	expect_eq "timeline: resolution clamped to the 100 ms samples" "$(jq -c '[.[].ts]' "$T/body")" \
		"[200000000,300000000]"
	# One process's timeline is replayed from its allocations, at any resolution.
	get '/api/timeline?pid=100&from=200000000&to=300000000&resolution=50000000'
	expect_eq "timeline pid=100: 50 ms from its allocations" "$(jq -c '[.[] | [.ts, .allocs, .frees, .live_bytes]]' "$T/body")" \
		"[[250000000,1,0,100],[300000000,10,10,1000]]"
	get '/api/flame?pid=100'
	expect_eq "pid=100: flame of its sites" "$(jq -c '[.value, [.children[].name]]' "$T/body")" \
		'[5192,["parent_leak","parent_temp","sh_alloc"]]'
	get /api/summary
	expect_eq "summary: three images, two notices, every event accounted" \
		"$(jq -c '[[.processes[] | "\(.pid):\(.end_reason)"], [.notices[].kind], .events.accounted, .cut_ts, .first_drop_ts]' "$T/body")" \
		'[["100:exec","100:exited","101:killed"],["go_heap","no_allocator"],true,990000000,700000000]'
	serve_stop
fi

# --- Bad options: one line on stderr, exit status 2 (1 for a file that is not a recording).
bad() {
	"$HS" serve "${@:3}" >"$T/bad.out" 2>"$T/bad.err"
	expect_eq "$1: exit status" "$?" "$2"
	expect_eq "$1: one line on stderr" "$(wc -l <"$T/bad.err")" 1
	expect_eq "$1: nothing on stdout" "$(wc -c <"$T/bad.out")" 0
}
bad "bad port" 2 -d "$T/leaks3.db" --port 70000
bad "port not a number" 2 -d "$T/leaks3.db" --port 80x
bad "bad bind" 2 -d "$T/leaks3.db" --bind nonsense
bad "no -d" 2 --port 0
bad "port twice" 2 -d "$T/leaks3.db" --port 0 --port 1
expect_eq "port twice: says so" "$(cat "$T/bad.err")" "heapscope: option --port given twice"
bad "-d twice" 2 -d "$T/leaks3.db" --db "$T/leaks3.db" --port 0
expect_eq "-d twice: says so" "$(cat "$T/bad.err")" "heapscope: option --db given twice"
bad "missing file" 1 -d "$T/nope.db" --port 0
echo "not sqlite" >"$T/junk.db"
bad "not a recording" 1 -d "$T/junk.db" --port 0
serve_start busy "$T/leaks3.db"
bad "port in use" 2 -d "$T/leaks3.db" --port "$PORT"
expect_match "port in use: says so" "$(cat "$T/bad.err")" "in use"
serve_stop

finish

#!/usr/bin/env bash
# Allocation wrappers: report --alloc-fn on tests/progs/xmalloc_wrap (xmalloc and xcalloc called
# from three functions): the sites become the wrappers' callers with every count unchanged, in
# every view and grouping, the API's alloc_fn=; record --alloc-fn kept in the recording; the
# detection (auto, advice) on xmalloc_wrap and on Debian's sqlite3 shell (sqlite3Malloc).
. "$(dirname "$0")/../lib.sh"

SRC=$TOP/tests/progs/xmalloc_wrap.c
line() { grep -n "/\* $1 \*/" "$SRC" | cut -d: -f1; }
rep() { "$HS" report -d "$@" 2>>"$T/rep.err"; }
# function:line:allocs:sites of each site (frame 0), sorted
sites_of() { jq -r '[.sites[] | "\(.frames[0].function):\(.frames[0].line):\(.allocs):\(.sites)"] | sort | join(" ")' "$1"; }

"$HS" record -o "$T/xw.db" -- "$PROGS/xmalloc_wrap" >/dev/null 2>"$T/rec.err"
expect_eq "record xmalloc_wrap: exit status" "$?" 0
"$HS" record -o "$T/xwrec.db" --alloc-fn xcalloc -- "$PROGS/xmalloc_wrap" >/dev/null 2>>"$T/rec.err"
expect_eq "record --alloc-fn xcalloc: exit status" "$?" 0

# --- Without wrappers: the wrappers are the sites.
rep "$T/xw.db" --format json --view summary,sites --group-by function >"$T/raw.json"
expect_eq "raw: totals" "$(jq -r '.summary | "\(.allocs) \(.alloc_bytes) \(.live_blocks) \(.alloc_fns)"' "$T/raw.json")" \
	"24 3350 15 null"
expect_eq "raw: sites by function are the wrappers" \
	"$(jq -r '[.sites[] | "\(.key):\(.allocs):\(.sites)"] | sort | join(" ")' "$T/raw.json")" \
	"main:2:1 xcalloc:6:3 xmalloc:16:7"

rep "$T/xw.db" --format json --view leaks >"$T/rawleaks.json"
expect_eq "raw: one leak row per stack (no wrapper key folds them)" \
	"$(jq -r '"\(length) \([.[].blocks] | add) \([.[].sites] | add)"' <<<"$(jq .leaks "$T/rawleaks.json")")" "7 15 7"

# --- --alloc-fn: the callers are the sites; A1's two stacks (xmalloc's two malloc calls) are one.
WANT="main:$(line M1):2:1 use_a:$(line A1):5:2 use_a:$(line A2):2:1 use_a:$(line A3):1:1"
WANT+=" use_b:$(line B1):4:1 use_b:$(line B2):1:1 use_b:$(line B3):2:1"
WANT+=" use_c:$(line C1):3:1 use_c:$(line C2):1:1 use_c:$(line C3):3:1"
rep "$T/xw.db" --format json --view summary,sites,leaks --alloc-fn xmalloc --alloc-fn xcalloc >"$T/wrapped.json"
expect_eq "--alloc-fn: sites are the wrappers' callers" "$(sites_of "$T/wrapped.json")" "$WANT"
expect_eq "--alloc-fn: totals unchanged" \
	"$(jq -r '.summary as $s | "\($s.allocs) \($s.alloc_bytes) \($s.live_blocks) \([.sites[].allocs]|add) \([.sites[].bytes]|add) \([.sites[].live_blocks]|add)"' "$T/wrapped.json")" \
	"24 3350 15 24 3350 15"
expect_eq "--alloc-fn: A1's site adds its stacks (bytes, live, frees)" \
	"$(jq -r --argjson l "$(line A1)" '.sites[] | select(.frames[0].line == $l) | "\(.bytes) \(.live_blocks) \(.live_bytes) \(.frees) \(.min_size) \(.max_size)"' "$T/wrapped.json")" \
	"502 5 502 0 100 101"
expect_eq "--alloc-fn: summary lists the wrappers treated" \
	"$(jq -c '.summary.alloc_fns | [.patterns, .recorded, .detected, [.functions[] | "\(.function):\(.sites):\(.allocs)"]]' "$T/wrapped.json")" \
	'[["xmalloc","xcalloc"],0,[],["xmalloc:7:16","xcalloc:3:6"]]'
expect_eq "--alloc-fn: leaks by caller, blocks unchanged" \
	"$(jq -r '[.leaks[] | "\(.frames[0].function):\(.frames[0].line):\(.blocks):\(.bytes):\(.sites)"] | sort | join(" ")' "$T/wrapped.json")" \
	"use_a:$(line A1):5:502:2 use_a:$(line A3):1:50:1 use_b:$(line B2):1:210:1 use_b:$(line B3):2:120:1 use_c:$(line C1):3:900:1 use_c:$(line C3):3:90:1"
rep "$T/xw.db" --format json --view sites --alloc-fn 'x*alloc' >"$T/glob.json"
expect_eq "--alloc-fn glob x*alloc: the same sites" "$(sites_of "$T/glob.json")" "$WANT"
rep "$T/xw.db" --format json --view sites --group-by function --alloc-fn 'x*' >"$T/byfn.json"
expect_eq "--alloc-fn by function: the callers" \
	"$(jq -r '[.sites[] | "\(.key):\(.allocs)"] | sort | join(" ")' "$T/byfn.json")" \
	"main:2 use_a:8 use_b:7 use_c:7"
rep "$T/xw.db" --view summary --alloc-fn 'x*' >"$T/wrapped.txt"
expect_match "text: the wrappers treated" "$(cat "$T/wrapped.txt")" \
	"alloc fns     x\*"$'\n'"  wrappers      xmalloc \(7 sites, 16 allocations\),"

# --site of one of A1's stacks is the whole site.
A1_SITES=$(q "$T/xw.db" "SELECT group_concat(s.site, ' ') FROM site_stats s JOIN site_frames f ON f.site = s.site
	AND f.pos = 1 WHERE f.function = 'use_a' AND f.line = $(line A1)")
expect_eq "raw: A1 is two stacks" "$(wc -w <<<"$A1_SITES")" 2
for s in $A1_SITES; do
	rep "$T/xw.db" --format json --view sites,lifetimes --site "$s" --alloc-fn xmalloc >"$T/site.json"
	expect_eq "--site $s --alloc-fn: A1's site" \
		"$(jq -r '"\(.sites|length) \(.sites[0].allocs) \(.sites[0].sites) \(.lifetimes.live)"' "$T/site.json")" "1 5 2 5"
done

# Collapsed stacks: no wrapper frame, the same total.
rep "$T/xw.db" --format collapsed --value allocs --alloc-fn 'x*' >"$T/wrapped.folded"
expect_eq "collapsed --alloc-fn: no stack ends in a wrapper, total unchanged" \
	"$(grep -c -E ';x(malloc|calloc) [0-9]+$' "$T/wrapped.folded") $(awk '{s += $NF} END {print s}' "$T/wrapped.folded")" "0 24"

# --- Detection: xmalloc (6 call sites) is a wrapper, xcalloc (3) is not.
rep "$T/xw.db" --format json --view summary,sites,advice --alloc-fn auto >"$T/auto.json"
expect_eq "auto: detects xmalloc only" "$(jq -c '.summary.alloc_fns | [.detected, [.functions[].function]]' "$T/auto.json")" \
	'[["xmalloc"],["xmalloc"]]'
expect_eq "auto: xmalloc's callers are sites, xcalloc stays" \
	"$(jq -r '[.sites[].frames[0].function] | unique | join(" ")' "$T/auto.json")" "main use_a use_b use_c xcalloc"
rep "$T/xw.db" --format json --view advice >"$T/advice.json"
expect_eq "advice: alloc_wrapper for xmalloc" \
	"$(jq -r '[.advice[] | select(.kind == "alloc_wrapper") | .frames[0].function] | join(" ")' "$T/advice.json")" "xmalloc"
expect_match "advice: its evidence" "$(jq -r '.advice[] | select(.kind == "alloc_wrapper") | .evidence' "$T/advice.json")" \
	"^xmalloc is the innermost function of 100% of the 16 allocations through it, called from 6 call sites"
expect_eq "advice: none once treated" \
	"$(jq '[.advice[] | select(.kind == "alloc_wrapper")] | length' "$T/auto.json")" 0

# --- Recorded patterns apply by default; --alloc-fn adds, 'none' drops them.
rep "$T/xwrec.db" --format json --view summary,sites >"$T/rec.json"
expect_eq "recorded xcalloc: applied by default" \
	"$(jq -c '[.summary.alloc_fns.patterns, .summary.alloc_fns.recorded, ([.sites[].frames[0].function] | unique)]' "$T/rec.json")" \
	'[["xcalloc"],1,["main","use_a","use_b","use_c","xmalloc"]]'
expect_eq "recorded in recording.options" "$(q "$T/xwrec.db" "SELECT json_extract(options, '\$.alloc_fn') FROM recording")" '["xcalloc"]'
rep "$T/xwrec.db" --format json --view summary,sites --alloc-fn xmalloc >"$T/rec2.json"
expect_eq "recorded + --alloc-fn xmalloc" "$(sites_of "$T/rec2.json") $(jq -c .summary.alloc_fns.patterns "$T/rec2.json")" \
	"$WANT [\"xcalloc\",\"xmalloc\"]"
rep "$T/xwrec.db" --format json --view summary,sites,leaks --alloc-fn none >"$T/rec3.json"
expect_eq "--alloc-fn none: the recording's raw sites" \
	"$(jq -r '"\(.summary.alloc_fns) \([.sites[].frames[0].function] | unique | join(","))"' "$T/rec3.json")" "null main,xcalloc,xmalloc"

# --- Bad patterns.
rep "$T/xw.db" --alloc-fn '' >/dev/null 2>&1
expect_eq "report --alloc-fn '': exit 2" "$?" 2
"$HS" record -o "$T/bad.db" --alloc-fn '' -- true >/dev/null 2>&1
expect_eq "record --alloc-fn '': exit 2" "$?" 2

# --- The API: alloc_fn= (comma-separated) on every route.
"$HS" serve -d "$T/xw.db" --port 0 >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
trap 'kill $SPID 2>/dev/null; rm -rf "$T"' EXIT
wait_for "serve: prints its URL" 10 grep -q '^http://' "$T/serve.out"
URL=$(head -1 "$T/serve.out")
URL=${URL%/}
get() { curl -s --max-time 20 -o "$T/body" -w '%{http_code}' "$URL$1"; }
expect_eq "api sites alloc_fn=xmalloc,xcalloc: status" "$(get '/api/sites?limit=100&alloc_fn=xmalloc,xcalloc')" 200
expect_eq "api sites alloc_fn=xmalloc,xcalloc: the callers" "$(sites_of "$T/body")" "$WANT"
expect_eq "api summary alloc_fn=auto" "$(get '/api/summary?alloc_fn=auto') $(jq -c .alloc_fns.detected "$T/body")" '200 ["xmalloc"]'
get '/api/leaks?alloc_fn=x*' >/dev/null
expect_eq "api leaks alloc_fn=x*" "$(jq -r '[.[] | .blocks] | add' "$T/body") $(jq -r '[.[].frames[0].function] | unique | join(",")' "$T/body")" \
	"15 use_a,use_b,use_c"
get '/api/flame?weight=allocs&alloc_fn=x*' >/dev/null
expect_eq "api flame alloc_fn=x*: no wrapper node, total unchanged" \
	"$(jq '[.. | objects | select(.name? | tostring | test("^x(malloc|calloc)"))] | length' "$T/body") $(jq .value "$T/body")" "0 24"
for s in $A1_SITES; do
	expect_eq "api site id=$s alloc_fn=xmalloc: A1's site" \
		"$(get "/api/site?id=$s&alloc_fn=xmalloc") $(jq -r '"\(.site.allocs) \(.site.sites)"' "$T/body")" "200 5 2"
done
expect_eq "api alloc_fn= (empty): 400" "$(get '/api/sites?alloc_fn=')" 400
expect_eq "api alloc_fn=a,,b: 400 saying why" "$(get '/api/sites?alloc_fn=a,,b') $(jq -r .error "$T/body" | cut -c1-39)" \
	"400 alloc_fn: comma-separated glob patterns"
kill "$SPID"
wait "$SPID" 2>/dev/null

# --- sqlite3: sqlite3Malloc (exported, named; the static function below it, which calls malloc,
# has no symbol in Debian's library) is detected, and its callers become the sites.
cat >"$T/work.sql" <<'EOF'
CREATE TABLE t(a, b);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)
INSERT INTO t SELECT x, hex(randomblob(50)) FROM c;
CREATE INDEX i ON t(b);
SELECT count(*) FROM t WHERE b > 'A';
EOF
"$HS" record -o "$T/sq.db" -- sqlite3 :memory: <"$T/work.sql" >/dev/null 2>>"$T/rec.err"
expect_eq "record sqlite3: exit status" "$?" 0
rep "$T/sq.db" --format json --view summary,sites >"$T/sq_raw.json"
rep "$T/sq.db" --format json --view summary,sites,advice --alloc-fn auto >"$T/sq_auto.json"
expect_eq "sqlite3 auto: sqlite3Malloc detected" \
	"$(jq -r '.summary.alloc_fns.detected | index("sqlite3Malloc") != null' "$T/sq_auto.json")" true
expect_eq "sqlite3 auto: counts unchanged" \
	"$(jq -r '"\(.summary.allocs) \([.sites[].allocs]|add)"' "$T/sq_auto.json")" \
	"$(jq -r '"\(.summary.allocs) \([.sites[].allocs]|add)"' "$T/sq_raw.json")"
expect_eq "sqlite3 auto: no site's stack starts at or below sqlite3Malloc" \
	"$(jq '[.sites[] | select(.frames[0:2] | map(.function) | index("sqlite3Malloc"))] | length' "$T/sq_auto.json")" 0
expect_ge "sqlite3 raw: most allocations pass sqlite3Malloc (frame 1)" \
	"$(jq '[.sites[] | select(.frames[1].function == "sqlite3Malloc") | .allocs] | add' "$T/sq_raw.json")" 5000
rep "$T/sq.db" --format json --view advice >"$T/sq_advice.json"
expect_eq "sqlite3 advice: sqlite3Malloc suggested as a wrapper" \
	"$(jq -r '[.advice[] | select(.kind == "alloc_wrapper") | .evidence | split(" ")[0]] | index("sqlite3Malloc") != null' "$T/sq_advice.json")" true

[ -s "$T/rep.err" ] && sed 's/^/# report stderr: /' "$T/rep.err" | head -5
finish

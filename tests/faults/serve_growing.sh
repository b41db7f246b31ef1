#!/usr/bin/env bash
# `serve` on a file still being written: `record -o F -- churn 5` while `serve -d F` answers
# /api/summary, /api/sites and /api/timeline, three at a time, over and over: every answer 200
# and valid JSON, the counts never go back (summary allocs, the sites' allocs, the timeline's
# points), summary.live true while the recorder runs and false with end_reason exited once it
# ended, the final counts those of the file.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/integration/record.bash"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

db=$T/growing.db
"$HS" record -o "$db" -- "$PROGS/churn" 4 >/dev/null 2>"$T/rec.err" &
rec=$!
PIDS+=("$rec")
wait_for "recorder started" 30 grep -q '^heapscope: recording pid' "$T/rec.err"
"$HS" serve -d "$db" --port 0 >"$T/serve.out" 2>"$T/serve.err" &
srv=$!
PIDS+=("$srv")
wait_for "serve prints its URL" 10 grep -q '^http://' "$T/serve.out"
url=$(head -1 "$T/serve.out")
url=${url%/}

# poll N: the three routes at once into $T/N.{summary,sites,timeline}, codes into $T/N.codes.
poll() {
	local r
	for r in summary sites timeline; do
		curl -s --max-time 10 -o "$T/$1.$r" -w "$r %{http_code}\n" "$url/api/$r" >>"$T/$1.codes" &
	done
	wait "${!}" 2>/dev/null
	while [ "$(wc -l <"$T/$1.codes")" -lt 3 ]; do sleep 0.01; done
}

n=0 bad=0 back=0 live_seen=0 prev_allocs=0 prev_sites=0 prev_points=0 rounds_live=0
while :; do
	running=0
	kill -0 "$rec" 2>/dev/null && running=1
	n=$((n + 1))
	poll "$n"
	bad=$((bad + $(grep -vc ' 200$' "$T/$n.codes")))
	read -r live allocs < <(jq -r '"\(.live) \(.allocs)"' "$T/$n.summary" 2>/dev/null || echo "x x")
	sites=$(jq '[.sites[].allocs] | add // 0' "$T/$n.sites" 2>/dev/null || echo x)
	points=$(jq 'length' "$T/$n.timeline" 2>/dev/null || echo x)
	if ! [[ "$allocs$sites$points" =~ ^[0-9]+$ ]]; then
		not_ok "round $n: an answer is not the JSON expected: allocs '$allocs' sites '$sites' points '$points'"
		bad=$((bad + 1))
	elif [ "$allocs" -lt "$prev_allocs" ] || [ "$sites" -lt "$prev_sites" ] || [ "$points" -lt "$prev_points" ]; then
		back=$((back + 1))
		echo "# round $n went back: allocs $prev_allocs -> $allocs, sites $prev_sites -> $sites, points $prev_points -> $points"
	fi
	[[ "$allocs" =~ ^[0-9]+$ ]] && prev_allocs=$allocs
	[[ "$sites" =~ ^[0-9]+$ ]] && prev_sites=$sites
	[[ "$points" =~ ^[0-9]+$ ]] && prev_points=$points
	[ "$live" = true ] && live_seen=$((live_seen + 1))
	[ "$running" = 1 ] && [ "$live" = true ] && rounds_live=$((rounds_live + 1))
	[ "$running" = 0 ] && break
	[ $n -ge 2000 ] && break
done
wait_child "recorder" 30 "$rec"
expect_eq "recorder exit status" "$rc" 0
echo "# $n rounds of 3 requests, $live_seen answered live"
expect_eq "every answer 200 and JSON ($((3 * n)) requests)" "$bad" 0
expect_eq "counts never went back" "$back" 0
expect_ge "live seen while recording (several rounds)" "$rounds_live" 2
final=$(curl -s --max-time 10 "$url/api/summary")
expect_eq "after the end: not live, exited" "$(jq -r '"\(.live) \(.end_reason)"' <<<"$final")" "false exited"
expect_eq "after the end: the file's allocation count" "$(jq .allocs <<<"$final")" \
	"$(q "$db" 'SELECT count(*) FROM allocations')"
expect_eq "after the end: sites' allocs add up" \
	"$(curl -s --max-time 10 "$url/api/sites" | jq '[.sites[].allocs] | add')" \
	"$(q "$db" 'SELECT count(*) FROM allocations')"
expect_eq "serve still alive" "$(kill -0 "$srv" 2>/dev/null && echo yes)" yes
kill "$srv"
finish

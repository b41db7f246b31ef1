#!/usr/bin/env bash
# The server under concurrent requests (one thread per connection): many /api/sites requests at
# once, with different sort keys, orders and groupings, each answered exactly as the same request
# alone and sorted by its own key (the sort once kept its key in file-level state, shared by
# every thread).
. "$(dirname "$0")/../lib.sh"

SPID=""
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT

# A recording with many sites: several test programs in one process tree.
db=$T/many.db
"$HS" record -o "$db" -- sh -c "$PROGS/patterns; $PROGS/leaks3 0; $PROGS/threads4; $PROGS/cxx_new; \
	$PROGS/realloc_chain; $PROGS/lifetimes" >/dev/null 2>"$T/rec.err"
expect_eq "recording of 6 programs: exit status" "$?" 0
expect_ge "recording: sites" "$(q "$db" "SELECT count(*) FROM site_stats")" 30

"$HS" serve -d "$db" --port 0 >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
wait_for "serve prints its URL" 10 grep -q '^http://' "$T/serve.out"
URL=$(head -1 "$T/serve.out")
URL=${URL%/}

KEYS=(bytes allocs frees live_blocks live_bytes peak_live_bytes min_size max_size avg_size
	lifetime_p50_ns lifetime_p99_ns alloc_time_p50_ns sites)
GROUPS_=(stack function file)
ORDERS=(desc asc)

# Every combination once, alone: the reference answers.
: >"$T/queries"
for k in "${KEYS[@]}"; do
	for g in "${GROUPS_[@]}"; do
		for o in "${ORDERS[@]}"; do
			echo "sort=$k&group=$g&order=$o&limit=10000" >>"$T/queries"
		done
	done
done
n=0
while read -r qs; do
	n=$((n + 1))
	curl -s --max-time 20 -o "$T/ref.$n" "$URL/api/sites?$qs"
done <"$T/queries"
expect_eq "reference answers: one per combination" "$n" $((${#KEYS[@]} * 3 * 2))

# All of them again, 4 times over, in a shuffled order, 24 connections at a time.
for round in 1 2 3 4; do
	seq "$n" | sed "s/$/ $round/"
done | shuf >"$T/order"
pids=()
while read -r i round; do
	qs=$(sed -n "${i}p" "$T/queries")
	curl -s --max-time 30 -o "$T/got.$i.$round" "$URL/api/sites?$qs" &
	pids+=("$!")
	if [ "${#pids[@]}" = 24 ]; then
		wait "${pids[@]}" # not the server's
		pids=()
	fi
done <"$T/order"
[ "${#pids[@]}" = 0 ] || wait "${pids[@]}"

# Each answer equals its reference, and is sorted by its own key in its own order.
differ=0 unsorted=0 missing=0 firstbad=""
for ((i = 1; i <= n; i++)); do
	qs=$(sed -n "${i}p" "$T/queries")
	key=${qs#sort=}
	key=${key%%&*}
	order=${qs#*order=}
	order=${order%%&*}
	sorted=$(jq --arg k "$key" --arg o "$order" '[.sites[][$k]] as $v |
		($v | if $o == "asc" then . == sort else . == (sort | reverse) end) and ($v | length > 0)' \
		"$T/ref.$i" 2>/dev/null)
	[ "$sorted" = true ] || { unsorted=$((unsorted + 1)); firstbad=${firstbad:-"reference $qs"}; }
	for round in 1 2 3 4; do
		if [ ! -s "$T/got.$i.$round" ]; then
			missing=$((missing + 1))
		elif ! cmp -s "$T/ref.$i" "$T/got.$i.$round"; then
			differ=$((differ + 1))
			firstbad=${firstbad:-"$qs (round $round)"}
		fi
	done
done
expect_eq "$((n * 4)) concurrent answers: none missing" "$missing" 0
expect_eq "each concurrent answer equals the same request alone" "$differ" 0
expect_eq "each answer sorted by its own key and order" "$unsorted" 0
[ -n "$firstbad" ] && echo "# first bad: $firstbad"
kill -TERM "$SPID"
wait "$SPID"
expect_eq "serve: exit status 0 after SIGTERM" "$?" 0
SPID=""
finish

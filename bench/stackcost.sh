#!/usr/bin/env bash
# What full stacks cost (issue 11): per workload, wall time bare / under the benchmark floor /
# recorded with --stack=dwarf and --stack=caller, and the BPF time per probe run (bpf_stats) with
# the mean stack depth, so ns per frame. Prints; never fails on a figure.
#
# usage: bench/stackcost.sh [WORKLOAD...]   (allocbench sqlite cc1 python; default all)
# Knobs: STACKCOST_RUNS (3), STACKCOST_MODES ("dwarf caller"), STACKCOST_FLOOR (1: also run
# bare and floor), STACKCOST_BASE (another heapscope binary, e.g. a build before a change: its
# dwarf mode runs interleaved as config "base").
set -u
cd "$(dirname "$0")/.."

BUILD=build
HS=$BUILD/heapscope
AB=$BUILD/bench/allocbench
FLOOR=$BUILD/bench/floor
RUNS=${STACKCOST_RUNS:-3}
MODES=${STACKCOST_MODES:-dwarf caller}
WITH_FLOOR=${STACKCOST_FLOOR:-1}
CC1=$(gcc -print-prog-name=cc1)
PY=/usr/bin/python3

[ "$(id -u)" = 0 ] || { echo "stackcost: BPF needs root" >&2; exit 1; }
for bin in "$HS" "$AB" "$FLOOR"; do
	[ -x "$bin" ] || { echo "stackcost: $bin is missing: run make bench-bins" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/heapscope-stackcost.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cp "$HS" "$TMP/heapscope" && HS=$TMP/heapscope
BASE=${STACKCOST_BASE:-}
[ -z "$BASE" ] || { cp "$BASE" "$TMP/heapscope.base" && BASE=$TMP/heapscope.base; }

# cc1's input: one preprocessed translation unit of this tree.
gcc -E -I. -I$BUILD -D_GNU_SOURCE agent/cfi.c -o "$TMP/cc1_input.i" 2>/dev/null
# Python: recursion 40 deep around small allocations (deep interpreter stacks).
cat >"$TMP/deep.py" <<'EOF'
def down(n):
    if n == 0:
        return [str(i) * 3 for i in range(200)]
    return down(n - 1)
for _ in range(400):
    down(40)
EOF

# The command of a workload; stdin from $TMP/stdin.$1.
workload() {
	case $1 in
	allocbench) echo "$AB --ops 2000000 --threads 1" ;;
	sqlite) echo "sqlite3 :memory:" ;;
	cc1) echo "$CC1 -quiet -O2 $TMP/cc1_input.i -o $TMP/cc1.s" ;;
	python) echo "$PY $TMP/deep.py" ;;
	esac
}
stdin_of() { [ "$1" = sqlite ] && echo bench/sqlite_workload.sql || echo /dev/null; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "NA" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b + 0 == 0) print "NA"; else printf "%.2f\n", a / b }'; }

# One run: $1 workload, $2 config (bare, floor, dwarf, caller). Appends wall seconds (allocbench:
# seconds per 1e6 ops from its own timing) and, traced, BPF figures.
one_run() {
	local w=$1 cfg=$2 cmd in t0 t1 log=$TMP/log.$1.$2 secs ops
	cmd=$(workload "$w")
	in=$(stdin_of "$w")
	rm -f "$TMP"/r.db*
	t0=$(date +%s%N)
	case $cfg in
	bare) $cmd <"$in" >"$log.out" 2>"$log.err" ;;
	floor) "$FLOOR" "$TMP/ref.$w.db" -- $cmd <"$in" >"$log.out" 2>"$log.err" ;;
	*) sysctl -qw kernel.bpf_stats_enabled=1 # others' scripts may turn it off meanwhile
		local bin=$HS mode=$cfg
		[ "$cfg" = base ] && bin=$BASE mode=dwarf
		"$bin" record --stack="$mode" -o "$TMP/r.db" -- $cmd <"$in" >"$log.out" 2>"$log.err" ;;
	esac
	t1=$(date +%s%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
	if [ "$w" = allocbench ]; then
		ops=$(sed -n 's/.*"ops_per_sec":\([0-9.]*\).*/\1/p' "$log.out" | tail -1)
		secs=$(awk -v o="${ops:-0}" 'BEGIN { if (o > 0) printf "%.4f", 1e6 / o; else print "NA" }')
	fi
	case $cfg in bare | floor) echo "$w $cfg $secs" >>"$TMP/times"; return ;; esac
	# Traced: the target's own life (the recorder's start and end are not its cost).
	[ "$w" = allocbench ] || secs=$(sqlite3 "$TMP/r.db" \
		"SELECT printf('%.4f', (max(end_ts) - min(start_ts)) / 1e9) FROM processes")
	echo "$w $cfg $secs" >>"$TMP/times"
	[ -f "$TMP/ref.$w.db" ] || cp "$TMP/r.db" "$TMP/ref.$w.db"
	sqlite3 -separator ' ' "$TMP/r.db" "
		SELECT '$w', '$cfg', p.name, p.run_time_ns * 1.0 / p.runs, p.runs,
		  CASE p.name WHEN 'alloc_enter' THEN
		    (SELECT avg(s.depth) FROM allocations a JOIN stacks s ON s.id = a.site)
		  ELSE (SELECT avg(s.depth) FROM allocations a JOIN stacks s ON s.id = a.free_site) END
		FROM bpf_programs p WHERE p.runs > 0 AND p.name IN ('alloc_enter', 'free_enter')" \
		>>"$TMP/bpf" 2>>"$log.err"
}

sysctl -qw kernel.bpf_stats_enabled=1
WORKLOADS=${*:-allocbench sqlite cc1 python}
: >"$TMP/times"
: >"$TMP/bpf"
for w in $WORKLOADS; do
	# A caller-mode reference recording gives the floor its probe sites.
	"$HS" record --stack=caller -o "$TMP/ref.$w.db" -- $(workload "$w") <"$(stdin_of "$w")" \
		>/dev/null 2>&1
	for ((i = 1; i <= RUNS; i++)); do
		cfgs=$MODES
		[ -n "$BASE" ] && cfgs="base $cfgs"
		[ "$WITH_FLOOR" = 1 ] && cfgs="bare floor $cfgs"
		for cfg in $cfgs; do
			one_run "$w" "$cfg"
			printf '  %-10s %-6s run %d\n' "$w" "$cfg" "$i" >&2
		done
	done
done

med_t() { awk -v w="$1" -v c="$2" '$1 == w && $2 == c && $3 != "NA" { print $3 }' "$TMP/times" | median; }
med_b() { awk -v w="$1" -v c="$2" -v p="$3" -v f="$4" '$1 == w && $2 == c && $3 == p { printf "%.1f\n", $f }' "$TMP/bpf" | median; }
echo "heapscope stack cost ($(uname -r), $(nproc) CPUs; median of $RUNS runs;" \
	"allocbench time = s per 1e6 ops;" \
	"ns/frame = (ns per run - caller mode's) / (depth - 1))"
for w in $WORKLOADS; do
	echo "== $w: $(workload "$w" | sed "s|$TMP/||g")"
	floor=$(med_t "$w" floor)
	for cfg in bare floor base $MODES; do
		t=$(med_t "$w" "$cfg")
		[ "$t" = NA ] && continue
		line=$(printf '  %-7s %9s s' "$cfg" "$t")
		case $cfg in bare | floor) echo "$line"; continue ;; esac
		line="$line  ÷ floor $(ratio "$t" "$floor")"
		for p in alloc_enter free_enter; do
			ns=$(med_b "$w" "$cfg" $p 4)
			d=$(med_b "$w" "$cfg" $p 6)
			c=$(med_b "$w" caller $p 4)
			line="$line | $p $ns ns, depth $d, $(awk -v n="$ns" -v d="$d" -v c="$c" 'BEGIN {
				if (d > 1 && c != "NA") printf "+%.1f", (n - c) / (d - 1); else print "NA" }') ns/frame"
		done
		echo "$line"
	done
done

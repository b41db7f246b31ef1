#!/usr/bin/env bash
# Full stacks through Debian's own binaries, which keep almost no frame pointers: sqlite3 and
# python3 recorded with the default --stack=dwarf, where at least 95% of the allocations have a
# stack down to _start or the thread's start, and gdb's backtraces of the same program's malloc
# calls (tests/integration/gdb_malloc_stacks.py) are, frame for frame by name, what heapscope saw.

# Each program runs twice (under heapscope, under gdb) and must do the same both times: this
# environment and nothing else, for the test, the recorder, gdb and the programs.
[ "${HS_DEBIAN_ENV:-}" = 1 ] ||
	exec env -i HS_DEBIAN_ENV=1 PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent LANG=C.UTF-8 \
		bash "$0" "$@"
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

SQLITE=/usr/bin/sqlite3
PY=$(readlink -f /usr/bin/python3) # /usr/bin/python3.11 on Debian 12, not a shim from PATH
GDB_PY=$TOP/tests/integration/gdb_malloc_stacks.py
missing=
for tool in "$SQLITE" "$PY" /usr/bin/gdb /usr/bin/nm; do
	[ -x "$tool" ] || missing="$missing ${tool##*/}"
done
if [ -n "$missing" ]; then
	not_ok "missing:$missing: this test runs Debian's sqlite3 and python3, and gdb (make deps)"
	finish
	exit
fi

# The programs' work. sqlite3: a few thousand rows from a recursive CTE, an index, queries.
cat >"$T/work.sql" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000)
INSERT INTO t SELECT x, 'name-' || x || '-' || hex(randomblob(8)), x * 1.5 FROM c;
CREATE INDEX t_name ON t(name);
SELECT 'rows', count(*) FROM t;
SELECT count(*), sum(v) FROM t WHERE name LIKE 'name-1%';
SELECT substr(name, 1, 7) AS p, count(*) FROM t GROUP BY p ORDER BY 2 DESC, 1 LIMIT 3;
SELECT length(group_concat(name)) FROM (SELECT name FROM t ORDER BY name LIMIT 500);
EOF
# python3: lists, dicts, strings (600 bytes: past pymalloc, so from malloc), a class, calls a
# few levels deep, in the main thread and in a second one.
cat >"$T/work.py" <<'EOF'
import threading


class Node:
    def __init__(self, key, depth):
        self.key = key
        self.attrs = {"name": key * 4, "depth": depth, "tags": [key + str(i) for i in range(8)]}
        self.children = []


def build(key, depth):
    node = Node(key, depth)
    if depth:
        for i in range(3):
            node.children.append(build("%s.%d" % (key, i), depth - 1))
    return node


def words(n):
    return ["w%05d" % i * 100 for i in range(n)]


def table(n):
    return {i: words(i % 10) for i in range(n)}


def tables(n):
    return [table(n) for _ in range(4)]


def worker(out):
    out.append(tables(150))
    out.append(build("t", 4))


out = []
t = threading.Thread(target=worker, args=(out,))
t.start()
tree = build("m", 5)
data = tables(200)
blob = "-".join(str(i) for i in range(20000))
t.join()
print(len(out), len(data), len(tree.children), len(blob))
EOF
SQLITE_CMD=("$SQLITE" -batch "$T/work.db")
PY_CMD=("$PY" -I -S "$T/work.py")

# share NAME DB: the share of the allocations whose stack is complete, with the mean depth.
share() {
	local counts n complete pct depth
	counts=$(q "$2" "SELECT count(*), ifnull(sum(s.walk_end = 'complete'), 0),
	  printf('%.1f', 100.0 * sum(s.walk_end = 'complete') / count(*)), printf('%.1f', avg(s.depth))
	  FROM allocations a LEFT JOIN stacks s ON s.id = a.site")
	IFS='|' read -r n complete pct depth <<<"$counts"
	echo "# $1: $complete of $n allocations ($pct%) have a complete stack; mean depth $depth frames"
	echo "# $1: stacks end: $(q "$2" "SELECT group_concat(walk_end || ' ' || n, ', ') FROM (SELECT
	  ifnull(s.walk_end, 'none') AS walk_end, count(*) AS n
	  FROM allocations a LEFT JOIN stacks s ON s.id = a.site
	  GROUP BY 1 ORDER BY 2 DESC)")"
	expect_ge "$1: allocations recorded" "${n:-0}" 1000
	expect_ge "$1: at least 95% of the allocations' stacks reach _start or a thread's start" \
		"$((${complete:-0} * 100))" "$((${n:-0} * 95))"
}

# symbols DB: the function symbols of the recording's modules (and of their separate debug
# files, found by build id) as module, name (without a version), address: a function's aliases
# (__libc_malloc, malloc) share an address, and gdb names a frame from the debug info where
# heapscope takes an ELF symbol.
symbols() {
	local path id f
	q "$1" "SELECT path, ifnull(build_id, '') FROM modules WHERE path LIKE '/%'" |
		while IFS='|' read -r path id; do
			for f in "$path" "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"; do
				[ -f "$f" ] || continue
				{ nm --defined-only "$f"; nm -D --defined-only "$f"; } 2>/dev/null |
					awk -v m="$path" 'NF == 3 && $2 ~ /^[TtWwi]$/ {
						sub(/@.*/, "", $3); printf "%s\037%s\037%s\036", m, $3, $1 }'
			done
		done
}

# compare NAME DB GDBFILE: gdb's distinct sampled stacks against heapscope's stacks of the same
# allocator (malloc's, but realloc's for malloc called by realloc(NULL, n), as heapscope records
# it). Each frame's name is replaced by its module's canonical alias (the least name at its
# address, where the name has one address there) and "??" stands for no name on both sides; a
# gdb stack of N frames is found when some heapscope stack's first N frames have those names
# (gdb stops at main where it knows main; heapscope goes on to _start). Prints
# "distinct|found|samples|samples_found|threads" (threads: stacks found through start_thread),
# then up to 5 stacks not found as comments, each with the heapscope stack agreeing longest.
compare() {
	symbols "$2" >"$T/$1.syms"
	sqlite3 -batch -noheader "$T/$1.cmp.db" <<EOF
ATTACH '$2' AS r;
CREATE TABLE sym(module TEXT, name TEXT, addr TEXT);
CREATE TABLE g(sample INTEGER, func TEXT, pos INTEGER, name TEXT, module TEXT);
.mode ascii
.import '$T/$1.syms' sym
.import '$3' g
.mode list
.separator "|" "\n"
CREATE INDEX sym_addr ON sym(module, addr);
CREATE TABLE canon(module TEXT, name TEXT, canon TEXT, PRIMARY KEY(module, name));
INSERT INTO canon SELECT s.module, s.name,
  (SELECT min(t.name) FROM sym t WHERE t.module = s.module AND t.addr = s.addr)
  FROM (SELECT module, name, min(addr) AS addr FROM sym GROUP BY module, name
    HAVING count(DISTINCT addr) = 1) s;
CREATE TABLE gf(sample INTEGER, func TEXT, pos INTEGER, name TEXT, module TEXT, cname TEXT,
  PRIMARY KEY(sample, pos));
INSERT INTO gf SELECT sample, func, pos, name, module,
  ifnull((SELECT canon FROM canon c WHERE c.module = g.module AND c.name = g.name), name) FROM g;
CREATE TABLE hf(func TEXT, site INTEGER, pos INTEGER, name TEXT, module TEXT, addr INTEGER,
  cname TEXT, PRIMARY KEY(func, site, pos));
INSERT INTO hf SELECT fn.name, f.site, f.pos, ifnull(f.function, '??'), ifnull(f.module, '??'),
  f.addr, ifnull((SELECT canon FROM canon c WHERE c.module = f.module AND c.name = f.function),
    ifnull(f.function, '??'))
  FROM (SELECT DISTINCT func, site FROM r.allocations) a JOIN r.funcs fn ON fn.id = a.func
  JOIN r.site_frames f ON f.site = a.site;
CREATE TABLE gs AS SELECT DISTINCT sample, func, group_concat(cname, char(9)) OVER w AS s,
  group_concat(name, ' < ') OVER w AS shown, count(*) OVER w AS n
  FROM gf WINDOW w AS (PARTITION BY sample ORDER BY pos
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);
CREATE TABLE hs AS SELECT DISTINCT func, site, group_concat(cname, char(9)) OVER w AS s
  FROM hf WINDOW w AS (PARTITION BY func, site ORDER BY pos
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);
CREATE TABLE gd AS SELECT func, s, min(sample) AS sample, count(*) AS samples, min(n) AS n,
  max(instr(shown, 'start_thread') > 0) AS thread,
  EXISTS (SELECT 1 FROM hs WHERE hs.func = gs.func AND (hs.s = gs.s OR
    substr(hs.s, 1, length(gs.s) + 1) = gs.s || char(9))) AS found
  FROM gs GROUP BY func, s;
SELECT count(*), ifnull(sum(found), 0), ifnull(sum(samples), 0), ifnull(sum(found * samples), 0),
  ifnull(sum(found * thread), 0) FROM gd;
CREATE TABLE miss AS SELECT func, sample, samples, n FROM gd WHERE NOT found
  ORDER BY sample LIMIT 5;
CREATE TABLE best AS SELECT sample, site, max(k) AS k FROM (SELECT m.sample, hs.site,
  ifnull((SELECT min(x.pos) FROM gf x LEFT JOIN hf y ON y.func = hs.func AND y.site = hs.site
    AND y.pos = x.pos WHERE x.sample = m.sample AND y.cname IS NOT x.cname), m.n) AS k
  FROM miss m JOIN hs ON hs.func = m.func)
  GROUP BY sample;
SELECT '#   gdb (' || m.func || ', ' || m.samples || ' samples): ' || gs.shown || char(10) ||
  '#   heapscope (site ' || b.site || ', ' || b.k || ' frames agree): ' ||
  (SELECT group_concat(name, ' < ') FROM (SELECT name FROM hf WHERE func = m.func AND site = b.site
    ORDER BY pos)) ||
  char(10) || '#     frame ' || b.k || ': gdb ' || ifnull((SELECT name || ' in ' || module FROM gf
    WHERE sample = m.sample AND pos = b.k), '(none)') || ', heapscope ' ||
  ifnull((SELECT name || ' in ' || module || printf(' at 0x%x', addr) FROM hf
    WHERE func = m.func AND site = b.site AND pos = b.k), '(none)')
  FROM miss m JOIN gs ON gs.sample = m.sample JOIN best b ON b.sample = m.sample ORDER BY m.sample;
EOF
}

# check_gdb NAME DB FIRST EVERY CAP CMD...: runs CMD (reading $T/NAME.in) under gdb, sampling
# its malloc calls (the first FIRST, then every EVERY-th, CAP in all), and holds the sampled
# stacks against the recording DB of the same command. Sets $threads (see compare).
check_gdb() {
	local name=$1 db=$2 first=$3 every=$4 cap=$5 summary distinct found samples samples_found
	shift 5
	rm -f "$T/work.db"
	timeout -k 5 60 gdb -batch -nx -x "$GDB_PY" -ex "malloc-stacks $T/$name.gdb $first $every $cap" \
		--args "$@" <"$T/$name.in" >"$T/$name.gdb.out" 2>&1
	rc=$?
	summary=$(grep -a '^malloc-stacks: ' "$T/$name.gdb.out")
	echo "# $name under gdb: ${summary#malloc-stacks: } (gdb exit $rc)"
	if ! expect_match "$name: gdb ran the program to its end, sampling its malloc calls" \
		"$summary" "^malloc-stacks: hits [0-9]+ samples [0-9]+ exit 0$"; then
		sed "s/^/#   gdb: /" "$T/$name.gdb.out" | grep -av '^#   gdb: Stopped\|^#   gdb:     /' | tail -20
		return 1
	fi
	samples=${summary#* samples }
	expect_ge "$name: gdb sampled at least $((cap / 3)) malloc calls" "${samples%% *}" $((cap / 3))
	compare "$name" "$db" "$T/$name.gdb" >"$T/$name.cmp" 2>&1
	IFS='|' read -r distinct found samples samples_found threads <"$T/$name.cmp"
	if ! [[ "$distinct|$found|$threads" =~ ^[0-9]+\|[0-9]+\|[0-9]+$ ]]; then
		not_ok "$name: the comparison with gdb failed:"
		sed 's/^/#   /' "$T/$name.cmp" | head -20
		return 1
	fi
	echo "# $name: $found of $distinct distinct gdb stacks found in heapscope's" \
		"($samples_found of $samples sampled calls; $threads of the stacks found from a second thread)"
	tail -n +2 "$T/$name.cmp"
	expect_ge "$name: gdb's stacks compared" "$distinct" 20
	expect_ge "$name: at least 95% of gdb's distinct malloc stacks are heapscope's too" \
		"$((found * 100))" "$((distinct * 95))"
}

# --- sqlite3, without frame pointers and without symbols for its static functions.
cp "$T/work.sql" "$T/sqlite.in"
rm -f "$T/work.db"
record sqlite -o "$T/sqlite.db" -- "${SQLITE_CMD[@]}" <"$T/sqlite.in"
expect_eq "sqlite: exit status" "$rc" 0
expect_eq "sqlite: the script ran" "$(head -1 "$T/sqlite.out")" "rows|5000"
if db_ok sqlite "$T/sqlite.db"; then
	share sqlite "$T/sqlite.db"
	check_gdb sqlite "$T/sqlite.db" 1000 20 3000 "${SQLITE_CMD[@]}"
fi

# --- python3: the interpreter's C stacks under Python code, in two threads.
: >"$T/python.in"
record python -o "$T/python.db" -- "${PY_CMD[@]}" <"$T/python.in"
expect_eq "python: exit status" "$rc" 0
expect_eq "python: the script ran" "$(cat "$T/python.out")" "2 4 3 108889"
if db_ok python "$T/python.db"; then
	share python "$T/python.db"
	expect_ge "python: allocations by the second thread" \
		"$(q "$T/python.db" "SELECT count(DISTINCT tid) FROM allocations")" 2
	check_gdb python "$T/python.db" 1000 4 3000 "${PY_CMD[@]}" &&
		expect_ge "python: the second thread's stacks among them" "$threads" 1
fi

finish

# Helpers for the record tests, sourced after tests/lib.sh (named .bash so run.sh does not run it).

# record NAME ARGS...: runs `heapscope record ARGS...` with a deadline. Its stdout and stderr go
# to $T/NAME.out and $T/NAME.err (shown as comments), its exit status to $rc.
record() {
	local name=$1
	shift
	timeout -k 5 "${RECORD_TIMEOUT:-120}" "$HS" record "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	if [ "$rc" = 124 ]; then echo "# $name: heapscope record killed after ${RECORD_TIMEOUT:-120}s"; fi
	sed "s/^/#   $name stderr: /" "$T/$name.err" | head -20
}

# db_ok NAME DB: the file exists, passes PRAGMA integrity_check and has its recording row.
db_ok() {
	local ic
	if [ ! -s "$2" ]; then
		not_ok "$1: no recording at $2"
		return 1
	fi
	ic=$(q "$2" "PRAGMA integrity_check" 2>&1)
	if [ "$ic" != ok ]; then
		not_ok "$1: integrity_check of $2: $ic"
		return 1
	fi
	expect_eq "$1: one recording row" "$(q "$2" "SELECT count(*) FROM recording" 2>&1)" 1
}

# Temp views over a recording (created per query, the file is not modified):
#   a: allocations plus fn / free_fn = innermost function of the allocation's / the free's stack,
#      module = the module of the allocation's innermost frame;
#   e: errors plus fn = innermost function of the bad free, prev_fn = of the first free.
VIEWS="CREATE TEMP VIEW a AS SELECT x.*,
  (SELECT function FROM site_frames s WHERE s.site = x.site AND s.pos = 0) AS fn,
  (SELECT function FROM site_frames s WHERE s.site = x.free_site AND s.pos = 0) AS free_fn,
  (SELECT module FROM site_frames s WHERE s.site = x.site AND s.pos = 0) AS module
  FROM allocations x;
CREATE TEMP VIEW e AS SELECT x.*,
  (SELECT function FROM site_frames s WHERE s.site = x.site AND s.pos = 0) AS fn,
  (SELECT function FROM site_frames s WHERE s.site = x.prev_free_site AND s.pos = 0) AS prev_fn
  FROM errors x;"

# qa DB SQL: q with the views above.
qa() { q "$1" "$VIEWS $2"; }

# Live rows and bytes at the end, as "blocks|bytes".
LIVE="SELECT count(*), ifnull(sum(size), 0) FROM allocations WHERE free_ts IS NULL"

# dead PID: true once PID is gone (bash reaps its own children as they exit).
dead() { ! kill -0 "$1" 2>/dev/null; }

# stderr_has FILE REGEX: true once FILE has a line matching REGEX.
stderr_has() { grep -qE "$2" "$1"; }

# wait_child NAME TIMEOUT PID: waits for a background child of this shell with a deadline and
# puts its exit status in $rc; past the deadline it is killed (rc = 124).
wait_child() {
	if wait_for "$1 exits" "$2" dead "$3"; then
		wait "$3"
		rc=$?
	else
		kill -KILL "$3" 2>/dev/null
		wait "$3" 2>/dev/null
		rc=124
	fi
}

# line_of FILE TEXT: the number of the first line of FILE containing TEXT.
line_of() { grep -nF -- "$2" "$1" | head -1 | cut -d: -f1; }

# Background processes a test starts ($target, $rec, $child) are killed when it exits, even
# on a failure, and $T is removed. Tests that start some: trap kill_background EXIT.
kill_background() {
	for p in ${target:-} ${rec:-} ${child:-}; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}

# start_target NAME READY_REGEX PROGRAM ARGS...: starts PROGRAM in the background (pid in
# $target, output in $T/NAME.target) and waits for a line matching READY_REGEX.
start_target() {
	local name=$1 ready=$2 prog=$3
	shift 3
	"$prog" "$@" >"$T/$name.target" 2>&1 &
	target=$!
	wait_for "$name: target ready" 10 grep -q "$ready" "$T/$name.target"
}

# start_record NAME ARGS...: attaches to $target in the background (pid in $rec; the file is
# $T/NAME.db) and waits for the "recording pid" line. Background jobs of a script ignore
# SIGINT: env restores it.
start_record() {
	local name=$1
	shift
	env --default-signal=INT "$HS" record -p "$target" -o "$T/$name.db" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	rec=$!
	wait_for "$name: recorder attached" 30 stderr_has "$T/$name.err" "^heapscope: recording pid $target"
}

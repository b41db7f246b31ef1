#!/usr/bin/env bash
# The reachability scan: exact verdicts on programs of known truth, equal to Valgrind memcheck's
# (--leak-check=full --show-leak-kinds=all) on the same programs; a live multi-threaded target
# scanned while recording (unharmed, stop time printed); the live file served, its held and leak
# ages within [0, its extent so far]; attached after old blocks were made, the new blocks only they
# hold still reachable; --scan-at-end at a launched command's exit; the target left
# running when the recorder is SIGKILLed mid-scan.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"
stuck=
trap 'kill_background; [ -z "$stuck" ] || kill "$stuck" 2>/dev/null' EXIT
# Our recorders' sockets only: other test runs' recorders (and their stale sockets) are not asked.
export HEAPSCOPE_RUN_DIR="$T/run"

if ! command -v valgrind >/dev/null; then
	not_ok "valgrind is not installed (make deps)"
	finish
	exit
fi

# The verdicts of our functions (mk_*), one line per function and verdict: fn|verdict|blocks|bytes.
ours() {
	qa "$1" "SELECT fn, (SELECT name FROM reach_kinds WHERE id = a.reach), count(*), sum(size)
		 FROM a WHERE free_ts IS NULL AND fn LIKE 'mk\_%' ESCAPE '\\' GROUP BY 1, 2 ORDER BY 1, 2"
}

# The same from memcheck's loss records (the first leak check of the log): the innermost mk_
# function of each record's stack, its direct bytes.
memcheck_ours() {
	python3 - "$1" <<'PY'
import re, sys
rec, out = None, {}
for line in open(sys.argv[1]):
    if 'LEAK SUMMARY' in line:
        break
    m = re.search(r'([\d,]+)(?: \(([\d,]+) direct, [\d,]+ indirect\))? bytes in ([\d,]+) blocks are '
                  r'(definitely lost|indirectly lost|possibly lost|still reachable)', line)
    if m:
        n = lambda s: int(s.replace(',', ''))
        rec = [n(m.group(2) or m.group(1)), n(m.group(3)), m.group(4), None]
        continue
    m = re.search(r'(?:at|by) 0x[0-9A-F]+: (mk_\w+)', line)
    if rec and m and rec[3] is None:
        rec[3] = m.group(1)
        k = (rec[3], rec[2])
        b = out.get(k, (0, 0))
        out[k] = (b[0] + rec[1], b[1] + rec[0])
for (fn, kind), (blocks, size) in sorted(out.items()):
    print('%s|%s|%d|%d' % (fn, kind, blocks, size))
PY
}

# live_ages NAME DB: DB, still being recorded, served: every held and leak row's age is within
# [0, the recording's extent so far] (its summary's duration, asked last: it only grows). The
# timeline lags the newest events (an idle target's last interval is never written): ages
# measured against it were negative.
live_ages() {
	local url f=$T/ages.${2##*/} # one name per file: a new server's output is not an old one's
	"$HS" serve -d "$2" --port 0 >"$f.out" 2>"$f.err" &
	child=$!
	if wait_for "$1: serve prints its URL" 10 grep -q '^http://' "$f.out"; then
		url=$(head -1 "$f.out")
		curl -s --max-time 20 "${url%/}/api/leaks?limit=0" >"$f.leaks"
		curl -s --max-time 20 "${url%/}/api/held?limit=0" >"$f.held"
		curl -s --max-time 20 "${url%/}/api/summary" >"$f.summary"
		expect_eq "$1: live, scanned, held and leak rows served" \
			"$(jq -r '"\(.live) \(.last_scan.scans > 0)"' "$f.summary") $(jq -s '.[0] + .[1] | length > 0' "$f.leaks" "$f.held")" \
			"true true true"
		expect_eq "$1: every held and leak row's age within [0, the extent so far]" \
			"$(jq -rs '.[2].duration_ns as $d | .[0] + .[1] | map(select(.oldest_age_ns < 0 or .oldest_age_ns > $d) | "\(.verdict) \(.oldest_age_ns) ns (extent \($d))") | join(", ")' \
				"$f.leaks" "$f.held" "$f.summary")" ""
	fi
	kill "$child" 2>/dev/null
	wait "$child" 2>/dev/null
	child=
}

TRUTH_WAIT="mk_child|still reachable|1|224
mk_global|still reachable|1|144
mk_holder|still reachable|1|32
mk_interior|possibly lost|1|256
mk_interior8|possibly lost|1|48
mk_length64|still reachable|1|96
mk_list_head|definitely lost|1|80
mk_list_node|indirectly lost|3|240
mk_newarray|still reachable|1|96
mk_overwritten|definitely lost|1|112
mk_register|still reachable|1|176
mk_stack|still reachable|1|160
mk_stdstring|still reachable|1|64
mk_thread_tls|still reachable|1|208
mk_tls|still reachable|1|192"

# --- memcheck on the same programs ----------------------------------------------------------
timeout 120 valgrind --leak-check=full --show-leak-kinds=all --log-file="$T/vg_wait.log" \
	"$PROGS/reach_truth" wait "$T/vg.ready" </dev/null >/dev/null 2>&1
expect_eq "memcheck, reach_truth wait: verdicts of the known blocks" "$(memcheck_ours "$T/vg_wait.log")" "$TRUTH_WAIT"
timeout 120 valgrind --leak-check=full --show-leak-kinds=all --log-file="$T/vg_exit.log" \
	"$PROGS/reach_truth" exit >/dev/null 2>&1
TRUTH_EXIT=$(echo "$TRUTH_WAIT" | grep -v 'mk_register\|mk_thread_tls')
expect_eq "memcheck, reach_truth exit: verdicts of the known blocks" "$(memcheck_ours "$T/vg_exit.log")" "$TRUTH_EXIT"

# --- heapscope scan -p during a recording of a launched command --------------------------------
mkfifo "$T/go"
exec 9<>"$T/go"
"$HS" record -d "$T/wait.db" -- "$PROGS/reach_truth" wait "$T/rt.ready" <"$T/go" >"$T/rec.out" 2>"$T/rec.err" &
rec=$!
if wait_for "reach_truth ready" 30 test -s "$T/rt.ready"; then
	pid=$(awk '{print $2}' "$T/rt.ready")
	"$HS" scan -p "$pid" >"$T/scan.out" 2>&1
	expect_eq "scan -p: exit status" "$?" 0
	expect_match "scan -p: stop time and verdicts printed" "$(cat "$T/scan.out")" \
		"stopped [0-9.]+ ms \(2 threads\).*definitely lost 2 blocks.*indirectly lost 3.*possibly lost 3.*still reachable 10"
	sed 's/^/#   /' "$T/scan.out"
	live_ages "scan -p, idle target" "$T/wait.db"
	printf x >&9
	wait_child record 30 "$rec"
	expect_eq "record of reach_truth: exit status" "$rc" 0
	expect_eq "scan -p: verdicts of the known blocks (= memcheck's)" "$(ours "$T/wait.db")" "$TRUTH_WAIT"
	expect_eq "scan -p: whole summary = memcheck's (its DTV block too)" \
		"$(q "$T/wait.db" "SELECT trigger, threads, definite_blocks, definite_bytes, indirect_blocks, indirect_bytes, possible_blocks, possible_bytes, reachable_blocks, reachable_bytes FROM scans")" \
		"request|2|$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes in \([0-9,]*\) blocks/\2|\1/p' "$T/vg_wait.log" | head -1 | tr -d ,)|$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes in \([0-9,]*\) blocks/\2|\1/p' "$T/vg_wait.log" | head -1 | tr -d ,)|$(sed -n 's/.*possibly lost: \([0-9,]*\) bytes in \([0-9,]*\) blocks/\2|\1/p' "$T/vg_wait.log" | head -1 | tr -d ,)|$(sed -n 's/.*still reachable: \([0-9,]*\) bytes in \([0-9,]*\) blocks/\2|\1/p' "$T/vg_wait.log" | head -1 | tr -d ,)"
fi
exec 9>&-

# --- --scan-at-end: the launched command held at its exit ------------------------------------
record exit --scan-at-end -d "$T/exit.db" -- "$PROGS/reach_truth" exit
expect_eq "--scan-at-end: exit status" "$rc" 0
expect_match "--scan-at-end: the scan's line" "$(cat "$T/exit.err")" "scan of pid [0-9]+ \(exit\): stopped"
expect_eq "--scan-at-end: verdicts at exit (= memcheck's at exit)" "$(ours "$T/exit.db")" "$TRUTH_EXIT"

# --- a live multi-threaded target, attached --------------------------------------------------
# Beside the recorder: a stale socket (its recorder SIGKILLed: nobody listens) and a stuck one (a
# listener that never answers): asked in parallel, neither delays the scan.
mkdir -p -m 0700 "$HEAPSCOPE_RUN_DIR"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$HEAPSCOPE_RUN_DIR/rec-999999.sock"
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); open(sys.argv[2],"w").close(); time.sleep(120)' \
	"$HEAPSCOPE_RUN_DIR/rec-$$.sock" "$T/stuck.ready" &
stuck=$!
wait_for "stuck listener ready" 10 test -e "$T/stuck.ready"
start=$(date +%s%N)
"$HS" scan -p $$ >"$T/none.out" 2>&1
expect_eq "scan -p of a process no recorder traces: exit 1" "$?" 1
expect_match "  ... says a recorder did not answer" "$(cat "$T/none.out")" "no heapscope recorder said it traces process $$, and 1 did not answer within 3 s"
expect_eq "  ... the stale socket is removed" "$(test -e "$HEAPSCOPE_RUN_DIR/rec-999999.sock" && echo kept)" ""
exec 8<>"$T/go"
"$PROGS/reach_threads" "$T/th.ready" <"$T/go" &
target=$!
if wait_for "reach_threads ready" 10 test -s "$T/th.ready"; then
	"$HS" record -p "$target" -d "$T/threads.db" >"$T/threads.out" 2>"$T/threads.err" &
	rec=$!
	wait_for "recording reach_threads" 30 stderr_has "$T/threads.err" "recording pid"
	printf x >&8
	wait_for "reach_threads built its blocks" 10 test -s "$T/th.ready.built"
	for i in 1 2 3; do
		start=$(date +%s%N)
		"$HS" scan -p "$target" >"$T/scan$i.out" 2>&1
		expect_match "threads: scan $i stopped 5 threads, stop time printed" "$(cat "$T/scan$i.out")" "stopped [0-9.]+ ms \(5 threads\)"
		expect_ge "threads: scan $i answered before the 3 s a stuck recorder is given" 2999 $((($(date +%s%N) - start) / 1000000))
	done
	kill "$stuck" 2>/dev/null
	sed 's/^/#   /' "$T/scan3.out"
	live_ages "threads, churning" "$T/threads.db"
	printf x >&8
	wait_child reach_threads 30 "$target"
	target=
	expect_eq "threads: target unharmed (its data intact, exit 0)" "$rc" 0
	wait_child record 30 "$rec"
	expect_eq "threads: known blocks exact" "$(ours "$T/threads.db")" "mk_chain_head|definitely lost|1|64
mk_chain_node|indirectly lost|2|192
mk_kept|still reachable|1|128
mk_lost|definitely lost|1|48"
	expect_eq "threads: three scans stored" "$(q "$T/threads.db" "SELECT count(*), min(threads) FROM scans")" "3|5"
fi
exec 8>&-

# --- Attached after the old blocks were made: a new block held only by an old one is not lost --
# (the heap outside the known blocks is read as roots; before, all 102 read as definitely lost).
exec 5<>"$T/go"
"$PROGS/reach_old" "$T/old.ready" <"$T/go" >/dev/null 2>&1 &
target=$!
if wait_for "reach_old ready" 10 test -s "$T/old.ready"; then
	"$HS" record -p "$target" -d "$T/old.db" >/dev/null 2>"$T/old.err" &
	rec=$!
	wait_for "recording reach_old" 30 stderr_has "$T/old.err" "recording pid"
	printf x >&5
	wait_for "reach_old built its blocks" 10 test -s "$T/old.ready.built"
	"$HS" scan -p "$target" >"$T/old.out" 2>&1
	expect_match "old blocks: the scan's line" "$(cat "$T/old.out")" "definitely lost 1 blocks \(48 B\), indirectly lost 0"
	printf x >&5
	wait_child reach_old 10 "$target"
	target=
	wait_child record 30 "$rec"
	expect_eq "old blocks: the new blocks they hold are still reachable; mk_lost lost" "$(ours "$T/old.db")" "mk_in_lost_old|still reachable|1|96
mk_in_old_node|still reachable|1|80
mk_in_old_table|still reachable|100|6400
mk_lost|definitely lost|1|48"
fi
exec 5>&-

# --- Scan now through the daemon's API: POST /api/recordings/ID/scan ----------------------------
exec 6<>"$T/go"
"$PROGS/reach_threads" "$T/dt.ready" <"$T/go" >/dev/null 2>&1 &
target=$!
"$HS" daemon --data "$T/daemon" --port 0 2>"$T/daemon.err" &
child=$!
if wait_for "reach_threads ready (daemon)" 10 test -s "$T/dt.ready" &&
	wait_for "daemon prints its URL" 10 grep -q 'dashboard at http' "$T/daemon.err"; then
	URL=$(grep -o 'http://[^ ]*' "$T/daemon.err" | head -1)
	BASE=${URL%%/\?token=*}
	TOKEN=${URL##*token=}
	api() { curl -s -H "Authorization: Bearer $TOKEN" "$@"; }
	id=$(api -H 'Content-Type: application/json' -d "{\"pid\": $target}" "$BASE/api/recordings" | jq -r .id)
	printf x >&6 # attached: now its known blocks
	wait_for "reach_threads built its blocks (daemon)" 10 test -s "$T/dt.ready.built"
	expect_eq "daemon: scan without the token is 401" \
		"$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/recordings/$id/scan")" 401
	api -X POST -o "$T/dscan.json" -w '%{http_code}' "$BASE/api/recordings/$id/scan" >"$T/dscan.code"
	expect_eq "daemon: POST scan is 200" "$(cat "$T/dscan.code")" 200
	expect_eq "daemon: the scan's answer (5 threads stopped, its stop time, the known lost blocks)" \
		"$(jq -c '[.trigger, .threads, .definite_blocks, .indirect_blocks, .stop_ns > 0]' "$T/dscan.json")" \
		'["request",5,2,2,true]'
	expect_eq "daemon: /summary's last_scan = the answer" \
		"$(api "$BASE/api/recordings/$id/summary" | jq -c '.last_scan | [.trigger, .scans, .definitely_lost.blocks, .still_reachable.blocks]')" \
		"$(jq -c '["request", 1, .definite_blocks, .reachable_blocks]' "$T/dscan.json")"
	expect_eq "daemon: /leaks?group=function: the verdicts of the known blocks, definitely lost first" \
		"$(api "$BASE/api/recordings/$id/leaks?group=function" | jq -r '.[] | select(.key | startswith("mk_")) | "\(.key)|\(.verdict)|\(.blocks)"')" \
		"mk_chain_head|definitely lost|1
mk_lost|definitely lost|1
mk_chain_node|indirectly lost|2"
	expect_eq "daemon: /held?group=function holds mk_kept" \
		"$(api "$BASE/api/recordings/$id/held?group=function" | jq -r '.[] | select(.key == "mk_kept") | "\(.verdict)|\(.blocks)|\(.bytes)"')" \
		"still reachable|1|128"
	expect_eq "daemon: scan of an unknown recording is 404" \
		"$(api -X POST -o /dev/null -w '%{http_code}' "$BASE/api/recordings/nosuch/scan")" 404
	api -X POST -o /dev/null "$BASE/api/recordings/$id/stop"
	wait_for "daemon: recording ended" 10 sh -c "curl -s -H 'Authorization: Bearer $TOKEN' $BASE/api/recordings/$id | jq -e '.state != \"running\"'"
	expect_eq "daemon: scan of an ended recording is 409" \
		"$(api -X POST -o /dev/null -w '%{http_code}' "$BASE/api/recordings/$id/scan")" 409
fi
kill "$child" 2>/dev/null
wait "$child" 2>/dev/null
child=
printf x >&6
wait_child "reach_threads (daemon)" 10 "$target"
expect_eq "daemon: reach_threads unharmed by the scan" "${rc:-}" 0
target=
exec 6>&-

# --- the recorder SIGKILLed mid-scan: the target goes on ------------------------------------
exec 7<>"$T/go"
"$HS" record --no-follow -d "$T/big.db" -- "$PROGS/reach_big" 524288 1024 "$T/big.ready" <"$T/go" >/dev/null 2>"$T/big.err" &
rec=$!
stopped() { grep -q '^State:.*t (tracing stop)' "/proc/$target/status"; }
released() { ! stopped && grep -q '^TracerPid:[[:space:]]*0$' "/proc/$target/status"; }
if wait_for "reach_big ready" 60 test -s "$T/big.ready"; then
	target=$(awk '{print $2}' "$T/big.ready")
	"$HS" scan -p "$target" >/dev/null 2>&1 &
	child=$!
	if wait_for "reach_big stopped by the scan" 10 stopped; then
		kill -KILL "$rec"
		if wait_for "reach_big released after the recorder's SIGKILL" 10 released; then
			ok "killed mid-scan: target not stopped, TracerPid 0"
		fi
		expect_eq "killed mid-scan: target still alive" "$(kill -0 "$target" && echo alive)" alive
	fi
	printf x >&7
	wait_for "killed mid-scan: target exits when asked" 10 dead "$target"
	target=
fi
exec 7>&-
finish

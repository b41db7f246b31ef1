#!/usr/bin/env bash
# `heapscope record` unhappy paths: each fails with a non-zero status and one line on stderr
# that says what failed, and leaves either no file or a valid recording.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

cleanup() {
	for m in "$T/ro" "$T/full"; do mountpoint -q "$m" && umount "$m"; done
	[ -n "${stray:-}" ] && kill -KILL "$stray" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# failed NAME REGEX DB: non-zero status, exactly one stderr line (besides the "recording pid"
# progress line of a recording that had started) matching REGEX, and DB absent or a valid
# recording.
failed() {
	local lines ic
	expect_match "$1: non-zero exit status" "$rc" "^[1-9][0-9]*$"
	lines=$(grep -vc '^heapscope: recording pid ' "$T/$1.err")
	expect_eq "$1: one line on stderr" "$lines" 1
	expect_match "$1: message says why" "$(grep -v '^heapscope: recording pid ' "$T/$1.err")" "$2"
	if [ -e "$3" ]; then
		ic=$(q "$3" "PRAGMA integrity_check; SELECT count(*) FROM recording" 2>&1 | tr '\n' ' ')
		expect_eq "$1: the file left behind is a valid recording" "$ic" "ok 1 "
	else
		ok "$1: no file left behind"
	fi
}

# No such process.
pid=999999
while kill -0 $pid 2>/dev/null; do pid=$((pid + 1)); done
record nopid -p $pid -o "$T/nopid.db"
failed nopid "[Nn]o such process" "$T/nopid.db"

# A target that exited before the attach.
sleep 0.01 &
gone=$!
wait $gone
record gone -p $gone -o "$T/gone.db"
failed gone "[Nn]o such process" "$T/gone.db"

# Output in a directory that does not exist: the message names the path.
record nodir -o /nonexistent/dir/x.db -- /bin/true
failed nodir "/nonexistent/dir/x\.db" /nonexistent/dir/x.db

# Output on a read-only file system (root ignores permission bits, so mount one).
mkdir -p "$T/ro"
if mount -t tmpfs -o ro,size=64k tmpfs "$T/ro"; then
	record rofs -o "$T/ro/x.db" -- /bin/true
	failed rofs "$T/ro/x\.db.*[Rr]ead-only" "$T/ro/x.db"
else
	not_ok "rofs: cannot mount a read-only tmpfs"
fi

# A command that does not exist: the message names it.
record nocmd -o "$T/nocmd.db" -- /nonexistent/cmd
failed nocmd "/nonexistent/cmd" "$T/nocmd.db"

# Not root: BPF needs root (or CAP_BPF + CAP_PERFMON).
mkdir -p "$T/user"
chmod 755 "$T"
chmod 777 "$T/user"
setpriv --reuid=65534 --regid=65534 --clear-groups "$HS" record -o "$T/user/x.db" -- /bin/true \
	>"$T/user.out" 2>"$T/user.err"
rc=$?
sed 's/^/#   user stderr: /' "$T/user.err" | head -5
failed user "root|CAP_BPF" "$T/user/x.db"

# Disk full: a 256 KiB tmpfs cannot hold a recording of allocbench's calls. 50M calls take
# long enough untraced that a command left running after the recorder fails is seen.
if cc -O2 -g -fno-omit-frame-pointer -pthread -o "$T/allocbench" "$TOP/../shared/bench/allocbench.c"; then
	mkdir -p "$T/full"
	if mount -t tmpfs -o size=256k tmpfs "$T/full"; then
		RECORD_TIMEOUT=120 record full -o "$T/full/x.db" -- "$T/allocbench" --ops 50000000 --mix
		failed full "[Dd]isk|[Ss]pace" "$T/full/x.db"
		stray=$(pgrep -f "^$T/allocbench " | head -1)
		if [ -z "$stray" ] || wait_for "full: launched command ends" 10 dead "$stray"; then
			ok "full: the launched command does not outlive the recorder"
		fi
	else
		not_ok "full: cannot mount a tmpfs"
	fi
else
	not_ok "full: cannot build allocbench"
fi

finish

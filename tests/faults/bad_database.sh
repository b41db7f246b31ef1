#!/usr/bin/env bash
# Files that are not sound recordings of this heapscope: random bytes, a truncated copy (half),
# a foreign SQLite file, another schema version, an empty file, a directory, a missing file, and
# a WAL-mode copy whose -wal frames are corrupted. report, diff (either side) and serve each say
# what is wrong in one line and exit 1 (never a crash, exit >= 128, or a hang: 10 s deadline);
# the WAL copy reads as its last intact commit. The daemon lists such files dropped into
# DATA/recordings as unreadable, answers their views with the same one-line error, and goes on
# serving the good ones.
. "$(dirname "$0")/../lib.sh"
DP=
trap '[ -n "$DP" ] && kill -9 "$DP" 2>/dev/null; rm -rf "$T"' EXIT

good=$T/good.db
"$HS" record -o "$good" -- "$PROGS/leaks3" >/dev/null 2>"$T/rec.err"
expect_eq "a good recording to start from" "$(q "$good" 'SELECT count(*) FROM allocations')" 82

head -c 65536 /dev/urandom >"$T/random.db"
head -c $(($(stat -c %s "$good") / 2)) "$good" >"$T/truncated.db"
q "$T/foreign.db" 'CREATE TABLE t(a); INSERT INTO t VALUES (1)'
cp "$good" "$T/version.db"
q "$T/version.db" 'PRAGMA user_version = 999'
: >"$T/empty.db"
mkdir "$T/directory.db"

# case NAME MESSAGE: report, diff (as A and as B) and serve of $T/NAME.db exit 1 with MESSAGE.
case_of() {
	local f=$T/$1.db want="^heapscope: (cannot read )?${T//./\\.}/$1\\.db$2$" what rc out
	for what in report diff-a diff-b serve; do
		case $what in
		report) timeout 10 "$HS" report -d "$f" >/dev/null 2>"$T/err" ;;
		diff-a) timeout 10 "$HS" diff "$f" "$good" >/dev/null 2>"$T/err" ;;
		diff-b) timeout 10 "$HS" diff "$good" "$f" >/dev/null 2>"$T/err" ;;
		serve) timeout 10 "$HS" serve -d "$f" --port 0 >/dev/null 2>"$T/err" ;;
		esac
		rc=$?
		out=$(cat "$T/err")
		if [ "$rc" = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && [[ "$out" =~ $want ]]; then
			ok "$1: $what: exit 1, one line"
		else
			not_ok "$1: $what: exit $rc, '$out' (expected exit 1 and /$want/)"
		fi
	done
}

case_of random " is not a heapscope recording \\(not an SQLite database\\)"
case_of truncated " is damaged \\(database disk image is malformed\\): truncated or overwritten; .*"
case_of foreign " is not a heapscope recording \\(no recording table\\)"
case_of version " is a heapscope recording of schema version 999; this heapscope reads version [0-9]+ \\(record it again, or use the heapscope that wrote it\\)"
case_of empty " is not a heapscope recording \\(no recording table\\)"
case_of directory ": Is a directory"
case_of missing ": No such file or directory"

# A WAL-mode copy with a commit still in its -wal, then that commit's frames corrupted: SQLite
# checks each frame's checksum and stops at the first bad one, so readers see the file as it
# was before that commit.
wal=$T/wal.db
cp "$good" "$wal"
python3 - "$wal" <<'PY'
import shutil, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA wal_autocheckpoint=0")
db.execute("DELETE FROM allocations WHERE id > 10")
db.commit()
# Copy the file and its -wal while the writer still holds them (nothing checkpointed).
shutil.copy(sys.argv[1], sys.argv[1] + ".copy")
shutil.copy(sys.argv[1] + "-wal", sys.argv[1] + ".copy-wal")
db.close()
PY
mv "$wal.copy" "$T/walbad.db"
mv "$wal.copy-wal" "$T/walbad.db-wal"
expect_eq "WAL copy: the commit is in its -wal" "$(q "$T/walbad.db" "SELECT count(*) FROM allocations")" 10
# Rebuild it (the query above may have checkpointed it) and corrupt the frames this time.
python3 - "$wal" "$T/walbad.db" "$good" <<'PY'
import shutil, sqlite3, sys
src, out, good = sys.argv[1:]
shutil.copy(good, src)
db = sqlite3.connect(src)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA wal_autocheckpoint=0")
db.execute("DELETE FROM allocations WHERE id > 10")
db.commit()
shutil.copy(src, out)
w = bytearray(open(src + "-wal", "rb").read())
for i in range(32 + 24 + 100, len(w), 997):  # inside the frames, past the WAL header
    w[i] ^= 0x5A
open(out + "-wal", "wb").write(w)
db.close()
PY
timeout 10 "$HS" report -d "$T/walbad.db" --format json --view summary >"$T/walbad.json" 2>"$T/err"
expect_eq "corrupt -wal: report exits 0" "$?" 0
expect_eq "corrupt -wal: reads the last intact state (82 allocations)" "$(jq .summary.allocs "$T/walbad.json")" 82
expect_eq "corrupt -wal: says nothing" "$(cat "$T/err")" ""

# --- the daemon's catalog ------------------------------------------------------------------------
DATA=$T/data
mkdir -p "$DATA/recordings"
cp "$good" "$DATA/recordings/good.db"
for n in random truncated foreign version empty; do cp "$T/$n.db" "$DATA/recordings/$n.db"; done
"$HS" daemon --data "$DATA" --port 0 2>"$T/daemon.err" &
DP=$!
if wait_for "daemon prints its URL" 10 grep -q 'dashboard at http' "$T/daemon.err"; then
	URL=$(grep -o 'http://[^ ]*' "$T/daemon.err" | head -1)
	BASE=${URL%%/\?token=*}
	TOKEN=${URL##*token=}
	api() { curl -s --max-time 10 -H "Authorization: Bearer $TOKEN" "$@"; }
	expect_eq "daemon: lists every file, only good.db readable" \
		"$(api "$BASE/api/recordings" | jq -r '[.recordings[] | "\(.id):\(.readable)"] | sort | join(" ")')" \
		"empty:false foreign:false good:true random:false truncated:false version:false"
	for n in random truncated foreign version empty; do
		body=$(api -w ' %{http_code}' "$BASE/api/recordings/$n/summary")
		expect_match "daemon: $n: its summary says why (409: the file is no recording)" "$body" \
			"^\\{\"error\":\"recording $n cannot be read: [^\"]*/$n\\.db (is not a heapscope recording|is damaged|is a heapscope recording of schema version 999)[^\"]*\"\\} 409$"
	done
	expect_eq "daemon: the good one served" "$(api "$BASE/api/recordings/good/summary" | jq .allocs)" 82
	expect_eq "daemon: still running" "$(kill -0 "$DP" 2>/dev/null && echo yes)" yes
	kill -TERM "$DP"
	wait "$DP"
	expect_eq "daemon: SIGTERM exit status 0" "$?" 0
	DP=
fi
finish

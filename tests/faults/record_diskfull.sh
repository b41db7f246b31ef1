#!/usr/bin/env bash
# A recording whose file system fills up (a 32 MiB tmpfs): the recorder stops writing, says so in
# one line and exits 1; the file is sound and ended: end reason error, a write_failed notice, the
# counts of its last commit (live blocks from the recorder's own aggregates, not 0 for want of
# rows); the command goes on untraced and is still waited for. 32 MiB so that the first commit
# (0.2 s of churn, ~5 MB here) always fits and 6 s of churn never does, on faster or slower machines.
. "$(dirname "$0")/../lib.sh"

MNT=$T/mnt
mkdir -p "$MNT"
trap 'umount "$MNT" 2>/dev/null; rm -rf "$T"' EXIT
if ! mount -t tmpfs -o size=32m tmpfs "$MNT" 2>"$T/mount.err"; then
	not_ok "cannot mount a 32 MiB tmpfs (root needed): $(head -1 "$T/mount.err")"
	finish
fi

db=$MNT/full.db
"$HS" record -o "$db" -- "$PROGS/churn" 6 >/dev/null 2>"$T/err"
rc=$?
expect_eq "exit status 1" "$rc" 1
expect_match "says the disk is full, once" "$(grep -c 'disk full' "$T/err")" "^1$"
expect_match "says the end is written" "$(grep 'disk full' "$T/err")" "end reason error"
expect_eq "integrity_check" "$(q "$db" 'PRAGMA integrity_check')" ok
expect_eq "end reason error" "$(q "$db" 'SELECT end_reason FROM recording')" error
expect_eq "write_failed notice" "$(q "$db" "SELECT count(*) FROM notices WHERE kind = 'write_failed'")" 1
expect_ge "allocation rows kept" "$(q "$db" 'SELECT count(*) FROM allocations')" 1
json=$("$HS" report -d "$db" --format json --view summary)
expect_eq "JSON: end_reason error, not live" "$(jq -r '.summary | "\(.end_reason) \(.live)"' <<<"$json")" "error false"
expect_eq "JSON: the notice" "$(jq -r '[.summary.notices[].kind] | join(",")' <<<"$json")" write_failed
expect_eq "JSON: frees never exceed allocations" "$(jq '.summary.allocs >= .summary.frees' <<<"$json")" true
expect_eq "JSON: live = allocations - frees" \
	"$(jq '.summary.allocs - .summary.frees == .summary.live_blocks' <<<"$json")" true
expect_match "text: says writing failed" "$("$HS" report -d "$db" --view summary | grep '^  recording')" \
	"error: writing failed"
finish

#!/usr/bin/env bash
# make install / uninstall: the binary, the manual page, the bash completion and the systemd unit
# under DESTDIR and PREFIX, the unit's ExecStart pointing at the installed binary, and
# systemd-analyze accepting the unit.
source "$(dirname "$0")/../lib.sh"
cd "$TOP"

D="$T/destdir"
make -s install DESTDIR="$D" >"$T/make.out" 2>&1
expect_eq "make install DESTDIR=...: exit 0" "$?" 0
expect_eq "the binary in DESTDIR/usr/local/bin, executable" \
	"$(stat -c %a "$D/usr/local/bin/heapscope" 2>&1)" 755
expect_eq "the installed binary runs" "$("$D/usr/local/bin/heapscope" --version)" \
	"$("$HS" --version)"
UNIT="$D/lib/systemd/system/heapscope.service"
expect_eq "the unit in DESTDIR/lib/systemd/system, 0644" "$(stat -c %a "$UNIT" 2>&1)" 644
expect_eq "ExecStart: the PREFIX's binary, daemon mode" "$(grep '^ExecStart=' "$UNIT")" \
	'ExecStart=/usr/local/bin/heapscope daemon --data /var/lib/heapscope $HEAPSCOPE_OPTS'
for kv in Type=simple Restart=on-failure StateDirectory=heapscope KillSignal=SIGTERM \
	TimeoutStopSec=30 WantedBy=multi-user.target; do
	expect_eq "the unit has $kv" "$(grep -cx "$kv" "$UNIT")" 1
done
expect_eq "no User=: root, for the BPF capabilities" "$(grep -c '^User=' "$UNIT")" 0
expect_eq "no @PREFIX@ left" "$(grep -c '@PREFIX@' "$UNIT")" 0
MAN="$D/usr/local/share/man/man1/heapscope.1.gz"
expect_eq "the manual page in DESTDIR/usr/local/share/man/man1, gzip'd, 0644" \
	"$(stat -c %a "$MAN" 2>&1) $(gzip -dc "$MAN" | cmp - doc/heapscope.1 && echo same)" "644 same"
expect_match "the installed manual page renders" "$(MANWIDTH=80 man -l "$MAN" 2>&1 | head -1)" \
	'^HEAPSCOPE\(1\)'
COMP="$D/usr/local/share/bash-completion/completions/heapscope"
expect_eq "the bash completion in DESTDIR/usr/local/share/bash-completion/completions, 0644" \
	"$(stat -c %a "$COMP" 2>&1)" 644
expect_eq "the installed completion loads" "$(bash -c "source '$COMP' && complete -p heapscope")" \
	"complete -F _heapscope heapscope"

make -s install DESTDIR="$D" PREFIX=/opt/hs >/dev/null 2>&1
expect_eq "PREFIX=/opt/hs: the binary there" "$(ls "$D/opt/hs/bin")" heapscope
expect_match "PREFIX=/opt/hs: ExecStart follows" "$(grep '^ExecStart=' "$UNIT")" \
	'^ExecStart=/opt/hs/bin/heapscope daemon '

# systemd-analyze checks the unit's keys and that ExecStart is executable: a prefix that exists.
if command -v systemd-analyze >/dev/null; then
	make -s install PREFIX="$T/prefix" SYSTEMD_UNIT_DIR="$T/units" >/dev/null 2>&1
	out=$(systemd-analyze verify "$T/units/heapscope.service" 2>&1 |
		grep -v -e 'Failed to read \$container' -e '^Found container')
	expect_eq "systemd-analyze verify: no complaint" "$out" ""
else
	not_ok "systemd-analyze is missing (Debian package systemd): the unit is not verified"
fi

make -s uninstall DESTDIR="$D" >/dev/null 2>&1
expect_eq "make uninstall: every file gone" \
	"$(ls "$D/usr/local/bin/heapscope" "$D/lib/systemd/system/heapscope.service" "$MAN" "$COMP" \
		2>/dev/null | wc -l)" 0
finish

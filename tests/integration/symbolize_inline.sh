#!/usr/bin/env bash
# Inlined calls (issue 14 part 1): programs built -O2, an always_inline allocator chain called
# from two functions (inline_o2) and std::vector / std::map code (inline_stl). For every frame in
# the program of every leak, the functions inlined there and the frame's own function and line
# equal `addr2line -i -f -C` at that address; text, JSON and pprof mark them inlined.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/record.bash"

# chain DB PROG: per frame with DWARF of every leak's stack in PROG (by allocation, frame order), the
# inlined functions then the frame's own, "function @ file:line" one per line, the frame's
# offset (rel_addr) first, as "== 0x<offset - 1>" (the call, as addr2line is asked).
chain() {
	q "$1" "SELECT line FROM (
	  SELECT a.id AS a, sf.pos AS p, -1 AS k, '== ' || printf('0x%x', f.rel_addr - 1) AS line
	    FROM allocations a JOIN stack_frames sf ON sf.stack_id = a.site JOIN frames f ON f.id = sf.frame_id
	    JOIN modules m ON m.id = f.module_id WHERE a.free_ts IS NULL AND m.path = '$2' AND f.file IS NOT NULL
	  UNION ALL SELECT a.id, sf.pos, i.pos, i.function || ' @ ' || i.file || ':' || i.line
	    FROM allocations a JOIN stack_frames sf ON sf.stack_id = a.site JOIN frames f ON f.id = sf.frame_id
	    JOIN modules m ON m.id = f.module_id JOIN inlined_frames i ON i.frame_id = f.id
	    WHERE a.free_ts IS NULL AND m.path = '$2' AND f.file IS NOT NULL
	  UNION ALL SELECT a.id, sf.pos, 1000, f.function || ' @ ' || f.file || ':' || f.line
	    FROM allocations a JOIN stack_frames sf ON sf.stack_id = a.site JOIN frames f ON f.id = sf.frame_id
	    JOIN modules m ON m.id = f.module_id WHERE a.free_ts IS NULL AND m.path = '$2' AND f.file IS NOT NULL)
	  ORDER BY a, p, k"
}

# The same from addr2line, for each "== ADDR" line of chain's output.
truth() {
	local l
	while read -r l; do
		echo "$l"
		addr2line -i -f -C -e "$2" "${l#== }" | paste -d@ - - | sed 's/@/ @ /'
	done < <(grep '^== ' <<<"$1")
}

for p in inline_o2 inline_stl; do
	record "$p" -d "$T/$p.db" -- "$PROGS/$p"
	expect_eq "$p: exit status" "$rc" 0
	db_ok "$p" "$T/$p.db" || continue
	got=$(chain "$T/$p.db" "$PROGS/$p")
	expect_ge "$p: frames compared" "$(grep -c '^== ' <<<"$got")" 3
	expect_ge "$p: inlined frames recorded" "$(q "$T/$p.db" "SELECT count(*) FROM inlined_frames")" 2
	expect_eq "$p: every leak's frames and inlined chains equal addr2line -i -f -C's" \
		"$got" "$(truth "$got" "$PROGS/$p")"
done

# The chain of inline_o2's 3001 B leak as each format shows it.
SRC=$TOP/tests/progs/inline_o2.c
L() { line_of "$SRC" "site: $1"; }
"$HS" report -d "$T/inline_o2.db" --view leaks >"$T/o2.txt"
expect_match "text: inlined frames marked, each with its call-site line" \
	"$(grep -A2 'at raw_alloc' "$T/o2.txt" | head -3 | tr -s ' ' | tr '\n' '|')" \
	"at raw_alloc \\(inline_o2.c:$(L raw_alloc)\\) \\[inlined\\]\\| xalloc \\(inline_o2.c:$(L xalloc)\\) \\[inlined\\]\\| make_[ab] \\(inline_o2.c:($(L make_a)|$(L make_b))\\)\\|"
"$HS" report -d "$T/inline_o2.db" --view sites --format json -o "$T/o2.json"
expect_eq "json: sites' first frames with inlined marks" \
	"$(jq -r '[.sites[] | [.frames[0:3][] | "\(.function):\(.line):\(.inlined)"] | join(" ")] | sort | join(", ")' "$T/o2.json")" \
	"raw_alloc:$(L raw_alloc):true xalloc:$(L xalloc):true make_a:$(L make_a):false, raw_alloc:$(L raw_alloc):true xalloc:$(L xalloc):true make_b:$(L make_b):false"
"$HS" report -d "$T/inline_o2.db" --format pprof -o "$T/o2.pb.gz"
go tool pprof -raw "$T/o2.pb.gz" >"$T/o2.raw" 2>&1
expect_eq "pprof: one location per address, its lines innermost first (raw_alloc, xalloc, make_a)" \
	"$(grep -A2 ' raw_alloc ' "$T/o2.raw" | grep -c 'xalloc\|make_a\|make_b\|raw_alloc')" 6
finish

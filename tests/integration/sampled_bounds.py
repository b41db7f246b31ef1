#!/usr/bin/env python3
"""Checks a sampled recording's estimates against the truth, within bounds from sampling theory.

usage: sampled_bounds.py SAMPLED_DB (--truth-db EXACT_DB | --sites SPEC)
Truth from an exact recording of the same deterministic program (per frame-0 function), or from
SPEC: "func:size:count:live,..." (a program whose allocations are known).

An allocation of size s is sampled with p = 1 - exp(-s/R) and weighs 1/p rounded at random to
an integer (agent/sampling.c): an estimate of n blocks' count has variance
sum (1-p)/p + sum p*f(1-f) (f the fraction of 1/p, the rounding), and of their bytes the same
with s^2 factors. Each check: |estimate - truth| <= 4 sigma. Prints one "ok - " or "FAIL - "
line per check (tests/lib.sh counts them).
"""
import math
import sqlite3
import sys

K = 4.0


def p_of(size, rate):
    return -math.expm1(-max(size, 1) / rate)


def var_terms(size, rate):
    p = p_of(size, rate)
    w = 1.0 / p
    f = w - math.floor(w)
    one = (1 - p) / p + p * f * (1 - f)
    return one, one * size * size


SITE_SQL = """SELECT coalesce(f.function, '?'), a.size, count(*), sum(a.weight),
  sum(CASE WHEN a.free_ts IS NULL THEN 1 ELSE 0 END),
  sum(CASE WHEN a.free_ts IS NULL THEN a.weight ELSE 0 END)
  FROM allocations a LEFT JOIN stack_frames sf ON sf.stack_id = a.site AND sf.pos = 0
  LEFT JOIN frames f ON f.id = sf.frame_id
  WHERE a.free_func IS NOT 15 OR a.free_func IS NULL GROUP BY 1, 2"""


def by_site(db):
    """func -> {size: (rows, weighted, live_rows, live_weighted)}"""
    out = {}
    for func, size, rows, weighted, live_rows, live_w in db.execute(SITE_SQL):
        out.setdefault(func, {})[size] = (rows, weighted, live_rows, live_w)
    return out


passed = failed = 0


def check(name, est, truth, var):
    global passed, failed
    bound = K * math.sqrt(var)
    if abs(est - truth) <= bound:
        passed += 1
        print(f"ok - {name}: estimate {est:.0f}, truth {truth:.0f}, |diff| <= 4 sigma = {bound:.0f}")
    else:
        failed += 1
        print(f"FAIL - {name}: estimate {est:.0f}, truth {truth:.0f}, |diff| {abs(est - truth):.0f} > 4 sigma = {bound:.0f}")


def main():
    sampled = sqlite3.connect(sys.argv[1])
    rate = sampled.execute("SELECT sample_bytes FROM recording").fetchone()[0]
    if not rate:
        print("FAIL - the recording is not a sampled one (sample_bytes 0)")
        return 1
    truth = {}  # func -> list of (size, count, live)
    if sys.argv[2] == "--truth-db":
        exact = sqlite3.connect(sys.argv[3])
        for func, sizes in by_site(exact).items():
            truth[func] = [(s, v[0], v[2]) for s, v in sizes.items()]
    else:
        for item in sys.argv[3].split(","):
            func, size, count, live = item.split(":")
            truth.setdefault(func, []).append((int(size), int(count), int(live)))
    est = by_site(sampled)
    tot = {"count": [0, 0, 0], "bytes": [0, 0, 0], "live": [0, 0, 0], "live bytes": [0, 0, 0]}
    for func, sizes in sorted(truth.items()):
        e_count = sum(v[1] for v in est.get(func, {}).values())
        e_bytes = sum(s * v[1] for s, v in est.get(func, {}).items())
        e_live = sum(v[3] for v in est.get(func, {}).values())
        e_live_bytes = sum(s * v[3] for s, v in est.get(func, {}).items())
        t_count = sum(c for _, c, _ in sizes)
        t_bytes = sum(s * c for s, c, _ in sizes)
        t_live = sum(l for _, _, l in sizes)
        t_live_bytes = sum(s * l for s, _, l in sizes)
        v_count = sum(c * var_terms(s, rate)[0] for s, c, _ in sizes)
        v_bytes = sum(c * var_terms(s, rate)[1] for s, c, _ in sizes)
        v_live = sum(l * var_terms(s, rate)[0] for s, _, l in sizes)
        v_live_bytes = sum(l * var_terms(s, rate)[1] for s, _, l in sizes)
        if t_count >= 100:  # a site with a handful of calls says little
            check(f"{func}: allocations", e_count, t_count, v_count)
            check(f"{func}: bytes", e_bytes, t_bytes, v_bytes)
        if t_live >= 100:
            check(f"{func}: live blocks at the end", e_live, t_live, v_live)
            check(f"{func}: live bytes at the end", e_live_bytes, t_live_bytes, v_live_bytes)
        for k, e, t, v in (("count", e_count, t_count, v_count), ("bytes", e_bytes, t_bytes, v_bytes),
                           ("live", e_live, t_live, v_live),
                           ("live bytes", e_live_bytes, t_live_bytes, v_live_bytes)):
            tot[k][0] += e
            tot[k][1] += t
            tot[k][2] += v
    for k, (e, t, v) in tot.items():
        check(f"total {k}", e, t, v)
    # The aggregates the reports read are the same sums.
    s_allocs, s_bytes = sampled.execute("SELECT sum(allocs), sum(bytes) FROM site_stats").fetchone()
    r_allocs, r_bytes = sampled.execute(
        "SELECT sum(weight), sum(weight * size) FROM allocations").fetchone()
    global passed, failed
    if (s_allocs, s_bytes) == (r_allocs, r_bytes):
        passed += 1
        print("ok - site_stats holds the same weighted sums as the allocations rows")
    else:
        failed += 1
        print(f"FAIL - site_stats {s_allocs} {s_bytes} != rows {r_allocs} {r_bytes}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

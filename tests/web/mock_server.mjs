// A stand-in for `heapscope serve`: serves web/ like the C server (index.html at /, web/X at
// /assets/X, the same CSP) and canned, self-consistent JSON for every API route, from a
// made-up recording of a small HTTP server whose top leak is leak_c.
//
// usage: node tests/web/mock_server.mjs [--port N] [--live [SECONDS]] [--api URL]
//   prints http://127.0.0.1:PORT/ on stdout. --live: the recording is live and grows with the
//   wall clock (for SECONDS, then it ends; forever without SECONDS). --api URL: pass /api/*
//   on to a real `heapscope serve` at URL instead (web/ from disk, data from a real recording).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

const args = process.argv.slice(2);
const argVal = (name, dflt) => {
	const i = args.indexOf(name);
	if (i < 0) return dflt;
	const v = args[i + 1];
	return v !== undefined && /^\d+(\.\d+)?$/.test(v) ? Number(v) : true;
};
const port = Number(argVal('--port', 0)) || 0;
const apiIdx = args.indexOf('--api');
const upstream = apiIdx >= 0 ? args[apiIdx + 1] : null;
const liveArg = argVal('--live', false);
const live = liveArg !== false;
const liveFor = typeof liveArg === 'number' ? liveArg * 1e9 : Infinity;
const t0 = process.hrtime.bigint();
const STATIC_DURATION = 12.4e9;

// Nanoseconds the recording has run (frozen when it ends).
function now() {
	if (!live) return STATIC_DURATION;
	const el = Number(process.hrtime.bigint() - t0);
	return Math.min(el, liveFor) + 0.05e9;
}
const isLive = () => live && Number(process.hrtime.bigint() - t0) < liveFor;

// ---------- the made-up program ----------
const EXE = '/srv/demo/build/httpd-demo';
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
let addr = 0x55d0c0a01000;
const fr = (fn, file, line, module = EXE) => ({ function: fn, file, line, module, addr: (addr += 0x1f3) });
const START = [fr('start_thread', './nptl/pthread_create.c', 442, LIBC)];
const MAIN = [fr('main', '/srv/demo/src/main.c', 88), fr('__libc_start_call_main', '../sysdeps/nptl/libc_start_call_main.h', 58, LIBC)];
const WORKER = [fr('handle_request', '/srv/demo/src/server.c', 214), fr('worker_loop', '/srv/demo/src/server.c', 131), ...START];

// kind: churn (freed fast), leak (grows all along), plateau (allocated early, kept), window.
const SPECS = [
	{ frames: [fr('leak_c', '/srv/demo/src/session.c', 35), ...WORKER], kind: 'leak', rate: 2200, size: 300, growth: 1.0 },
	{ frames: [fr('leak_b', '/srv/demo/src/config.c', 61), fr('load_config', '/srv/demo/src/config.c', 140), ...MAIN], kind: 'plateau', rate: 900, size: 2000, growth: 0.1, until: 1.2e9 },
	{ frames: [fr('leak_a', '/srv/demo/src/cache.c', 22), fr('init_cache', '/srv/demo/src/cache.c', 97), ...MAIN], kind: 'plateau', rate: 60, size: 100, growth: 0.2, until: 2.5e9 },
	{ frames: [fr('parse_json', '/srv/demo/src/json.c', 402), ...WORKER], kind: 'churn', rate: 52000, size: 96, life: 3e3 },
	{ frames: [fr('make_buffer', '/srv/demo/src/net.c', 77), fr('read_socket', '/srv/demo/src/net.c', 120), fr('worker_loop', '/srv/demo/src/server.c', 127), ...START], kind: 'churn', rate: 31000, size: 4096, life: 800 },
	{ frames: [fr('std::vector<Row, std::allocator<Row> >::_M_realloc_insert<Row const&>', '/usr/include/c++/12/bits/vector.tcc', 445), fr('query_db', '/srv/demo/src/db.cc', 58), ...WORKER], kind: 'churn', rate: 8000, size: 1536, life: 40e3 },
	{ frames: [fr('arena_node', '/srv/demo/src/tree.c', 30), fr('build_tree', '/srv/demo/src/tree.c', 71), ...WORKER], kind: 'churn', rate: 12000, size: 48, life: 2.2e6 },
	{ frames: [fr('strdup', './string/strdup.c', 42, LIBC), fr('log_line', '/srv/demo/src/log.c', 19), ...WORKER], kind: 'churn', rate: 6000, size: 72, life: 150e6 },
	{ frames: [fr('tmpl<std::string, </script><b>x</b>>::make', '/srv/demo/src/<odd> & "name".cc', 7), ...WORKER], kind: 'churn', rate: 400, size: 24, life: 9e3 },
	{ frames: [{ function: null, file: null, line: null, module: '/usr/lib/x86_64-linux-gnu/libssl.so.3', addr: 0x7f11aa20c3d1 }, fr('tls_handshake', '/srv/demo/src/tls.c', 88), ...WORKER], kind: 'window', rate: 1500, size: 16384, life: 600e6 },
];
for (let i = 0; i < 26; i++) {
	SPECS.push({
		frames: [fr(`fmt_field_${i}`, `/srv/demo/src/fmt${i % 4}.c`, 10 + i * 7), fr('render_page', '/srv/demo/src/render.c', 300 + i), ...WORKER],
		kind: 'churn', rate: 300 + ((i * 977) % 2500), size: 16 << (i % 8), life: 1e3 * 2 ** (i % 14),
	});
}

function lifetimeBucketsBase() {
	const b = [{ label: '< 1 us', lo_ns: 0, hi_ns: 1000 }];
	let lo = 1000;
	const fmt = (ns) => (ns < 1e6 ? `${ns / 1e3} us` : ns < 1e9 ? `${+(ns / 1e6).toPrecision(3)} ms` : `${+(ns / 1e9).toPrecision(3)} s`);
	while (lo * 2 <= 3600e9) {
		b.push({ label: `${fmt(lo)} - ${fmt(lo * 2)}`, lo_ns: lo, hi_ns: lo * 2 });
		lo *= 2;
	}
	b.push({ label: `${fmt(lo)} - 1 h`, lo_ns: lo, hi_ns: 3600e9 });
	b.push({ label: '>= 1 h', lo_ns: 3600e9, hi_ns: null });
	return b;
}
const LT_BASE = lifetimeBucketsBase();

function sizeBucketsBase() {
	const b = [{ label: '0 B', lo: 0, hi: 1 }];
	const fmt = (v) => (v < 1024 ? `${v} B` : v < 1 << 20 ? `${v / 1024} KiB` : `${v / (1 << 20)} MiB`);
	b.push({ label: '1 B', lo: 1, hi: 2 });
	for (let k = 2; k <= 24; k++) b.push({ label: `${fmt(2 ** (k - 1))} - ${fmt(2 ** k)}`, lo: 2 ** (k - 1), hi: 2 ** k });
	return b;
}
const SZ_BASE = sizeBucketsBase();

// Live blocks of spec s at time t (ns).
function liveAt(s, t) {
	if (s.kind === 'leak') return Math.floor((s.rate * t) / 1e9);
	if (s.kind === 'plateau') return Math.floor((s.rate * Math.min(t, s.until)) / 1e9);
	const inflight = (s.rate * s.life) / 1e9;
	return Math.round(inflight * (1 + 0.25 * Math.sin(t / 7e8 + s.rate)));
}

function siteAt(s, id, T) {
	const allocs = Math.floor((s.rate * (s.kind === 'plateau' ? Math.min(T, s.until) : T)) / 1e9);
	const lb = Math.min(allocs, liveAt(s, T));
	const frees = allocs - lb;
	const sizes = [Math.max(1, Math.round(s.size * 0.5)), s.size, s.size * 2];
	const avg = s.size * 1.08;
	const life = s.life ?? null;
	const lt = frees > 0 && life !== null;
	return {
		site: id, key: null, sites: 1, allocs, bytes: Math.round(allocs * avg),
		min_size: s.kind === 'churn' ? sizes[0] : s.size, avg_size: s.kind === 'churn' ? avg : s.size, max_size: s.kind === 'churn' ? sizes[2] : s.size,
		frees, live_blocks: lb, live_bytes: lb * s.size,
		peak_live_bytes: Math.round(lb * s.size * (s.kind === 'churn' ? 1.3 : 1)),
		lifetime_p50_ns: lt ? life : null, lifetime_p90_ns: lt ? life * 3.1 : null, lifetime_p99_ns: lt ? life * 9.5 : null, lifetime_max_ns: lt ? life * 40 : null,
		temporary_share: s.kind === 'churn' && life < 1e6 ? 0.93 : 0, alloc_time_p50_ns: 96 + (id % 5) * 20, alloc_time_p99_ns: 2048 + (id % 7) * 512,
		frames: s.frames,
	};
}

function allSites() {
	const T = now();
	return SPECS.map((s, i) => siteAt(s, i + 1, T));
}

function lifetimesOf(specIdx) {
	const T = now();
	const sel = specIdx === null ? SPECS.map((_, i) => i) : [specIdx];
	const counts = LT_BASE.map(() => 0);
	let liveN = 0;
	for (const i of sel) {
		const st = siteAt(SPECS[i], i + 1, T);
		liveN += st.live_blocks;
		if (!st.frees || SPECS[i].life === undefined) continue;
		const c = Math.max(0, Math.min(LT_BASE.length - 2, Math.round(Math.log2(Math.max(1, SPECS[i].life / 1e3))) + 1));
		const spread = [0.05, 0.2, 0.5, 0.2, 0.05];
		spread.forEach((w, k) => {
			const j = Math.max(0, Math.min(LT_BASE.length - 1, c + k - 2));
			counts[j] += Math.round(st.frees * w);
		});
	}
	return { buckets: LT_BASE.map((b, i) => ({ ...b, count: counts[i] })), live: liveN };
}

function sizesOf(specIdx) {
	const T = now();
	const sel = specIdx === null ? SPECS.map((_, i) => i) : [specIdx];
	const counts = SZ_BASE.map(() => 0);
	for (const i of sel) {
		const st = siteAt(SPECS[i], i + 1, T);
		const idx = (v) => (v === 0 ? 0 : Math.min(SZ_BASE.length - 1, Math.floor(Math.log2(v)) + 1));
		if (SPECS[i].kind === 'churn') {
			counts[idx(st.min_size)] += Math.round(st.allocs * 0.25);
			counts[idx(SPECS[i].size)] += Math.round(st.allocs * 0.5);
			counts[idx(st.max_size)] += Math.round(st.allocs * 0.25);
		} else counts[idx(SPECS[i].size)] += st.allocs;
	}
	let last = counts.length - 1;
	while (last > 0 && !counts[last]) last--;
	return { buckets: SZ_BASE.slice(0, last + 1).map((b, i) => ({ ...b, count: counts[i] })) };
}

function timeline(from, to, res, specIdx) {
	const T = now();
	to = Math.min(to ?? T, T);
	from = Math.max(0, from ?? 0);
	if (!(res > 0)) res = Math.max(1000, Math.ceil((to - from) / 200));
	const sel = specIdx === null ? SPECS.map((_, i) => i) : [specIdx];
	const pts = [];
	for (let ts = from + res; ts <= to + res / 2 && pts.length < 20000; ts += res) {
		let lbytes = 0;
		let lblocks = 0;
		let allocs = 0;
		let bytes = 0;
		for (const i of sel) {
			const s = SPECS[i];
			const n = liveAt(s, ts);
			lblocks += n;
			lbytes += n * s.size;
			const active = s.kind !== 'plateau' || ts <= s.until;
			const a = active ? (s.rate * res) / 1e9 * (1 + 0.2 * Math.sin(ts / 3e8 + i)) : 0;
			allocs += a;
			bytes += a * s.size;
		}
		const prevLive = sel.reduce((acc, i) => acc + liveAt(SPECS[i], Math.max(0, ts - res)), 0);
		const allocN = Math.round(allocs);
		const freeN = Math.max(0, allocN - (lblocks - prevLive));
		pts.push({ ts: Math.round(ts), live_bytes: lbytes, live_blocks: lblocks, allocs: allocN, frees: freeN, alloc_bytes: Math.round(bytes), free_bytes: Math.round(bytes * (freeN / Math.max(1, allocN))) });
	}
	return pts;
}

function group(sites, by) {
	if (by === 'stack') return sites;
	const m = new Map();
	for (const s of sites) {
		const f = s.frames[0];
		const k = by === 'function' ? f.function ?? `${f.module}+0x${f.addr.toString(16)}` : f.file;
		if (!m.has(k)) m.set(k, []);
		m.get(k).push(s);
	}
	return [...m.entries()].map(([k, list]) => {
		const big = list.reduce((a, b) => (b.bytes > a.bytes ? b : a));
		const sum = (c) => list.reduce((a, s) => a + (s[c] || 0), 0);
		const allocs = sum('allocs');
		return {
			...big, key: k, sites: list.length, allocs, bytes: sum('bytes'), frees: sum('frees'), live_blocks: sum('live_blocks'), live_bytes: sum('live_bytes'),
			peak_live_bytes: sum('peak_live_bytes'), min_size: Math.min(...list.map((s) => s.min_size)), max_size: Math.max(...list.map((s) => s.max_size)),
			avg_size: allocs ? sum('bytes') / allocs : null,
		};
	});
}

const SORTS = ['site', 'sites', 'allocs', 'bytes', 'min_size', 'avg_size', 'max_size', 'frees', 'live_blocks', 'live_bytes', 'peak_live_bytes',
	'lifetime_p50_ns', 'lifetime_p90_ns', 'lifetime_p99_ns', 'lifetime_max_ns', 'temporary_share', 'alloc_time_p50_ns', 'alloc_time_p99_ns'];

class BadRequest extends Error {}

function intParam(q, name, dflt, max = Number.MAX_SAFE_INTEGER) {
	if (!q.has(name)) return dflt;
	const v = q.get(name);
	if (!/^\d+$/.test(v) || Number(v) > max) throw new BadRequest(`${name}: expected a non-negative integer, got "${v}"`);
	return Number(v);
}

function siteParam(q, name) {
	if (!q.has(name)) return null;
	const id = intParam(q, name, null);
	if (id < 1 || id > SPECS.length) throw Object.assign(new Error(`${name}: no site ${id}`), { status: 404 });
	return id - 1;
}

function leaks(q) {
	const T = now();
	const minAge = q.has('min_age') ? Number(q.get('min_age')) : 0;
	if (!Number.isFinite(minAge) || minAge < 0) throw new BadRequest('min_age: expected seconds >= 0');
	const out = [];
	SPECS.forEach((s, i) => {
		const st = siteAt(s, i + 1, T);
		if (!st.live_blocks || s.kind === 'churn' || s.kind === 'window') return;
		const oldest = T - 0.004e9 * (i + 1);
		if (oldest < minAge * 1e9) return;
		const growth = s.kind === 'leak' ? 1 : s.growth;
		out.push({ site: i + 1, blocks: st.live_blocks, bytes: st.live_bytes, oldest_age_ns: Math.round(oldest), growth, score: st.live_bytes * (0.25 + 0.75 * growth), frames: s.frames });
	});
	out.sort((a, b) => b.score - a.score);
	return groupLeaks(out, q.get('group') || 'stack').slice(0, intParam(q, 'limit', 1000));
}

// Leaks folded by innermost function or file, as the server does (biggest member first).
function groupLeaks(list, group) {
	if (group === 'stack') return list;
	if (group !== 'function' && group !== 'file') throw new BadRequest('group: expected stack, function or file');
	const byKey = new Map();
	for (const l of list) {
		const f = l.frames[0] || {};
		const key = group === 'function' ? f.function : f.file;
		const g = byKey.get(key);
		if (!g) {
			byKey.set(key, { ...l, key, sites: 1 });
			continue;
		}
		g.blocks += l.blocks;
		g.bytes += l.bytes;
		g.sites += 1;
		g.oldest_age_ns = Math.max(g.oldest_age_ns, l.oldest_age_ns);
		g.growth = Math.max(g.growth, l.growth);
	}
	const out = [...byKey.values()];
	for (const g of out) g.score = g.bytes * (0.25 + 0.75 * g.growth);
	return out.sort((a, b) => b.score - a.score);
}

function flame(weight) {
	const key = { bytes: 'bytes', allocs: 'allocs', live_bytes: 'live_bytes' }[weight];
	if (!key) throw new BadRequest('weight: expected bytes, allocs or live_bytes');
	const root = { name: 'all', value: 0, children: [] };
	for (const s of allSites()) {
		const v = s[key];
		root.value += v;
		let n = root;
		for (let i = s.frames.length - 1; i >= 0; i--) {
			const f = s.frames[i];
			const name = f.function ?? `${f.module.replace(/^.*\//, '')}+0x${f.addr.toString(16)}`;
			let k = n.children.find((c) => c.name === name);
			if (!k) n.children.push((k = { name, file: f.file, line: f.line, module: f.module, value: 0, children: [] }));
			k.value += v;
			n = k;
		}
	}
	return root;
}

// The second error came after the first lost event (FIRST_DROP_TS): marked unreliable.
const FIRST_DROP_TS = 6.2e9;
const ERRORS = [
	{ kind: 'double_free', addr: 0x55d0c1f3a2c0, ts: 3.41e9, tid: 4121, pid: 4117, unreliable: false, func: 'free', frames: [fr('session_close', '/srv/demo/src/session.c', 90), ...WORKER], alloc_frames: [fr('session_open', '/srv/demo/src/session.c', 51), ...WORKER], prev_free_frames: [fr('session_reset', '/srv/demo/src/session.c', 77), ...WORKER] },
	{ kind: 'invalid_free', addr: 0x55d0c1f40018, ts: 7.9e9, tid: 4122, pid: 4117, unreliable: true, func: 'free', frames: [fr('drop_header', '/srv/demo/src/http.c', 310), ...WORKER], alloc_frames: [fr('read_header', '/srv/demo/src/http.c', 260), ...WORKER], prev_free_frames: [] },
];

function advice() {
	return [
		{ kind: 'pool', site: 5, evidence: '384,000 allocations all of 4096 bytes at 31,000/s, 90% freed within 2.5 us: a free list of fixed-size blocks would serve them', frames: SPECS[4].frames },
		{ kind: 'arena', site: 7, evidence: '141,200 of its 148,800 frees came in bursts (100+ frees within 1 ms, from at most 8 sites): an arena released at once would replace them', frames: SPECS[6].frames },
		{ kind: 'realloc_churn', site: 6, evidence: '99,000 reallocs grew a block by at most half its size; the longest chain had 812 reallocs: grow geometrically or reserve the final size', frames: SPECS[5].frames },
		{ kind: 'cross_thread', site: 8, evidence: '74,400 blocks allocated on one thread were freed on another', frames: SPECS[7].frames, free_site: 11, free_frames: [fr('flush_logs', '/srv/demo/src/log.c', 140), fr('log_thread', '/srv/demo/src/log.c', 171), ...START] },
	];
}

// Stack quality as report's JSON has it: most stacks complete, the rest cut by code without
// unwind tables and by the frame limit; under 90% complete, so it carries the store's hint.
function stackQuality(sites) {
	const allocs = sites.reduce((a, s) => a + s.allocs, 0);
	const noCfi = Math.round(allocs * 0.3);
	const depth = Math.round(allocs * 0.08);
	const ends = [
		{ walk_end: 'complete', sites: sites.length - 3, allocs: allocs - noCfi - depth },
		{ walk_end: 'no_cfi', sites: 2, allocs: noCfi },
		{ walk_end: 'depth', sites: 1, allocs: depth },
	];
	return {
		mode: 'dwarf', sites: allocs ? sites.length : 0, allocs, complete_allocs_share: allocs ? ends[0].allocs / allocs : 0,
		complete_sites_share: allocs ? ends[0].sites / sites.length : 0, mean_depth: allocs ? 9.4 : 0, p99_depth: allocs ? 64 : 0,
		ends: allocs ? ends : [],
		fp_fallback_frames: 212, unwind_files: 14, unwind_files_no_cfi: 1,
		hint: allocs ? 'no_cfi: code without unwind tables and without frame pointers' : null,
	};
}

// The server was started by a shell that exec'd it (two images of pid 4117) and it runs a
// helper, pid 4130, that the recording ended. Every site belongs to the server's second image.
function processes(sites, T, running) {
	const sum = (k) => sites.reduce((a, s) => a + s[k], 0);
	return [
		{ id: 1, pid: 4117, ppid: 4100, exe: '/usr/bin/dash', command: 'sh -c exec ./build/httpd-demo --port 8080 --workers 4', allocator: LIBC,
			start_ts: 0, end_ts: 0.004e9, end_reason: 'exec', exit_status: null, allocs: 0, frees: 0, live_blocks: 0, live_bytes: 0, errors: 0 },
		{ id: 2, pid: 4117, ppid: 4100, exe: EXE, command: '/srv/demo/build/httpd-demo --port 8080 --workers 4', allocator: LIBC,
			start_ts: 0.004e9, end_ts: running ? null : Math.round(T), end_reason: running ? null : 'exited', exit_status: running ? null : 0,
			allocs: sum('allocs'), frees: sum('frees'), live_blocks: sum('live_blocks'), live_bytes: sum('live_bytes'), errors: ERRORS.length },
		{ id: 3, pid: 4130, ppid: 4117, exe: '/usr/local/bin/metrics-agent', command: 'metrics-agent --push', allocator: null,
			start_ts: 1.5e9, end_ts: running ? null : Math.round(T), end_reason: running ? null : 'recording_end', exit_status: null,
			allocs: 0, frees: 0, live_blocks: 0, live_bytes: 0, errors: 0 },
	];
}

// Every event emitted was received; those after the cut were not stored.
function events(allocs, frees) {
	const kinds = [
		{ kind: 'alloc', emitted: allocs + 12, dropped: 1200, received: allocs + 12, stored: allocs, after_cut: 12 },
		{ kind: 'free', emitted: frees + 9, dropped: 624, received: frees + 9, stored: frees, after_cut: 9 },
		{ kind: 'stack', emitted: 5210, dropped: 0, received: 5210, stored: 5210, after_cut: 0 },
	];
	const sum = (k) => kinds.reduce((a, c) => a + c[k], 0);
	return { emitted: sum('emitted'), dropped: sum('dropped'), received: sum('received'), stored: sum('stored'), after_cut: sum('after_cut'), accounted: true, kinds };
}

function summary() {
	const T = now();
	const sites = allSites();
	const sum = (k) => sites.reduce((a, s) => a + s[k], 0);
	const running = isLive();
	return {
		pid: 4117, mode: live ? 'attach' : 'launch', command: '/srv/demo/build/httpd-demo --port 8080 --workers 4', exe: EXE, allocator: LIBC,
		start_time_ns: 1795766000000000000, duration_ns: Math.round(T), end_reason: running ? null : 'exited', exit_status: running ? null : 0, live: running,
		allocs: sum('allocs'), frees: sum('frees'), alloc_bytes: sum('bytes'), live_blocks: sum('live_blocks'), live_bytes: sum('live_bytes'),
		peak_bytes: Math.round(sum('live_bytes') * 1.04), peak_ts: Math.round(T * 0.97), dropped_events: live ? 0 : 1824, untracked_frees: live ? 312 : 0,
		stack_collisions: 0, stack_map_full: 0, double_frees: 1, invalid_frees: 1, stacks: stackQuality(sites),
		pid_filter: null, cut_ts: running ? null : Math.round(T), first_drop_ts: live ? null : FIRST_DROP_TS,
		unreliable_errors: live ? 0 : ERRORS.filter((e) => e.unreliable).length,
		events: running ? null : events(sum('allocs'), sum('frees')),
		processes: processes(sites, T, running),
		notices: [{ pid: 4130, kind: 'go_heap', message: 'a Go program: its heap is managed by the Go runtime, not malloc; only C allocations are recorded' }],
	};
}

function api(path, q) {
	// Every route takes pid=N as the server does; this made-up recording answers for all of them.
	if (q.has('pid') && !/^[1-9]\d{0,9}$/.test(q.get('pid'))) throw new BadRequest(`pid: expected a process id, got "${q.get('pid')}"`);
	switch (path) {
	case '/api/daemon': // as `heapscope serve` answers it: not the daemon
		return { daemon: false };
	case '/api/summary':
		return summary();
	case '/api/sites': {
		const by = q.get('group') || 'stack';
		if (!['stack', 'function', 'file'].includes(by)) throw new BadRequest('group: expected stack, function or file');
		const sort = q.get('sort') || 'bytes';
		if (!SORTS.includes(sort)) throw new BadRequest(`sort: unknown column "${sort}"`);
		const order = q.get('order') || 'desc';
		if (!['asc', 'desc'].includes(order)) throw new BadRequest('order: expected asc or desc');
		const fn = (q.get('function') || '').toLowerCase();
		const file = (q.get('file') || '').toLowerCase();
		let rows = allSites().filter((s) => (!fn || String(s.frames[0].function ?? '').toLowerCase().includes(fn)) && (!file || String(s.frames[0].file ?? '').toLowerCase().includes(file)));
		rows = group(rows, by);
		const dir = order === 'asc' ? 1 : -1;
		rows.sort((a, b) => {
			const av = a[sort];
			const bv = b[sort];
			if ((av === null) !== (bv === null)) return av === null ? 1 : -1;
			return (av === bv ? 0 : av < bv ? -1 : 1) * dir || a.site - b.site;
		});
		const offset = intParam(q, 'offset', 0);
		const limit = intParam(q, 'limit', 1000, 100000);
		return { total: rows.length, sites: rows.slice(offset, offset + limit) };
	}
	case '/api/site': {
		if (!q.has('id')) throw new BadRequest('id: missing');
		const i = siteParam(q, 'id');
		return { site: siteAt(SPECS[i], i + 1, now()), lifetimes: lifetimesOf(i), sizes: sizesOf(i), timeline: timeline(0, null, Math.max(1000, Math.ceil(now() / 120)), i) };
	}
	case '/api/leaks':
		return leaks(q);
	case '/api/lifetimes':
		return lifetimesOf(siteParam(q, 'site'));
	case '/api/sizes':
		return sizesOf(siteParam(q, 'site'));
	case '/api/timeline': {
		const from = intParam(q, 'from', 0);
		const to = q.has('to') ? intParam(q, 'to', null) : null;
		const res = intParam(q, 'resolution', 0);
		if (to !== null && to <= from) throw new BadRequest('to: must be after from');
		if (res && to !== null && (to - from) / res > 100000) throw new BadRequest('resolution: too fine for this range');
		return timeline(from, to, res, siteParam(q, 'site'));
	}
	case '/api/errors':
		return live ? ERRORS.map((e) => ({ ...e, unreliable: false })) : ERRORS;
	case '/api/advice':
		return advice();
	case '/api/flame':
		return flame(q.get('weight') || 'bytes');
	default:
		return undefined;
	}
}

function send(res, status, type, body) {
	res.writeHead(status, { 'Content-Type': type, 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
	res.end(body);
}
const json = (res, status, v) => send(res, status, 'application/json', JSON.stringify(v));

const server = createServer(async (req, res) => {
	const url = new URL(req.url, 'http://127.0.0.1');
	const path = url.pathname;
	if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'only GET' });
	if (path.startsWith('/api/') && upstream) {
		try {
			const r = await fetch(new URL(req.url, upstream));
			return send(res, r.status, r.headers.get('content-type') || 'application/json', Buffer.from(await r.arrayBuffer()));
		} catch (e) {
			return json(res, 502, { error: `upstream ${upstream}: ${e.message}` });
		}
	}
	if (path.startsWith('/api/')) {
		try {
			const v = api(path, url.searchParams);
			if (v === undefined) return json(res, 404, { error: `no route ${path}` });
			return json(res, 200, v);
		} catch (e) {
			return json(res, e instanceof BadRequest ? 400 : e.status || 500, { error: e.message });
		}
	}
	let rel = null;
	if (path === '/' || path === '/index.html') rel = 'index.html';
	else if (path.startsWith('/assets/')) rel = decodeURIComponent(path.slice('/assets/'.length));
	const file = rel === null ? null : normalize(join(WEB, rel));
	if (!file || !file.startsWith(WEB + sep) || rel.includes('..') || /(^|\/)(node_modules|package(-lock)?\.json)/.test(rel)) {
		return json(res, 404, { error: `not found: ${path}` });
	}
	try {
		const body = await readFile(file);
		send(res, 200, TYPES[extname(file)] || 'application/octet-stream', body);
	} catch {
		json(res, 404, { error: `not found: ${path}` });
	}
});

server.listen(port, '127.0.0.1', () => {
	process.stdout.write(`http://127.0.0.1:${server.address().port}/\n`);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
	process.on(sig, () => {
		server.close(() => process.exit(0));
		server.closeAllConnections();
	});
}

// A stand-in for `heapscope daemon` (its dashboard API, made up): the token login, the
// recordings and processes lists, record/stop/delete, diff and trend; a recording's own routes
// are those of tests/web/mock_server.mjs (a live one while it runs, a finished one after).
//
// usage: node tests/web/mock_daemon.mjs [--port N]
//   prints "heapscope: dashboard at http://127.0.0.1:PORT/?token=TOKEN" on stderr, as the daemon.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const HERE = dirname(fileURLToPath(import.meta.url));
const WEB = join(HERE, '..', '..', 'web');
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
const args = process.argv.slice(2);
const port = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 0;
const TOKEN = randomBytes(12).toString('hex');
const SESSION = randomBytes(12).toString('hex');

// Two mock_server.mjs: one live (running recordings), one finished.
function child(extra) {
	const p = spawn(process.execPath, [join(HERE, 'mock_server.mjs'), '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
	return new Promise((res) => p.stdout.once('data', (d) => res({ proc: p, url: String(d).trim() })));
}
const [liveUp, doneUp] = await Promise.all([child(['--live']), child([])]);

const t0 = Date.now();
let nextId = 3;
const recs = [
	{ id: '1', state: 'ended', pid: 4130, pids: [4130], command: '/srv/demo/build/httpd-demo --port 8080', mode: 'attach', rule: null, start_ns: (t0 - 3600e3) * 1e6, duration_s: 12.4, size_bytes: 5.2e6, allocs: 1839210, frees: 1830001, live_bytes: 3.1e6, live_blocks: 9209, errors: 3, end_reason: 'stopped', sample_bytes: 0, stack: 'dwarf' },
	{ id: '2', state: 'cut_short', pid: 4130, pids: [4130], command: '/srv/demo/build/httpd-demo --port 8080', mode: 'attach', rule: 'httpd', start_ns: (t0 - 1800e3) * 1e6, duration_s: 60, size_bytes: 1.1e6, allocs: 902113, frees: 900000, live_bytes: 4.4e6, live_blocks: 2113, errors: 0, end_reason: 'cut_short', sample_bytes: 131072, stack: 'fp' },
];
const procs = [
	{ pid: 1, user: 'root', command: '/sbin/init', rss_bytes: 12e6, allocator: 'glibc', recording: null },
	{ pid: 4130, user: 'www', command: '/srv/demo/build/httpd-demo --port 8080', rss_bytes: 220e6, allocator: 'jemalloc', recording: null },
	{ pid: 5021, user: 'www', command: 'redis-server *:6379', rss_bytes: 84e6, allocator: 'jemalloc', recording: null },
	{ pid: 2, user: 'root', command: '', rss_bytes: 0, allocator: null, recording: null },
];

function running(r) {
	const el = (Date.now() - r.started) / 1e3;
	if (r.state === 'running' && r.duration && el >= r.duration) Object.assign(r, { state: 'ended', end_reason: 'duration' });
	if (r.state === 'running') {
		r.duration_s = el;
		r.allocs = Math.round(el * 120000);
		r.frees = Math.round(el * 119000);
		r.live_bytes = Math.round(el * 40000);
		r.live_blocks = Math.round(el * 1000);
		r.size_bytes = Math.round(el * 300000);
	}
	return r;
}

function diff(q) {
	const a = recs.find((r) => r.id === q.get('a'));
	const b = recs.find((r) => r.id === q.get('b'));
	if (!a || !b) throw Object.assign(new Error(`no recording ${!a ? q.get('a') : q.get('b')}`), { status: 404 });
	const fr = (fn, file, line) => ({ function: fn, file, line, module: '/srv/demo/build/httpd-demo' });
	const side = (x, y) => ({ allocs: x, bytes: x * 64, live_blocks: y, live_bytes: y * 300 });
	const sites = [
		{ key: 'k1', function: 'leak_c', frames: [fr('leak_c', '/srv/demo/src/session.c', 35), fr('handle_request', '/srv/demo/src/server.c', 214)], a: side(2000, 2000), b: side(9000, 9000), status: 'both' },
		{ key: 'k2', function: 'cache_put', frames: [fr('cache_put', '/srv/demo/src/cache.c', 51)], a: side(0, 0), b: side(300, 300), status: 'new' },
		{ key: 'k3', function: 'parse_json', frames: [fr('parse_json', '/srv/demo/src/json.c', 402)], a: side(90000, 10), b: side(120000, 10), status: 'both' },
		{ key: 'k4', function: 'old_path', frames: [fr('old_path', '/srv/demo/src/old.c', 9)], a: side(500, 400), b: side(0, 0), status: 'gone' },
	];
	for (const s of sites) s.delta = Object.fromEntries(Object.keys(s.a).map((k) => [k, s.b[k] - s.a[k]]));
	sites.sort((x, y) => y.delta.live_bytes - x.delta.live_bytes);
	const sum = (k) => Object.fromEntries(Object.keys(sites[0].a).map((m) => [m, sites.reduce((t, s) => t + s[k][m], 0)]));
	const ta = sum('a');
	const tb = sum('b');
	const w = (r, from, to) => ({ label: `#${r.id} ${r.command}`, path: `/data/${r.id}.db`, from_ns: from === null ? null : from * 1e9, to_ns: to === null ? null : to * 1e9, sampled: r.sample_bytes > 0 });
	const n = (k) => (q.has(k) ? Number(q.get(k)) : null);
	return {
		a: w(a, n('a_from'), n('a_to')), b: w(b, n('b_from'), n('b_to')),
		totals: { a: ta, b: tb, delta: Object.fromEntries(Object.keys(ta).map((k) => [k, tb[k] - ta[k]])) },
		sites,
	};
}

function trend(q) {
	if (!recs.some((r) => r.rule === q.get('rule'))) throw Object.assign(new Error(`no rule ${q.get('rule')}`), { status: 404 });
	const windows = [0, 1, 2, 3, 4, 5].map((i) => ({ label: `window ${i + 1}`, path: `/data/w${i}.db`, start_ns: (t0 - (6 - i) * 600e3) * 1e6, end_reason: 'duration' }));
	const fr = (fn) => [{ function: fn, file: `/srv/demo/src/${fn}.c`, line: 10, module: '/srv/demo/build/httpd-demo' }];
	return {
		windows,
		sites: [
			{ key: 'k1', function: 'leak_c', frames: fr('leak_c'), live_bytes: [1, 2, 3, 4, 5, 6].map((i) => i * 300e3), live_blocks: [1, 2, 3, 4, 5, 6].map((i) => i * 1000) },
			{ key: 'k2', function: 'cache_put', frames: fr('cache_put'), live_bytes: [5, 5, 5.2, 5.1, 5, 5.1].map((i) => i * 200e3), live_blocks: [5, 5, 5, 5, 5, 5].map((i) => i * 100) },
			{ key: 'k3', function: 'session_new', frames: fr('session_new'), live_bytes: [3, 1, 4, 1, 5, 9].map((i) => i * 50e3), live_blocks: [3, 1, 4, 1, 5, 9] },
		],
	};
}

async function body(req) {
	let s = '';
	for await (const c of req) s += c;
	return s ? JSON.parse(s) : {};
}

function send(res, status, type, b, extra) {
	res.writeHead(status, Object.assign({ 'Content-Type': type, 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' }, extra || {}));
	res.end(b);
}
const json = (res, status, v) => send(res, status, 'application/json', JSON.stringify(v));

async function api(req, res, path, q) {
	const m = /^\/api\/recordings\/([^/]+)(?:\/(.*))?$/.exec(path);
	if (path === '/api/daemon') return json(res, 200, { daemon: true, version: '0.1.0', hostname: 'mockhost', data_dir: '/var/lib/heapscope', running_max: 4 });
	if (path === '/api/recordings' && req.method === 'GET') return json(res, 200, { recordings: recs.map(running) });
	if (path === '/api/recordings' && req.method === 'POST') {
		if (!/^application\/json/.test(req.headers['content-type'] || '')) return json(res, 415, { error: 'expected application/json' });
		const b = await body(req);
		const p = procs.find((x) => x.pid === b.pid);
		if (!p) return json(res, 400, { error: `pid ${b.pid}: no such process` });
		if (!p.allocator) return json(res, 400, { error: `pid ${b.pid}: no allocator heapscope can probe` });
		const r = { id: String(nextId++), state: 'running', pid: p.pid, pids: [p.pid], command: p.command, mode: 'attach', rule: null, start_ns: Date.now() * 1e6, started: Date.now(), duration: b.duration, duration_s: 0, size_bytes: 0, allocs: 0, frees: 0, live_bytes: 0, live_blocks: 0, errors: 0, end_reason: null, sample_bytes: b.sample, stack: b.stack };
		recs.push(r);
		p.recording = r.id;
		return json(res, 201, { id: r.id });
	}
	if (path === '/api/processes') {
		for (const p of procs) if (p.recording && recs.find((r) => r.id === p.recording)?.state !== 'running') p.recording = null;
		return json(res, 200, { processes: procs });
	}
	if (path === '/api/diff') return json(res, 200, diff(q));
	if (path === '/api/rules') {
		return json(res, 200, { rules: [
			{ name: 'httpd', comm: 'httpd-demo', cgroup: null, window_s: 60, sample_bytes: 131072, estimated: true, stack: 'fp', keep: 6, keep_bytes: 2 ** 31, push: true,
				recording_pids: recs.filter((r) => r.rule === 'httpd' && running(r).state === 'running').map((r) => r.pid), windows: recs.filter((r) => r.rule === 'httpd' && r.state !== 'running').length },
			{ name: 'nightly', comm: null, cgroup: '/system.slice/batch.service', window_s: 600, sample_bytes: 0, estimated: false, stack: 'dwarf', keep: 0, keep_bytes: 0, push: false, recording_pids: [], windows: 0 },
		] });
	}
	if (path === '/api/trend' && !['httpd', 'nightly'].includes(q.get('rule'))) return json(res, 404, { error: 'no such rule in the daemon\'s config file' });
	if (path === '/api/trend') return json(res, 200, trend(q));
	if (m) {
		const r = recs.find((x) => x.id === m[1]);
		if (!r) return json(res, 404, { error: `no recording ${m[1]}` });
		if (!m[2] && req.method === 'DELETE') {
			recs.splice(recs.indexOf(r), 1);
			return json(res, 200, { id: r.id });
		}
		if (m[2] === 'stop' && req.method === 'POST') {
			if (r.state === 'running') Object.assign(running(r), { state: 'ended', end_reason: 'stopped' });
			return json(res, 200, { id: r.id, state: r.state });
		}
		if (m[2] === 'download') return send(res, 200, 'application/octet-stream', 'mock', { 'Content-Disposition': `attachment; filename="rec-${r.id}.${q.get('format')}"` });
		const up = running(r).state === 'running' ? liveUp.url : doneUp.url;
		const u = new URL('/api/' + m[2] + (q.toString() ? '?' + q : ''), up);
		const rr = await fetch(u);
		return send(res, rr.status, 'application/json', Buffer.from(await rr.arrayBuffer()));
	}
	return json(res, 404, { error: `no route ${path}` });
}

const server = createServer(async (req, res) => {
	const url = new URL(req.url, 'http://127.0.0.1');
	const path = url.pathname;
	const cookie = /(?:^|;\s*)hs_session=([0-9a-f]+)/.exec(req.headers.cookie || '');
	if (path === '/' && url.searchParams.get('token') === TOKEN) {
		return send(res, 302, 'text/plain', '', { Location: '/', 'Set-Cookie': `hs_session=${SESSION}; HttpOnly; SameSite=Strict; Path=/` });
	}
	if (!cookie || cookie[1] !== SESSION) return json(res, 401, { error: 'not logged in: open the URL the daemon printed' });
	if (path.startsWith('/api/')) {
		try {
			return await api(req, res, path, url.searchParams);
		} catch (e) {
			return json(res, e.status || 500, { error: e.message });
		}
	}
	const rel = path === '/' ? 'index.html' : path.startsWith('/assets/') ? decodeURIComponent(path.slice(8)) : null;
	const file = rel === null ? null : normalize(join(WEB, rel));
	if (!file || !file.startsWith(WEB + sep) || rel.includes('..')) return json(res, 404, { error: `not found: ${path}` });
	try {
		send(res, 200, TYPES[extname(file)] || 'application/octet-stream', await readFile(file));
	} catch {
		json(res, 404, { error: `not found: ${path}` });
	}
});

server.listen(port, '127.0.0.1', () => {
	process.stderr.write(`heapscope: dashboard at http://127.0.0.1:${server.address().port}/?token=${TOKEN}\n`);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
	process.on(sig, () => {
		liveUp.proc.kill();
		doneUp.proc.kill();
		server.close(() => process.exit(0));
		server.closeAllConnections();
	});
}

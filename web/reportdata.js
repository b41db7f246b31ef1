// The HTML report's API: answers the dashboard's requests (/api/summary, /api/sites, ...) from
// the report JSON embedded in the page, as the server would from the recording. What the report
// does not hold (sites grouped by function or file, one site's histograms and timeline, leaks
// by age, one process) is an Error with status 404 and `unavailable` set.
import { arr, num } from './format.js';

export class ReportDataError extends Error {
	constructor(message) {
		super(message);
		this.status = 404;
		this.unavailable = true;
	}
}

const NOT_IN_REPORT = 'not in this HTML report (see it with heapscope serve)';
// What a time window needs (the allocation rows) is not in the page: only the timeline, which
// holds the recorder's samples, can be cut to a window here.
const WINDOW_NOT_IN_REPORT = 'a time window of this view is not in this HTML report: it needs the recording\'s allocations (open it with heapscope serve, or heapscope report --from/--to)';

function intParam(q, key, def) {
	const v = q.get(key);
	return v === null ? def : Number(v);
}

// The stack-grouped sites, sorted as the server sorts them (then by site id), one page.
function sites(d, q) {
	if ((q.get('group') || 'stack') !== 'stack') throw new ReportDataError(`sites grouped by ${q.get('group')}: ${NOT_IN_REPORT}`);
	const key = q.get('sort') || 'bytes';
	const asc = q.get('order') === 'asc';
	const fn = q.get('function');
	const file = q.get('file');
	const matches = (s) => {
		const f = arr(s.frames)[0] || {};
		return (!fn || (typeof f.function === 'string' && f.function.includes(fn))) &&
			(!file || (typeof f.file === 'string' && f.file.includes(file)));
	};
	const all = arr(d.sites).filter(matches).sort((a, b) => {
		const x = num(a[key]) ?? 0;
		const y = num(b[key]) ?? 0;
		const c = x < y ? -1 : x > y ? 1 : a.site < b.site ? -1 : 1;
		return asc ? c : -c;
	});
	const offset = intParam(q, 'offset', 0);
	const limit = intParam(q, 'limit', 50);
	const page = { total: all.length, sites: all.slice(offset, offset + limit) };
	// As the server says it of a sampled recording's sites.
	if (d.sampling) page.estimated = true;
	return page;
}

function leaks(d, q) {
	if ((q.get('group') || 'stack') !== 'stack') throw new ReportDataError(`leaks grouped by ${q.get('group')}: ${NOT_IN_REPORT}`);
	if (q.get('min_age')) throw new ReportDataError(`leaks older than ${q.get('min_age')} s: ${NOT_IN_REPORT}`);
	const limit = intParam(q, 'limit', 100);
	return limit ? arr(d.leaks).slice(0, limit) : arr(d.leaks);
}

// The report's timeline re-bucketed to [from, to] by resolution, as store/reader.c's
// timeline_all does with the recorder's samples: counts add up, live state is the last one.
function timeline(d, q) {
	const pts = arr(d.timeline);
	const end = pts.length ? num(pts[pts.length - 1].ts) : 0;
	const from = intParam(q, 'from', 0);
	const to = intParam(q, 'to', num(d.summary && d.summary.duration_ns) || end);
	let res = intParam(q, 'resolution', 0) || Math.floor((to - from) / 200);
	const step = pts.length > 1 ? num(pts[1].ts) - num(pts[0].ts) : 1e8;
	res = Math.max(res, step, 1);
	const n = Math.max(1, Math.ceil((to - from) / res));
	if (n > 1e6) throw new ReportDataError('timeline resolution too fine');
	const out = Array.from({ length: n }, (_, i) => ({ ts: from + (i + 1) * res, live_bytes: 0, live_blocks: 0, allocs: 0, frees: 0, alloc_bytes: 0, free_bytes: 0, filled: false }));
	let prev = { live_bytes: 0, live_blocks: 0 };
	for (const p of pts) {
		const ts = num(p.ts);
		if (ts <= from) {
			prev = { live_bytes: p.live_bytes, live_blocks: p.live_blocks };
			continue;
		}
		const i = Math.floor((ts - from - 1) / res);
		if (i >= n) break;
		const o = out[i];
		o.live_bytes = p.live_bytes;
		o.live_blocks = p.live_blocks;
		for (const k of ['allocs', 'frees', 'alloc_bytes', 'free_bytes']) o[k] += num(p[k]) || 0;
		o.filled = true;
	}
	for (const o of out) {
		if (o.filled) prev = o;
		else Object.assign(o, { live_bytes: prev.live_bytes, live_blocks: prev.live_blocks });
		delete o.filled;
	}
	return out;
}

// The flame tree of server/flame.c: outermost frames first, each node the sum of its sites.
function flame(d, q) {
	const weight = q.get('weight') || 'bytes';
	if (!['bytes', 'allocs', 'live_bytes'].includes(weight)) throw new ReportDataError(`weight ${weight}: unknown`);
	const nameOf = (f) => (typeof f.function === 'string' ? f.function : '0x' + (num(f.addr) || 0).toString(16));
	const same = (a, b) => a.function === b.function && a.file === b.file && a.line === b.line && (a.function !== null && a.function !== undefined || a.addr === b.addr);
	const root = { name: 'all', value: 0, children: [], frame: null };
	for (const s of arr(d.sites)) {
		const w = num(s[weight]) || 0;
		if (w <= 0) continue;
		root.value += w;
		let node = root;
		const frames = arr(s.frames);
		for (let i = frames.length - 1; i >= 0; i--) {
			const f = frames[i];
			let kid = node.children.find((k) => same(k.frame, f));
			if (!kid) {
				kid = { name: nameOf(f), file: f.file ?? null, line: f.line ?? null, module: f.module ?? null, value: 0, children: [], frame: f };
				node.children.push(kid);
			}
			kid.value += w;
			node = kid;
		}
	}
	const finish = (n) => {
		delete n.frame;
		n.children.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
		n.children.forEach(finish);
		return n;
	};
	return finish(root);
}

const ROUTES = {
	'/api/summary': (d) => d.summary,
	'/api/sites': sites,
	'/api/site': (d, q) => {
		const id = intParam(q, 'id', null);
		const s = arr(d.sites).find((x) => x.site === id);
		if (!s) throw new ReportDataError(`site ${q.get('id')}: no such site in this report`);
		return { site: s, lifetimes: null, sizes: null, timeline: null, partial: true };
	},
	'/api/leaks': leaks,
	'/api/lifetimes': (d, q) => {
		if (q.get('site')) throw new ReportDataError(`the lifetimes of one site: ${NOT_IN_REPORT}`);
		return d.lifetimes;
	},
	'/api/sizes': (d, q) => {
		if (q.get('site')) throw new ReportDataError(`the sizes of one site: ${NOT_IN_REPORT}`);
		return d.sizes;
	},
	'/api/timeline': (d, q) => {
		if (q.get('site')) throw new ReportDataError(`the timeline of one site: ${NOT_IN_REPORT}`);
		return timeline(d, q);
	},
	'/api/flame': flame,
	'/api/errors': (d) => arr(d.errors),
	'/api/advice': (d) => arr(d.advice),
};

// answer(report, '/api/sites', URLSearchParams): what the server would send, or a thrown
// ReportDataError.
export function answer(d, path, q) {
	const route = ROUTES[path];
	if (!route) throw new ReportDataError(`${path}: no such route`);
	if (q.get('pid')) throw new ReportDataError(`one process (pid ${q.get('pid')}): ${NOT_IN_REPORT}`);
	if ((q.has('from') || q.has('to')) && path !== '/api/timeline') throw new ReportDataError(WINDOW_NOT_IN_REPORT);
	return route(d, q);
}

// Overview: summary cards (the stacks' quality and the last reachability scan among them), the
// processes when there are several, the heap timeline (live bytes, alloc/free rates; drag to
// select a time window, kept in the URL as from/to: every view then shows the allocations made in
// it) and the top leak suspects and sites. With a window, the cards are the window's summary (the
// scan stays the recording's last).
import { getJson, requests } from './api.js';
import { INCRS, timeChart } from './charts.js';
import { clear, cssVar, el, errorNote, estBadge, note, panel } from './dom.js';
import { arr, fmtBytes, fmtBytesTick, fmtCount, fmtDur, fmtOffset, fmtPct, fmtRate, fmtScanKind, MISUSE_UNCHECKED, num, plural, sampling, SCAN_KINDS, shortLoc, siteName, str, topFrame } from './format.js';

// est: the summary of a sampled recording, whose numbers are estimates (the label's badge).
function card(key, label, value, raw, detail, cls, est) {
	return el('div', { class: 'card' + (cls ? ' ' + cls : ''), 'data-card': key }, [
		el('div', { class: 'k' }, [label, estBadge(est)]),
		el('div', { class: 'v', text: value, title: value, 'data-value': raw === null || raw === undefined ? null : String(raw) }),
		detail ? el('div', { class: 'd', text: detail, title: detail }) : null,
	]);
}

function renderCards(box, s) {
	clear(box);
	const dropped = num(s.dropped_events);
	const errs = (num(s.double_frees) || 0) + (num(s.invalid_frees) || 0);
	const lost = (num(s.stack_collisions) || 0) + (num(s.stack_map_full) || 0);
	// A sampled recording's counts are estimates; its misuse is not checked at all.
	const est = sampling(s) ? s : null;
	box.append(
		card('dropped', 'Dropped events', fmtCount(dropped), dropped,
			dropped > 0 ? 'data incomplete' : 'none lost', dropped > 0 ? 'bad' : dropped === 0 ? 'good' : null),
		card('duration', s.live ? 'Recording for' : 'Duration', fmtDur(s.duration_ns), s.duration_ns,
			s.live ? 'live' : s.end_reason ? String(s.end_reason) + (num(s.exit_status) !== null ? ', status ' + s.exit_status : '') : null),
		card('allocs', 'Allocations', fmtCount(s.allocs), s.allocs, fmtBytes(s.alloc_bytes) + ' allocated', null, est),
		card('frees', 'Frees', fmtCount(s.frees), s.frees, num(s.untracked_frees) ? fmtCount(s.untracked_frees) + ' untracked' : null, null, est),
		card('live_blocks', 'Live blocks', fmtCount(s.live_blocks), s.live_blocks, s.live ? 'now' : 'at the end', num(s.live_blocks) > 0 ? 'warn' : null, est),
		card('live_bytes', 'Live bytes', fmtBytes(s.live_bytes), s.live_bytes, s.live ? 'now' : 'at the end', num(s.live_bytes) > 0 ? 'warn' : null, est),
		card('peak', 'Peak live', fmtBytes(s.peak_bytes), s.peak_bytes, num(s.peak_ts) !== null ? 'at +' + fmtDur(s.peak_ts) : null, null, est),
		est
			? card('errors', 'Errors', 'n/a', null, MISUSE_UNCHECKED, null)
			: card('errors', 'Errors', fmtCount(errs), errs,
				`${fmtCount(num(s.double_frees) || 0)} double, ${fmtCount(num(s.invalid_frees) || 0)} invalid`, errs > 0 ? 'bad' : null),
	);
	if (lost > 0) box.append(card('stacks_lost', 'Stacks lost', fmtCount(lost), lost, 'collisions / full map', 'warn'));
	if (s.stacks) box.append(stacksCard(s.stacks, est));
	if (s.last_scan) box.append(scanCard(s.last_scan, est));
}

// The last reachability scan, a strip like the stack quality's: its definitely lost bytes; when,
// what asked for it and how long the process stood still; the four verdicts. A recording never
// scanned has none. (A sampled recording refuses scans: should one carry a scan, its counts are
// of the sampled blocks only, unweighted, and the card says so.)
function scanCard(sc, est) {
	const def = sc.definitely_lost || {};
	const when = `pid ${str(sc.pid)}, ${str(sc.trigger)}, at +${fmtDur(sc.ts_ns)}: stopped ${fmtDur(sc.stop_ns)} (${plural(sc.threads, 'thread')})`;
	return el('div', { class: 'card scan' + (num(def.blocks) > 0 ? ' warn' : ''), 'data-card': 'last_scan' }, [
		el('div', null, [
			el('div', { class: 'k', text: num(sc.scans) > 1 ? `Last of ${fmtCount(sc.scans)} reachability scans` : 'Last reachability scan' }),
			el('div', { class: 'v', text: `${fmtBytes(def.bytes)} definitely lost`, 'data-value': num(def.bytes) === null ? null : String(def.bytes) }),
		]),
		el('div', null, [
			el('div', { class: 'd when', text: when, title: when }),
			el('div', { class: 'd kinds' }, SCAN_KINDS.flatMap((k, i) => [i ? ' · ' : null, el('span', {
				'data-kind': k.key,
				'data-blocks': String(num((sc[k.key] || {}).blocks)),
				'data-bytes': String(num((sc[k.key] || {}).bytes)),
				text: fmtScanKind(sc, k),
			})])),
			est ? el('div', { class: 'd hint', text: 'A sampled recording: these count the sampled blocks only, unweighted.' }) : null,
		]),
	]);
}

// Stack quality, a strip across the cards: the share of allocations whose stack reaches the
// program's entry; beside it the depth, what cut the others short (in allocations) and the
// store's hint when too few are complete.
function stacksCard(q, est) {
	const allocs = num(q.allocs) || 0;
	const share = allocs ? num(q.complete_allocs_share) : null;
	const mean = num(q.mean_depth);
	const cut = arr(q.ends).filter((e) => e.walk_end !== 'complete');
	const cutText = 'cut short: ' + (cut.length ? cut.map((e) => `${e.walk_end} ${fmtCount(e.allocs)}`).join(' · ') : 'none');
	const depth = allocs ? `mean depth ${mean === null ? '–' : mean.toFixed(1)} frames, p99 ${fmtCount(q.p99_depth)}` : 'no allocations yet';
	return el('div', { class: 'card stackq' + (q.hint ? ' warn' : allocs ? ' good' : ''), 'data-card': 'stacks' }, [
		el('div', null, [
			el('div', { class: 'k' }, [`Stacks reaching entry · ${q.mode || '?'}`, estBadge(est)]),
			el('div', { class: 'v', text: fmtPct(share), 'data-value': share === null ? null : String(share) }),
		]),
		el('div', null, [
			el('div', { class: 'd', text: depth }),
			allocs ? el('div', { class: 'd ends', text: cutText, title: 'allocations whose stack stops before the entry, by reason' }) : null,
			q.hint ? el('div', { class: 'd hint', text: q.hint, title: q.hint }) : null,
		]),
	]);
}

// Allocation and free rates per second from per-interval counts (ts is the interval's end).
function toSeries(points, from) {
	const xs = [];
	const live = [];
	const allocRate = [];
	const freeRate = [];
	let prev = from;
	for (const p of points) {
		const ts = num(p.ts);
		if (ts === null) continue;
		const dt = Math.max(1, ts - prev) / 1e9;
		xs.push(ts);
		live.push(num(p.live_bytes));
		allocRate.push(num(p.allocs) === null ? null : p.allocs / dt);
		freeRate.push(num(p.frees) === null ? null : p.frees / dt);
		prev = ts;
	}
	return { xs, live, allocRate, freeRate };
}

// One row per traced program image (a process; the same pid again after an exec), shown when a
// recording holds more than one.
function renderProcesses(panelEl, box, s) {
	const procs = arr(s.processes);
	panelEl.hidden = procs.length <= 1;
	clear(box);
	if (procs.length <= 1) return;
	const cols = [['pid', 'num'], ['ppid', 'num'], ['command', ''], ['start', 'num'], ['end', 'num'], ['ended', ''],
		['allocations', 'num'], ['frees', 'num'], ['live blocks', 'num'], ['live bytes', 'num'], ['errors', 'num']];
	const ended = (p) => (p.end_reason ? String(p.end_reason) + (num(p.exit_status) !== null ? ` (${p.exit_status})` : '') : 'running');
	box.appendChild(el('table', { id: 'processes-table' }, [
		el('thead', null, el('tr', null, cols.map(([t, c]) => el('th', { class: c || null, text: t })))),
		el('tbody', null, procs.map((p) => el('tr', { 'data-pid': String(p.pid), 'data-id': String(p.id) }, [
			el('td', { class: 'num mono', text: str(p.pid) }),
			el('td', { class: 'num mono muted', text: num(p.ppid) !== null ? String(p.ppid) : '–' }),
			el('td', { class: 'command', text: str(p.command) || str(p.exe), title: str(p.exe) }),
			el('td', { class: 'num', text: '+' + fmtOffset(p.start_ts) }),
			el('td', { class: 'num', text: num(p.end_ts) !== null ? '+' + fmtOffset(p.end_ts) : '–' }),
			el('td', { class: 'ended', text: ended(p) }),
			el('td', { class: 'num', 'data-key': 'allocs', 'data-value': String(p.allocs), text: fmtCount(p.allocs) }),
			el('td', { class: 'num', text: fmtCount(p.frees) }),
			el('td', { class: 'num', 'data-key': 'live_blocks', 'data-value': String(p.live_blocks), text: fmtCount(p.live_blocks) }),
			el('td', { class: 'num', text: fmtBytes(p.live_bytes) }),
			el('td', { class: 'num' + (num(p.errors) > 0 ? ' bad' : ''), text: num(p.errors) === null ? '–' : fmtCount(p.errors), title: num(p.errors) === null ? MISUSE_UNCHECKED : null }),
		]))),
	]));
}

function smallTable(rows) {
	return el('table', { class: 'toplist' }, el('tbody', null, rows));
}

export function mount(root, ctx, params) {
	const cards = el('div', { class: 'cards', id: 'cards' });
	const range = el('span', { class: 'chart-hint', id: 'timeline-range' });
	const reset = el('button', { type: 'button', id: 'timeline-reset', text: 'Show all', hidden: true, onclick: () => ctx.go({ from: null, to: null }) });
	const chartBox = el('div', { class: 'chart', id: 'timeline-chart' });
	const leaksBox = el('div', { id: 'top-leaks' });
	const sitesBox = el('div', { id: 'top-sites' });
	const procBox = el('div', { class: 'tablewrap' });
	const s0 = ctx.summary(); // sampled or exact: fixed for a recording
	const procPanel = panel('Processes', 'Every traced program image: a process, and the same pid again after each exec. Counts come from the call sites of each image.',
		procBox, { id: 'processes', hidden: true }, s0);
	root.append(
		cards,
		procPanel,
		panel('Heap over time', 'Live bytes (area, left axis), allocations and frees per second (right axis). Drag across the chart to select a time window: every view then shows the allocations made in it (live: not freed by the end); double-click or Show all to go back to the whole recording.',
			el('div', null, [el('div', { class: 'controls' }, [range, reset]), chartBox]), { id: 'timeline' }, s0),
		el('div', { class: 'grid2' }, [
			panel('Top leak suspects', null, leaksBox, { id: 'top-leaks-panel' }, s0),
			panel('Largest allocation sites', 'by bytes allocated', sitesBox, { id: 'top-sites-panel' }, s0),
		]),
	);
	let chart = null;
	let cur = params;
	const req = requests();

	function zoomRange() {
		const f = num(Number(cur.get('from')));
		const t = num(Number(cur.get('to')));
		return cur.has('from') && cur.has('to') && f !== null && t !== null && t > f ? [f, t] : null;
	}

	async function load() {
		const run = req.begin();
		const z = zoomRange();
		let s = ctx.summary();
		if (z) {
			// The window's own counts (the HTML report cannot compute them: it says so).
			try {
				s = await getJson('summary', null, run.signal);
			} catch (e) {
				if (e.name === 'AbortError' || run.stale()) return;
				clear(cards).appendChild(errorNote(e));
				s = null;
			}
			if (run.stale()) return;
		}
		if (s) renderCards(cards, s);
		renderProcesses(procPanel, procBox, s || ctx.summary());
		const from = z ? z[0] : 0;
		const to = z ? z[1] : num(ctx.summary().duration_ns);
		const points = Math.max(100, Math.min(600, Math.floor((chartBox.clientWidth || 900) / 2)));
		// Recordings keep 100 ms intervals; finer steps over a long range only split those
		// into spikes and gaps, so ranges of 2 s and more ask for no less than 100 ms.
		const step = to ? Math.max(1000, Math.ceil((to - from) / points)) : null;
		const q = { from, to, resolution: step && to - from >= 2e9 ? Math.max(step, 1e8) : step };
		reset.hidden = !z;
		range.textContent = z ? `Window +${fmtOffset(from)} … +${fmtOffset(to)} (${fmtDur(to - from)}): every view shows the allocations made in it` : `Whole recording${to ? ' (' + fmtDur(to) + ')' : ''}`;
		// Each part on its own: a window the HTML report cannot compute fails its tables only.
		const part = (p) => p.catch((e) => (e.name === 'AbortError' ? Promise.reject(e) : { failed: e }));
		let tl;
		let lk;
		let st;
		try {
			[tl, lk, st] = await Promise.all([
				part(getJson('timeline', q, run.signal)),
				part(getJson('leaks', { limit: 5 }, run.signal)),
				part(getJson('sites', { sort: 'bytes', order: 'desc', limit: 5 }, run.signal)),
			]);
		} catch (e) {
			if (e.name === 'AbortError' || run.stale()) return;
			throw e;
		}
		if (run.stale()) return;
		if (tl && tl.failed) clear(chartBox).appendChild(errorNote(tl.failed));
		else drawTimeline(arr(tl), from);
		if (lk && lk.failed) clear(leaksBox).appendChild(errorNote(lk.failed));
		else drawLeaks(arr(lk));
		if (st && st.failed) clear(sitesBox).appendChild(errorNote(st.failed));
		else drawSites(arr(st && st.sites));
		ctx.ready();
	}

	function drawTimeline(points, from) {
		const d = toSeries(points, from);
		if (!d.xs.length) {
			if (chart) chart.destroy();
			chart = null;
			clear(chartBox).appendChild(note('No samples in this range yet.'));
			return;
		}
		if (chart) {
			chart.setData([d.xs, d.live, d.allocRate, d.freeRate]);
			return;
		}
		clear(chartBox);
		chart = timeChart(chartBox, {
			xs: d.xs,
			height: 280,
			series: [
				{ label: 'live bytes', values: d.live, scale: 'bytes', color: cssVar('--accent'), fill: true, width: 2, fmt: fmtBytes, axisFmt: fmtBytesTick, incrs: INCRS.bytes },
				{ label: 'allocs/s', values: d.allocRate, scale: 'rate', color: cssVar('--bar-live'), fmt: fmtRate, axisFmt: fmtRate },
				{ label: 'frees/s', values: d.freeRate, scale: 'rate', color: cssVar('--free'), fmt: fmtRate, axisFmt: fmtRate },
			],
			// The last 100 ms interval ends after the recording does: a selection is kept within it.
			onZoom: (lo, hi) => {
				const end = num(ctx.summary().duration_ns);
				const a = Math.max(0, Math.floor(lo));
				const b = end ? Math.min(Math.ceil(hi), end) : Math.ceil(hi);
				if (b > a) ctx.go({ from: a, to: b });
			},
			onReset: () => ctx.go({ from: null, to: null }),
		});
	}

	function drawLeaks(leaks) {
		clear(leaksBox);
		if (!leaks.length) {
			leaksBox.appendChild(note('No blocks are live.'));
			return;
		}
		const max = Math.max(...leaks.map((l) => num(l.bytes) || 0), 1);
		leaksBox.appendChild(smallTable(leaks.map((l, i) => el('tr', null, [
			el('td', { class: 'rank', text: String(i + 1) }),
			el('td', { class: 'fn' }, el('a', { href: ctx.href('leaks', { site: l.site }), text: siteName(l), title: siteName(l) })),
			el('td', { class: 'loc', text: shortLoc(topFrame(l.frames)) }),
			el('td', { class: 'num' }, [el('span', { class: 'meter' }, el('span', { style: `width:${Math.round(((num(l.bytes) || 0) / max) * 100)}%` })), fmtBytes(l.bytes)]),
			el('td', { class: 'num muted', text: plural(l.blocks, 'block') }),
		]))));
	}

	function drawSites(sites) {
		clear(sitesBox);
		if (!sites.length) {
			sitesBox.appendChild(note('No allocations yet.'));
			return;
		}
		sitesBox.appendChild(smallTable(sites.map((s, i) => el('tr', null, [
			el('td', { class: 'rank', text: String(i + 1) }),
			el('td', { class: 'fn' }, el('a', { href: ctx.href('sites', { site: s.site }), text: siteName(s), title: siteName(s) })),
			el('td', { class: 'loc', text: shortLoc(topFrame(s.frames)) }),
			el('td', { class: 'num', text: fmtBytes(s.bytes) }),
			el('td', { class: 'num muted', text: plural(s.allocs, 'alloc') }),
		]))));
	}

	load();
	return {
		update(p) {
			cur = p;
			load();
		},
		refresh() {
			load();
		},
		destroy() {
			req.cancel();
			if (chart) chart.destroy();
		},
	};
}

// Leak suspects: sites whose blocks are still live, ranked by the server (/api/leaks), each
// with its live bytes over time as a sparkline; a click opens the site drawer.
import { apiPath, getJson, requests, sendJson } from './api.js';
import { sparkline } from './charts.js';
import { clear, el, errorNote, note, panel, seg } from './dom.js';
import { arr, fmtBytes, fmtCount, fmtDur, fmtNum, fmtScanKind, frameLoc, num, shortLoc, siteName, topFrame, GROUPS, SCAN_KINDS } from './format.js';
import { createSitePanel } from './sitepanel.js';

const LIMIT = 200;
const VERDICT_CLASS = { 'definitely lost': 'badge bad', 'indirectly lost': 'badge warn', 'possibly lost': 'badge warn', 'still reachable': 'muted', 'not scanned': 'muted' };

// The last reachability scan, one line: when, how long the process stood still, its verdicts.
function scanLine(sc) {
	if (!sc) return null;
	return `Last scan of pid ${sc.pid} (${sc.trigger}) at ${fmtDur(sc.ts_ns)}: stopped ${fmtDur(sc.stop_ns)}; ${SCAN_KINDS.map((k) => fmtScanKind(sc, k)).join(', ')}.`;
}
const SPARKS = 30; // rows that get a sparkline (one /api/site request each)

function opts(p) {
	const age = Number(p.get('min_age'));
	return {
		group: GROUPS.some((g) => g.value === p.get('group')) ? p.get('group') : 'stack',
		minAge: p.has('min_age') && Number.isFinite(age) && age > 0 ? age : 0,
		site: p.has('site') && /^\d+$/.test(p.get('site')) ? Number(p.get('site')) : null,
	};
}

export function mount(root, ctx, params) {
	let o = opts(params);
	const req = requests();
	const sparkCache = new Map(); // site -> canvas, kept across live refreshes until redrawn
	const panelSite = createSitePanel(() => ctx.go({ site: null }), ctx.summary);
	const ageInput = el('input', { type: 'number', min: 0, step: 'any', id: 'min-age', value: o.minAge || '', placeholder: '0', 'aria-label': 'Minimum age in seconds' });
	ageInput.addEventListener('change', () => ctx.go({ min_age: Number(ageInput.value) > 0 ? ageInput.value : null }, { replace: true }));
	const count = el('span', { class: 'muted', id: 'leaks-count' });
	const groupBox = el('span');
	const tableBox = el('div', { class: 'tablewrap', id: 'leaks-body' });
	const scanBox = el('div', { class: 'controls', id: 'scan-bar' });
	const heldBox = el('div', { class: 'tablewrap', id: 'held-body' });
	const daemon = apiPath('scan').startsWith('/api/recordings/');
	root.append(panel('Leak suspects',
		'Blocks still live, grouped by call site (or by function or file), strongest suspect first: score = bytes × (0.25 + 0.75 × growth), where growth is the share of the recording\'s tenths in which the live blocks were allocated. Click a row for its stack.',
		el('div', null, [
			scanBox,
			el('div', { class: 'controls' }, [groupBox, el('label', null, ['Older than', ageInput, 's']), el('span', { class: 'spacer' }), count]),
			tableBox,
			heldBox,
		]), null, ctx.summary()));

	// Scan now (the daemon, live), or how to scan (serve: GET only), and the last scan's line.
	let scanMsg = null;
	let localScan = null; // the summary's last_scan right after Scan now, before the live tick
	function drawScanBar() {
		const s = ctx.summary() || {};
		clear(scanBox);
		if (s.live && daemon) {
			const btn = el('button', { type: 'button', id: 'scan-now', text: 'Scan now', title: 'Stop the process for a moment and classify its live blocks as definitely, indirectly or possibly lost or still reachable' });
			btn.addEventListener('click', async () => {
				btn.disabled = true;
				btn.textContent = 'Scanning…';
				try {
					const r = await sendJson('POST', 'scan');
					scanMsg = `Scanned: the process stood still ${fmtDur(r.stop_ns)} (${r.threads} threads).`;
					localScan = (await getJson('summary')).last_scan || null;
				} catch (e) {
					scanMsg = 'Scan failed: ' + (e.message || e);
				}
				drawScanBar();
				load();
			});
			scanBox.appendChild(btn);
		} else if (s.live) {
			scanBox.appendChild(note(`For verdicts (definitely, indirectly, possibly lost, still reachable): heapscope scan -p ${s.pid || 'PID'}`));
		}
		if (scanMsg) scanBox.appendChild(el('span', { id: 'scan-result', text: scanMsg }));
		const line = scanLine(s.last_scan || localScan);
		if (line) scanBox.appendChild(el('span', { class: 'muted', id: 'last-scan', text: line }));
	}

	function row(l, i) {
		const f = topFrame(l.frames);
		const g = num(l.growth);
		const spark = el('span', { class: 'sparkcell', 'data-site': l.site });
		if (sparkCache.has(l.site)) spark.appendChild(sparkCache.get(l.site));
		return el('tr', {
			class: 'row',
			tabindex: 0,
			'data-site': num(l.site),
			'aria-selected': String(o.site !== null && l.site === o.site),
			onclick: () => ctx.go({ site: l.site }),
			onkeydown: (e) => {
				if (e.key === 'Enter') ctx.go({ site: l.site });
			},
		}, [
			el('td', { class: 'rank', text: String(i + 1) }),
			el('td', { class: 'fn', title: siteName(l), text: siteName(l) }),
			el('td', { class: 'loc', title: frameLoc(f), text: shortLoc(f) }),
			el('td', { class: 'num', 'data-value': num(l.blocks), text: fmtCount(l.blocks) }),
			el('td', { class: 'num', 'data-value': num(l.bytes), text: fmtBytes(l.bytes) }),
			el('td', { class: 'num', 'data-value': num(l.oldest_age_ns), text: fmtDur(l.oldest_age_ns) }),
			el('td', { class: 'num', 'data-value': g }, [
				g !== null && g >= 0 && g <= 1 ? el('span', { class: 'meter', title: 'growth ' + fmtNum(g) }, el('span', { style: `width:${Math.round(g * 100)}%` })) : null,
				fmtNum(g),
			]),
			el('td', null, spark),
			el('td', { class: 'num', 'data-value': num(l.score), text: fmtNum(l.score) }),
			scanned() ? el('td', { class: 'verdict' }, el('span', { class: VERDICT_CLASS[l.verdict] || 'muted', text: l.verdict || 'not scanned' })) : null,
		]);
	}

	const scanned = () => !!((ctx.summary() || {}).last_scan || localScan);

	// Held memory: what the last scan found still reachable (not leaks), below the suspects.
	async function loadHeld(run) {
		clear(heldBox);
		if (!scanned()) return;
		let held;
		try {
			held = arr(await getJson('held', { limit: LIMIT, min_age: o.minAge || null, group: o.group === 'stack' ? null : o.group }, run.signal));
		} catch (e) {
			if (e.name !== 'AbortError' && !run.stale()) heldBox.appendChild(errorNote(e));
			return;
		}
		if (run.stale()) return;
		const bytes = held.reduce((a, l) => a + (num(l.bytes) || 0), 0);
		heldBox.appendChild(el('h3', { text: `Held memory: still reachable at the last scan (${fmtCount(held.length)}, ${fmtBytes(bytes)})` }));
		if (!held.length) {
			heldBox.appendChild(note('Nothing still reachable.'));
			return;
		}
		heldBox.appendChild(el('table', { id: 'held-table' }, [
			el('thead', null, el('tr', null, ['#', 'Function', 'Location', 'Blocks', 'Bytes', 'Oldest'].map((c, i) => el('th', { class: i >= 3 ? 'num' : null, text: c })))),
			el('tbody', null, held.map((l, i) => {
				const f = topFrame(l.frames);
				return el('tr', { class: 'row', tabindex: 0, 'data-site': num(l.site), onclick: () => ctx.go({ site: l.site }) }, [
					el('td', { class: 'rank', text: String(i + 1) }),
					el('td', { class: 'fn', title: siteName(l), text: siteName(l) }),
					el('td', { class: 'loc', title: frameLoc(f), text: shortLoc(f) }),
					el('td', { class: 'num', text: fmtCount(l.blocks) }),
					el('td', { class: 'num', text: fmtBytes(l.bytes) }),
					el('td', { class: 'num', text: fmtDur(l.oldest_age_ns) }),
				]);
			})),
		]));
	}

	// Sparklines come from each site's timeline, a few requests at a time.
	async function loadSparks(leaks, run) {
		const queue = leaks.slice(0, SPARKS);
		const work = async () => {
			while (queue.length && !run.stale()) {
				const l = queue.shift();
				let d;
				try {
					d = await getJson('site', { id: l.site }, run.signal);
				} catch {
					continue;
				}
				if (run.stale()) return;
				const vals = arr(d.timeline).map((p) => num(p.live_bytes) || 0);
				const c = sparkline(vals, { width: 110, height: 24, label: 'live bytes of site ' + l.site });
				sparkCache.set(l.site, c);
				const cell = tableBox.querySelector(`.sparkcell[data-site="${Number(l.site)}"]`);
				if (cell) clear(cell).appendChild(c);
			}
		};
		await Promise.all([work(), work(), work(), work()]);
		if (!run.stale()) tableBox.dataset.sparks = 'done';
	}

	async function load() {
		const run = req.begin();
		drawScanBar();
		clear(groupBox).appendChild(seg(GROUPS, o.group, (g) => ctx.go({ group: g === 'stack' ? null : g, site: null }), 'Group by'));
		let leaks;
		try {
			leaks = arr(await getJson('leaks', { limit: LIMIT, min_age: o.minAge || null, group: o.group === 'stack' ? null : o.group }, run.signal));
		} catch (e) {
			if (e.name === 'AbortError' || run.stale()) return;
			clear(tableBox).appendChild(errorNote(e));
			return;
		}
		if (run.stale()) return;
		const bytes = leaks.reduce((a, l) => a + (num(l.bytes) || 0), 0);
		const unit = { stack: 'sites', function: 'functions', file: 'files' }[o.group];
		count.textContent = `${fmtCount(leaks.length)}${leaks.length >= LIMIT ? '+' : ''} ${unit}, ${fmtBytes(bytes)} live`;
		const keepX = tableBox.scrollLeft;
		clear(tableBox);
		delete tableBox.dataset.sparks;
		if (!leaks.length) {
			tableBox.appendChild(note(o.minAge ? 'No live blocks older than that.' : scanned() ? 'No leak suspects: the last scan found every live block still reachable (held memory below).' : 'No blocks are live: nothing leaked.'));
		} else {
			const cols = ['#', 'Function', 'Location', 'Blocks', 'Bytes', 'Oldest', 'Growth', 'Live bytes over time', 'Score'].concat(scanned() ? ['Verdict'] : []);
			const numc = new Set([3, 4, 5, 6, 8]);
			tableBox.appendChild(el('table', { id: 'leaks-table' }, [
				el('thead', null, el('tr', null, cols.map((c, i) => el('th', { class: numc.has(i) ? 'num' : null, text: c })))),
				el('tbody', null, leaks.map(row)),
			]));
			tableBox.scrollLeft = keepX;
		}
		await loadHeld(run);
		if (run.stale()) return;
		ctx.ready();
		loadSparks(leaks, run);
	}

	load();
	panelSite.sync(o.site);
	return {
		update(p) {
			const prev = o;
			o = opts(p);
			ageInput.value = o.minAge || '';
			panelSite.sync(o.site);
			if (prev.minAge !== o.minAge || prev.group !== o.group) load();
			else for (const tr of tableBox.querySelectorAll('tr[data-site]')) tr.setAttribute('aria-selected', String(Number(tr.dataset.site) === o.site));
		},
		refresh() {
			load();
			panelSite.refresh();
		},
		destroy() {
			req.cancel();
			panelSite.destroy();
		},
	};
}

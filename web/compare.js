// Compare (the daemon's #/compare?a=ID&b=ID[&a_from=S&a_to=S&b_from=S&b_to=S]): two recordings,
// or two time windows of one, side by side: the totals and, per call site, the change in bytes,
// allocations, live bytes and live blocks from A to B (/api/diff), growth first.
import { getJson, requests } from './api.js';
import { clear, el, errorNote, note, panel, seg, stackList } from './dom.js';
import { arr, basename, fmtBytes, fmtCount, fmtOffset, fmtSigned, num, shortLoc, siteName, str, topFrame } from './format.js';
import { recHref } from './routes.js';

const PAGE = 200;
const METRICS = [
	{ k: 'live_bytes', t: 'Live bytes', f: fmtBytes },
	{ k: 'bytes', t: 'Bytes', f: fmtBytes },
	{ k: 'allocs', t: 'Allocations', f: fmtCount },
	{ k: 'live_blocks', t: 'Live blocks', f: fmtCount },
];
const WINDOW_KEYS = ['a_from', 'a_to', 'b_from', 'b_to'];

function deltaClass(v) {
	v = num(v);
	return v > 0 ? 'delta up' : v < 0 ? 'delta down' : 'delta';
}

function opts(p) {
	const o = { a: p.get('a') || '', b: p.get('b') || '', sort: p.get('sort') || 'live_bytes', fn: p.get('function') || '', page: Math.max(0, Math.floor(Number(p.get('page')) || 0)) };
	if (!METRICS.some((m) => m.k === o.sort)) o.sort = 'live_bytes';
	for (const k of WINDOW_KEYS) o[k] = p.has(k) && p.get(k) !== '' && Number.isFinite(Number(p.get(k))) ? Number(p.get(k)) : null;
	return o;
}

// "ID churn (+0 … +5s)": one side's name, its window when not the whole recording.
function sideLabel(side, id) {
	if (!side) return String(id);
	const windowed = side.whole === false || (side.whole === undefined && (num(side.from_ns) !== null || num(side.to_ns) !== null));
	const w = windowed ? ` (+${fmtOffset(num(side.from_ns) || 0)} … ${num(side.to_ns) !== null ? '+' + fmtOffset(side.to_ns) : 'end'})` : '';
	return (str(side.label) || String(id)) + (side.command ? ' ' + str(side.command) : '') + w;
}

// The server names a recording by its file (DATA/recordings/ID.db): here by its id.
function readable(reason) {
	return String(reason).replace(/(?:\S*\/)?([A-Za-z0-9-]+)\.db\b/g, 'recording $1');
}

export function mount(root, ctx, params) {
	let o = opts(params);
	const req = requests();
	let list = [];
	let expanded = new Set();
	let diff = null;

	// The pick: A and B, each a recording and an optional window in seconds.
	const pickers = {};
	const side = (s) => {
		const sel = el('select', { id: `compare-${s}`, 'aria-label': `Recording ${s.toUpperCase()}` });
		const from = el('input', { type: 'number', id: `compare-${s}-from`, min: 0, step: 'any', placeholder: 'start', 'aria-label': `${s.toUpperCase()} from (s)` });
		const to = el('input', { type: 'number', id: `compare-${s}-to`, min: 0, step: 'any', placeholder: 'end', 'aria-label': `${s.toUpperCase()} to (s)` });
		pickers[s] = { sel, from, to };
		return el('span', { class: 'side' }, [el('b', { text: s.toUpperCase() }), sel, el('span', { class: 'muted', text: 'from' }), from, el('span', { class: 'muted', text: 'to' }), to, el('span', { class: 'muted', text: 's' })]);
	};
	const apply = el('button', { type: 'submit', class: 'primary', id: 'compare-apply', text: 'Compare' });
	const swap = el('button', { type: 'button', id: 'compare-swap', text: 'Swap A ⇄ B', onclick: () => ctx.go({ a: o.b, b: o.a, a_from: o.b_from, a_to: o.b_to, b_from: o.a_from, b_to: o.a_to }) });
	// (The way back is the header's ← Recordings.)
	const form = el('form', { class: 'controls compare-pick' }, [side('a'), side('b'), apply, swap]);
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		const v = (x) => (x.value === '' ? null : Number(x.value));
		ctx.go({ a: pickers.a.sel.value, b: pickers.b.sel.value, a_from: v(pickers.a.from), a_to: v(pickers.a.to), b_from: v(pickers.b.from), b_to: v(pickers.b.to), page: null });
	});
	const head = el('div', { id: 'compare-head' });
	const totals = el('div', { class: 'cards', id: 'compare-totals' });
	const fnInput = el('input', { type: 'search', id: 'compare-filter', placeholder: 'function contains…', value: o.fn, 'aria-label': 'Filter by function' });
	const sortBox = el('span');
	const count = el('span', { class: 'muted', id: 'compare-count' });
	const body = el('div', { class: 'tablewrap', id: 'compare-body' });
	const pager = el('div', { class: 'pager' });
	let timer = 0;
	fnInput.addEventListener('input', () => {
		clearTimeout(timer);
		timer = setTimeout(() => ctx.go({ function: fnInput.value.trim(), page: null }, { replace: true }), 250);
	});
	const sitesPanel = panel('Sites by growth', 'Per call site, from A to B: what grew most first. New: only in B; gone: only in A. Click a row for its stack.',
		el('div', null, [el('div', { class: 'controls' }, [el('span', { text: 'Growth of' }), sortBox, fnInput, el('span', { class: 'spacer' }), count]), body, pager]), { id: 'compare-sites' });
	root.append(panel('Compare', 'Two recordings, or two windows of one (seconds from its start; empty: the whole recording).', form, { id: 'compare-pick' }), head, totals, sitesPanel);

	function fillPickers() {
		for (const s of ['a', 'b']) {
			const p = pickers[s];
			const want = o[s];
			clear(p.sel);
			const ids = list.map((r) => String(r.id));
			if (want && !ids.includes(want)) p.sel.append(el('option', { value: want, text: want }));
			for (const r of list) {
				// The program's name, not its whole command line (the option's title has it).
				const cmd = str(r.command);
				const prog = cmd ? basename(cmd.split(/\s+/)[0]) : 'pid ' + r.pid;
				p.sel.append(el('option', { value: String(r.id), title: cmd || null, text: `${r.id} · ${prog}${r.rule ? ' · rule ' + r.rule : ''}${r.state === 'running' ? ' (live)' : ''}` }));
			}
			p.sel.value = want;
			p.from.value = o[s + '_from'] === null ? '' : String(o[s + '_from']);
			p.to.value = o[s + '_to'] === null ? '' : String(o[s + '_to']);
		}
	}

	async function loadList() {
		try {
			list = arr((await getJson('/api/recordings')).recordings);
		} catch {
			list = []; // the pickers then offer only what the address names
		}
		fillPickers();
	}

	function drawHead(d) {
		clear(head);
		const a = d.a || {};
		const b = d.b || {};
		const est = a.sampled || b.sampled || a.estimated || b.estimated;
		const link = (s, id) => el('a', { class: 'side-link', href: recHref(id, 'overview'), title: sideLabel(s, id), text: sideLabel(s, id) });
		head.append(el('div', { class: 'compare-sides' }, [
			el('span', { class: 'side-tag a', text: 'A' }), link(a, o.a),
			el('span', { class: 'arrow', text: '→' }),
			el('span', { class: 'side-tag b', text: 'B' }), link(b, o.b),
			est ? el('span', { class: 'badge est', 'data-estimated': '', title: 'One side is a sampled recording: its numbers, and so the changes, are estimates.', text: 'Sampled · estimates' }) : null,
		]));
	}

	function drawTotals(t) {
		clear(totals);
		for (const m of METRICS) {
			const da = num(t && t.a && t.a[m.k]);
			const db = num(t && t.b && t.b[m.k]);
			let dd = num(t && t.delta && t.delta[m.k]);
			if (dd === null && da !== null && db !== null) dd = db - da;
			totals.append(el('div', { class: 'card', 'data-card': m.k }, [
				el('div', { class: 'k', text: m.t }),
				el('div', { class: 'v ' + deltaClass(dd), 'data-value': dd === null ? null : String(dd), text: fmtSigned(dd, m.f) }),
				el('div', { class: 'd', text: `A ${m.f(da)} → B ${m.f(db)}` }),
			]));
		}
	}

	function sorted(sites) {
		const fn = o.fn.toLowerCase();
		const rows = sites.filter((s) => !fn || siteName(s).toLowerCase().includes(fn) || str(s.function).toLowerCase().includes(fn));
		if (o.sort === 'live_bytes') return rows; // the server's order: growth of live bytes
		const d = (s) => num(s.delta && s.delta[o.sort]) ?? 0;
		return rows.slice().sort((x, y) => d(y) - d(x));
	}

	function row(s, i) {
		const key = str(s.key) || String(i);
		const name = str(s.function) || siteName(s);
		const f = topFrame(s.frames);
		const open = expanded.has(key);
		const toggle = () => {
			if (expanded.has(key)) expanded.delete(key);
			else expanded.add(key);
			draw();
		};
		const cells = [
			el('td', { class: 'rank', text: String(o.page * PAGE + i + 1) }),
			el('td', { class: 'fn', title: name, text: name }),
			el('td', { class: 'loc', title: f ? str(f.file) : '', text: shortLoc(f) }),
			el('td', null, s.status === 'new' ? el('span', { class: 'badge warn', text: 'new' }) : s.status === 'gone' ? el('span', { class: 'badge', text: 'gone' }) : null),
		];
		for (const m of METRICS) {
			const dv = num(s.delta && s.delta[m.k]);
			cells.push(el('td', {
				class: 'num ' + deltaClass(dv), 'data-key': m.k, 'data-value': dv === null ? null : String(dv),
				title: `A ${m.f(s.a && s.a[m.k])} → B ${m.f(s.b && s.b[m.k])}`, text: fmtSigned(dv, m.f),
			}));
		}
		cells.push(el('td', { class: 'num muted', text: fmtBytes(s.a && s.a.live_bytes) }), el('td', { class: 'num muted', text: fmtBytes(s.b && s.b.live_bytes) }));
		const tr = el('tr', {
			class: 'row', tabindex: 0, 'data-key': key, 'data-status': str(s.status), 'aria-expanded': String(open),
			onclick: toggle,
			onkeydown: (e) => {
				if (e.key === 'Enter' || e.key === ' ') {
					e.preventDefault();
					toggle();
				}
			},
		}, cells);
		return open ? [tr, el('tr', { class: 'stackrow' }, el('td', { colspan: cells.length }, stackList(s.frames)))] : [tr];
	}

	function draw() {
		clear(sortBox).append(seg(METRICS.map((m) => ({ value: m.k, label: m.t })), o.sort, (k) => ctx.go({ sort: k === 'live_bytes' ? null : k, page: null }), 'Sort by the growth of'));
		if (!diff) return;
		const rows = sorted(arr(diff.sites));
		const total = rows.length;
		count.textContent = `${fmtCount(total)} site${total === 1 ? '' : 's'}` + (o.fn ? ' matching' : '');
		const keepX = body.scrollLeft;
		clear(body);
		if (!rows.length) body.append(note(o.fn ? 'No site matches the filter.' : 'No allocation sites on either side.'));
		else {
			const page = rows.slice(o.page * PAGE, (o.page + 1) * PAGE);
			body.append(el('table', { id: 'compare-table' }, [
				el('thead', null, el('tr', null, [
					el('th', { class: 'num', text: '#' }), el('th', { text: 'Function' }), el('th', { text: 'Location' }), el('th', { text: 'Status' }),
					...METRICS.map((m) => el('th', { class: 'num' + (m.k === o.sort ? ' sorted' : ''), 'aria-sort': m.k === o.sort ? 'descending' : null, text: 'Δ ' + m.t.toLowerCase() })),
					el('th', { class: 'num', text: 'Live A' }), el('th', { class: 'num', text: 'Live B' }),
				])),
				el('tbody', null, page.flatMap(row)),
			]));
		}
		body.scrollLeft = keepX;
		ctx.ready();
		clear(pager);
		if (total > PAGE) {
			const pages = Math.ceil(total / PAGE);
			pager.append(
				el('button', { type: 'button', text: '← Previous', disabled: o.page === 0, onclick: () => ctx.go({ page: o.page - 1 || null }) }),
				el('span', { text: `${fmtCount(o.page * PAGE + 1)}–${fmtCount(Math.min(total, (o.page + 1) * PAGE))} of ${fmtCount(total)}` }),
				el('button', { type: 'button', text: 'Next →', disabled: o.page + 1 >= pages, onclick: () => ctx.go({ page: o.page + 1 }) }),
			);
		}
	}

	async function load() {
		const run = req.begin();
		if (!o.a || !o.b) {
			diff = null;
			clear(head);
			clear(totals);
			clear(body).append(note('Pick two recordings (or one twice, with two windows) and Compare.'));
			sitesPanel.hidden = true;
			ctx.ready();
			return;
		}
		sitesPanel.hidden = false;
		const q = { a: o.a, b: o.b };
		for (const k of WINDOW_KEYS) q[k] = o[k];
		let d;
		try {
			d = await getJson('/api/diff', q, run.signal);
		} catch (e) {
			if (e.name === 'AbortError' || run.stale()) return;
			diff = null;
			clear(head);
			clear(totals);
			// A bad pick (a window outside a recording, one ending before it starts: 400; a
			// recording gone: 404) is said in the server's words, beside the pick to fix it.
			sitesPanel.hidden = true;
			clear(head).append(e.status === 400 || e.status === 404 ?
				el('div', { class: 'banner', role: 'alert', id: 'compare-error' }, `Cannot compare these: ${readable(e.reason || e.message)}`) :
				errorNote(e));
			ctx.ready();
			return;
		}
		if (run.stale()) return;
		diff = d;
		drawHead(d);
		drawTotals(d.totals);
		draw();
	}

	loadList();
	load();
	return {
		update(p) {
			const prev = o;
			o = opts(p);
			if (document.activeElement !== fnInput) fnInput.value = o.fn;
			fillPickers();
			const same = ['a', 'b', ...WINDOW_KEYS].every((k) => prev[k] === o[k]);
			if (same) draw();
			else {
				expanded = new Set();
				load();
			}
		},
		refresh() {
			load();
		},
		destroy() {
			req.cancel();
			clearTimeout(timer);
		},
	};
}

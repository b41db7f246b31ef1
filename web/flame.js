// Flame graph view: the call tree weighted by bytes, allocations or live bytes (/api/flame);
// weight, zoomed frame and search are kept in the URL.
import { getJson, requests } from './api.js';
import { clear, el, errorNote, panel, seg } from './dom.js';
import { fmtBytes, fmtCount, fmtPct } from './format.js';
import { createFlameGraph } from './flamegraph.js';

const WEIGHTS = [
	{ value: 'bytes', label: 'Bytes allocated', fmt: fmtBytes },
	{ value: 'allocs', label: 'Allocations', fmt: (v) => fmtCount(v) + ' allocs' },
	{ value: 'live_bytes', label: 'Live bytes', fmt: (v) => fmtBytes(v) + ' live' },
];
const SEP = ';';

function opts(p) {
	const w = WEIGHTS.find((x) => x.value === p.get('weight')) || WEIGHTS[0];
	return { weight: w, q: p.get('q') || '', zoom: p.get('zoom') ? p.get('zoom').split(SEP) : [] };
}

export function mount(root, ctx, params) {
	let o = opts(params);
	const req = requests();
	let timer = 0;
	const weightBox = el('span');
	const searchInput = el('input', { type: 'search', id: 'flame-search', placeholder: 'highlight frames…', value: o.q, 'aria-label': 'Search frames' });
	const matches = el('span', { class: 'matches', id: 'flame-matches' });
	const resetBtn = el('button', { type: 'button', id: 'flame-reset', text: 'Reset zoom', onclick: () => ctx.go({ zoom: null }) });
	const crumbs = el('div', { class: 'crumbs', id: 'flame-crumbs' });
	const canvas = el('canvas', { id: 'flame-canvas', height: 40, role: 'img', 'aria-label': 'flame graph' });
	const errBox = el('div');
	root.append(panel('Flame graph', 'Call stacks of the allocations, outermost caller on top; a frame\'s width is its share. Click a frame to zoom in, click it again to zoom out.',
		el('div', null, [
			el('div', { class: 'controls' }, [el('span', { text: 'Weight' }), weightBox, searchInput, matches, el('span', { class: 'spacer' }), resetBtn]),
			crumbs, errBox, el('div', { class: 'flamewrap' }, canvas),
		]), { id: 'flame' }, ctx.summary()));
	const fg = createFlameGraph(canvas, {
		fmt: (v) => o.weight.fmt(v),
		onZoom: (names) => ctx.go({ zoom: names.length ? names.join(SEP) : null }),
	});
	searchInput.addEventListener('input', () => {
		clearTimeout(timer);
		timer = setTimeout(() => ctx.go({ q: searchInput.value.trim() }, { replace: true }), 200);
	});

	function applyView() {
		const path = fg.setZoom(o.zoom);
		resetBtn.disabled = !path.length;
		crumbs.textContent = path.length ? 'all → ' + path.join(' → ') : 'all call stacks';
		crumbs.title = crumbs.textContent;
		const m = fg.setSearch(o.q);
		matches.className = 'matches' + (o.q && m.count ? ' hit' : '');
		matches.textContent = o.q ? (m.count ? `${fmtCount(m.count)} ${m.count === 1 ? 'frame matches' : 'frames match'}: ${o.weight.fmt(m.value)}, ${fmtPct(m.share)} of all` : 'no frame matches') : '';
	}

	async function load() {
		const run = req.begin();
		clear(weightBox).appendChild(seg(WEIGHTS, o.weight.value, (w) => ctx.go({ weight: w }), 'Weight'));
		let tree;
		try {
			tree = await getJson('flame', { weight: o.weight.value }, run.signal);
		} catch (e) {
			if (e.name === 'AbortError' || run.stale()) return;
			clear(errBox).appendChild(errorNote(e));
			return;
		}
		if (run.stale()) return;
		clear(errBox);
		fg.setData(tree);
		applyView();
		ctx.ready();
	}

	load();
	return {
		update(p) {
			const prev = o;
			o = opts(p);
			if (document.activeElement !== searchInput) searchInput.value = o.q;
			if (prev.weight !== o.weight) load();
			else applyView();
		},
		refresh() {
			load();
		},
		destroy() {
			req.cancel();
			clearTimeout(timer);
			req.cancel();
			fg.destroy();
		},
	};
}

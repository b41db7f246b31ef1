// Lifetimes: the global lifetime histogram split into the top 5 sites (stacked columns), and
// the global histogram of requested sizes.
import { getJson, requests } from './api.js';
import { histChart, lifetimeBuckets, PALETTE, sizeBuckets } from './charts.js';
import { clear, cssVar, el, errorNote, note, panel, seg } from './dom.js';
import { arr, fmtBytes, fmtCount, fmtDur, num, shortLoc, siteName, topFrame } from './format.js';

const TOP = 5;
const BY = [
	{ value: 'allocs', label: 'Allocations' },
	{ value: 'bytes', label: 'Bytes' },
	{ value: 'live_blocks', label: 'Live blocks' },
];

export function mount(root, ctx, params) {
	let by = BY.some((b) => b.value === params.get('by')) ? params.get('by') : 'allocs';
	const req = requests();
	let charts = [];
	const byBox = el('span');
	const ltBox = el('div', { class: 'chart', id: 'lifetimes-chart' });
	const ltSub = el('p', { class: 'sub', id: 'lifetimes-sub' });
	const legendBox = el('div', { class: 'tablewrap', id: 'lifetimes-sites' });
	const szBox = el('div', { class: 'chart', id: 'sizes-chart' });
	const szSub = el('p', { class: 'sub' });
	root.append(
		panel('Block lifetimes', null, el('div', null, [
			ltSub,
			el('div', { class: 'controls' }, [el('span', { text: `Split by the top ${TOP} sites by` }), byBox]),
			ltBox, legendBox,
		]), { id: 'lifetimes' }, ctx.summary()),
		panel('Requested sizes', null, el('div', null, [szSub, szBox]), { id: 'sizes' }, ctx.summary()),
	);

	function drop() {
		charts.forEach((c) => c.destroy());
		charts = [];
	}

	async function load() {
		const run = req.begin();
		const signal = run.signal;
		clear(byBox).appendChild(seg(BY, by, (v) => ctx.go({ by: v }), 'Top sites by'));
		let all;
		let sizes;
		let top;
		let per;
		try {
			[all, sizes, top] = await Promise.all([
				getJson('lifetimes', null, signal),
				getJson('sizes', null, signal),
				getJson('sites', { sort: by, order: 'desc', limit: TOP }, signal),
			]);
			top = arr(top && top.sites).slice(0, TOP);
			// The HTML report holds no per-site histograms: then one series for all sites.
			per = await Promise.all(top.map((s) => getJson('lifetimes', { site: s.site }, signal)))
				.catch((e) => { if (e.unavailable) return null; throw e; });
		} catch (e) {
			if (e.name === 'AbortError' || run.stale()) return;
			drop();
			clear(ltBox).appendChild(errorNote(e));
			return;
		}
		if (run.stale()) return;
		drop();
		const split = per !== null;
		if (!split) per = [];
		const shown = split ? top : [];
		// The rest of the program: the global counts less the top sites', per bucket.
		const other = {
			buckets: arr(all.buckets).map((b, i) => ({ ...b, count: Math.max(0, (num(b.count) || 0) - per.reduce((a, h) => a + (num(h && h.buckets && h.buckets[i] && h.buckets[i].count) || 0), 0)) })),
			live: Math.max(0, (num(all.live) || 0) - per.reduce((a, h) => a + (num(h && h.live) || 0), 0)),
		};
		const lt = lifetimeBuckets([...per, other]);
		const freed = arr(all.buckets).reduce((a, b) => a + (num(b.count) || 0), 0);
		ltSub.textContent = `Time from allocation to free, doubling buckets: ${fmtCount(freed)} freed blocks` +
			(num(all.live) > 0 ? `, ${fmtCount(all.live)} still live (last column).` : '.');
		const colors = shown.map((_, i) => PALETTE[i]).concat([cssVar('--line') || '#bab0ac']);
		const names = shown.map((s) => siteName(s)).concat([split ? 'other sites' : 'all sites']);
		clear(ltBox);
		if (!split) ltBox.appendChild(note('Lifetimes per site are not in this HTML report (heapscope serve shows them): all sites together.'));
		if (!lt.labels.length) ltBox.appendChild(note('No blocks yet.'));
		else {
			charts.push(histChart(ltBox, {
				labels: lt.labels,
				tips: lt.tips,
				stacked: true,
				height: 300,
				xLabel: 'lifetime',
				fmt: fmtCount,
				axisFmt: fmtCount,
				series: lt.series.map((values, k) => ({ label: names[k], values, color: colors[k] })),
			}));
		}
		clear(legendBox).appendChild(el('table', { class: 'toplist' }, [
			el('thead', null, el('tr', null, ['', 'Site', 'Location', 'Allocs', 'Bytes', 'Life p50', 'p90', 'p99', 'Live blocks'].map((t, i) => el('th', { class: i >= 3 ? 'num' : null, text: t })))),
			el('tbody', null, top.map((s, i) => el('tr', null, [
				el('td', null, split ? el('span', { class: 'swatch', style: `background:${colors[i]}` }) : null),
				el('td', { class: 'fn' }, el('a', { href: ctx.href('sites', { site: s.site }), text: siteName(s), title: siteName(s) })),
				el('td', { class: 'loc', text: shortLoc(topFrame(s.frames)) }),
				el('td', { class: 'num', text: fmtCount(s.allocs) }),
				el('td', { class: 'num', text: fmtBytes(s.bytes) }),
				el('td', { class: 'num', text: fmtDur(s.lifetime_p50_ns) }),
				el('td', { class: 'num', text: fmtDur(s.lifetime_p90_ns) }),
				el('td', { class: 'num', text: fmtDur(s.lifetime_p99_ns) }),
				el('td', { class: 'num', text: fmtCount(s.live_blocks) }),
			])).concat([el('tr', { class: 'other' }, [
				el('td', null, el('span', { class: 'swatch', style: `background:${colors[shown.length]}` })),
				el('td', { class: 'muted', colspan: 8, text: 'all other sites' }),
			])])),
		]));

		const sz = sizeBuckets([sizes]);
		const nAllocs = arr(sizes && sizes.buckets).reduce((a, b) => a + (num(b.count) || 0), 0);
		szSub.textContent = `Requested size of each allocation, power-of-two buckets: ${fmtCount(nAllocs)} allocations.`;
		clear(szBox);
		if (!sz.labels.length) szBox.appendChild(note('No allocations yet.'));
		else {
			charts.push(histChart(szBox, {
				labels: sz.labels, tips: sz.tips, height: 220, xLabel: 'size', fmt: fmtCount, axisFmt: fmtCount,
				series: [{ label: 'allocations', values: sz.series[0], color: cssVar('--bar') }],
			}));
		}
		ctx.ready();
	}

	load();
	return {
		update(p) {
			const b = BY.some((x) => x.value === p.get('by')) ? p.get('by') : 'allocs';
			if (b !== by) {
				by = b;
				load();
			}
		},
		refresh() {
			load();
		},
		destroy() {
			req.cancel();
			drop();
		},
	};
}

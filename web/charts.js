// Chart builders on uPlot (time series, histograms, stacked histograms) and a tiny canvas
// sparkline; each follows its container's width.
import uPlot from './vendor/uPlot.esm.js';
import { cssVar, el, hideTip, showTip } from './dom.js';
import { fmtOffset } from './format.js';

const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

// Distinct, colour-blind-friendly-ish hues for stacked series (Tableau 10).
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

// Tick steps: powers of two of each binary unit for bytes (no 4.77 MiB), 1-2-5 for counts.
const BYTE_INCRS = [];
for (let k = 0; k <= 5; k++) for (let m = 1; m < 1024; m *= 2) BYTE_INCRS.push(m * 1024 ** k);
const COUNT_INCRS = [];
for (let k = 0; k <= 15; k++) for (const m of [1, 2, 5]) COUNT_INCRS.push(m * 10 ** k);
export const INCRS = { bytes: BYTE_INCRS, count: COUNT_INCRS };

function axis(extra) {
	return Object.assign({
		stroke: cssVar('--muted'),
		font: FONT,
		grid: { stroke: cssVar('--line'), width: 1 },
		ticks: { stroke: cssVar('--line'), width: 1, size: 4 },
	}, extra);
}

function alpha(hex, a) {
	const m = /^#([0-9a-f]{6})$/i.exec(hex);
	if (!m) return hex;
	const n = parseInt(m[1], 16);
	return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${a})`;
}

// Makes the plot follow the width of box; returns the function that stops that.
function follow(u, box, height) {
	let w = box.clientWidth;
	const ro = new ResizeObserver(() => {
		const nw = box.clientWidth;
		if (nw > 0 && Math.abs(nw - w) > 1) {
			w = nw;
			u.setSize({ width: nw, height });
		}
	});
	ro.observe(box);
	return () => ro.disconnect();
}

function make(box, opts, data) {
	const width = Math.max(240, box.clientWidth || 600);
	const u = new uPlot(Object.assign({ width }, opts), data, box);
	const stop = follow(u, box, opts.height);
	return {
		u,
		setData(d, resetScales = true) { u.setData(d, resetScales); },
		destroy() { stop(); u.destroy(); },
	};
}

// timeChart(box, {xs, series: [{label, values, scale: 'y'|'rate', color, fill, dash, fmt}],
//   height, onZoom(fromNs, toNs), onReset()}): a time series over ns offsets.
// Drag to select a range calls onZoom (the caller refetches); double-click calls onReset.
export function timeChart(box, cfg) {
	const scales = { x: { time: false } };
	const axes = [axis({ values: (u, splits) => splits.map(fmtOffset), space: 70 })];
	const seen = new Set();
	for (const s of cfg.series) {
		if (seen.has(s.scale)) continue;
		seen.add(s.scale);
		scales[s.scale] = { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] };
		axes.push(axis({
			scale: s.scale,
			side: seen.size === 1 ? 3 : 1,
			size: 64,
			grid: seen.size === 1 ? { stroke: cssVar('--line'), width: 1 } : { show: false },
			values: (u, splits) => splits.map((v) => s.axisFmt(v)),
			incrs: s.incrs,
		}));
	}
	const opts = {
		height: cfg.height || 260,
		scales,
		axes,
		legend: { live: true },
		cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 6 } },
		series: [
			{ label: 'time', value: (u, v) => (v === null ? '–' : '+' + fmtOffset(v)) },
			...cfg.series.map((s) => ({
				label: s.label,
				scale: s.scale,
				stroke: s.color,
				width: s.width || 1.5,
				dash: s.dash,
				fill: s.fill ? alpha(s.color, 0.14) : undefined,
				points: { show: false },
				value: (u, v) => (v === null ? '–' : s.fmt(v)),
			})),
		],
		hooks: {
			setSelect: [(u) => {
				const sel = u.select;
				if (sel.width > 4 && cfg.onZoom) {
					const lo = u.posToVal(sel.left, 'x');
					const hi = u.posToVal(sel.left + sel.width, 'x');
					cfg.onZoom(Math.max(0, Math.floor(lo)), Math.ceil(hi));
				}
				u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
			}],
		},
	};
	const c = make(box, opts, [cfg.xs, ...cfg.series.map((s) => s.values)]);
	if (cfg.onReset) c.u.over.addEventListener('dblclick', () => cfg.onReset());
	return c;
}

// histChart(box, {labels, tips, series: [{label, values, color}], stacked, height, unit}):
// columns per bucket; stacked series are drawn on top of each other.
export function histChart(box, cfg) {
	const n = cfg.labels.length;
	const xs = cfg.labels.map((_, i) => i);
	const raw = cfg.series.map((s) => s.values);
	let drawn = raw;
	let order = cfg.series.map((_, i) => i);
	if (cfg.stacked) {
		// Cumulative sums drawn biggest first: each later, shorter column covers the earlier
		// one's bottom, so what shows of each is its own share.
		const cum = [];
		raw.forEach((vals, k) => cum.push(vals.map((v, i) => (v || 0) + (k ? cum[k - 1][i] : 0))));
		order = order.slice().reverse();
		drawn = order.map((k) => cum[k]);
	}
	const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor((box.clientWidth || 600) / 46))));
	const bars = uPlot.paths.bars({ size: [0.78, 64], gap: 1 });
	const opts = {
		height: cfg.height || 240,
		scales: { x: { time: false, range: () => [-0.5, n - 0.5] }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
		axes: [
			axis({
				splits: () => xs.filter((i) => i % every === 0),
				values: (u, splits) => splits.map((i) => cfg.labels[i] || ''),
				grid: { show: false },
				size: 34,
			}),
			axis({ size: 54, incrs: COUNT_INCRS, values: (u, splits) => splits.map((v) => (cfg.axisFmt ? cfg.axisFmt(v) : String(v))) }),
		],
		legend: { show: false },
		cursor: { drag: { x: false, y: false }, points: { show: false } },
		hooks: {
			// A tooltip instead of the legend: the bucket, then each series' own count.
			setCursor: [(u) => {
				const i = u.cursor.idx;
				if (i === null || i === undefined || u.cursor.left < 0) {
					hideTip();
					return;
				}
				const r = u.over.getBoundingClientRect();
				const fmt = cfg.fmt || String;
				const total = raw.reduce((a, vals) => a + (vals[i] || 0), 0);
				const lines = [(cfg.tips || cfg.labels)[i], raw.length > 1 ? 'total ' + fmt(total) : fmt(total) + ' ' + (cfg.series[0].label || '')];
				if (raw.length > 1) cfg.series.forEach((s, k) => raw[k][i] && lines.push(`${s.label}: ${fmt(raw[k][i])}`));
				showTip({ clientX: r.left + u.cursor.left, clientY: r.top + u.cursor.top }, lines);
			}],
		},
		series: [
			{ label: cfg.xLabel || 'bucket', value: (u, i) => (i === null ? '–' : (cfg.tips || cfg.labels)[i] || '') },
			...order.map((k) => ({
				label: cfg.series[k].label,
				stroke: cfg.series[k].color,
				fill: cfg.series[k].color,
				width: 0,
				paths: bars,
				points: { show: false },
				value: (u, v, si, idx) => (idx === null ? '–' : (cfg.fmt || String)(raw[k][idx] || 0)),
			})),
		],
	};
	return make(box, opts, [xs, ...drawn]);
}

// A small area sparkline on a canvas (no axes): values drawn left to right.
export function sparkline(values, opts = {}) {
	const w = opts.width || 120;
	const h = opts.height || 26;
	const dpr = window.devicePixelRatio || 1;
	const c = el('canvas', { class: 'spark', width: Math.round(w * dpr), height: Math.round(h * dpr), role: 'img', 'aria-label': opts.label || 'sparkline' });
	c.style.width = w + 'px';
	c.style.height = h + 'px';
	const ctx = c.getContext('2d');
	ctx.scale(dpr, dpr);
	const color = opts.color || cssVar('--warn-line');
	const max = Math.max(0, ...values);
	ctx.strokeStyle = cssVar('--line');
	ctx.beginPath();
	ctx.moveTo(0, h - 0.5);
	ctx.lineTo(w, h - 0.5);
	ctx.stroke();
	if (values.length < 2 || max <= 0) return c;
	const X = (i) => (i / (values.length - 1)) * (w - 2) + 1;
	const Y = (v) => h - 2 - (v / max) * (h - 5);
	ctx.beginPath();
	ctx.moveTo(X(0), h);
	values.forEach((v, i) => ctx.lineTo(X(i), Y(v)));
	ctx.lineTo(X(values.length - 1), h);
	ctx.closePath();
	ctx.fillStyle = alpha(color, 0.2);
	ctx.fill();
	ctx.beginPath();
	values.forEach((v, i) => (i ? ctx.lineTo(X(i), Y(v)) : ctx.moveTo(X(i), Y(v))));
	ctx.strokeStyle = color;
	ctx.lineWidth = 1.5;
	ctx.stroke();
	return c;
}

function trimRange(seriesValues) {
	let lo = Infinity;
	let hi = -1;
	for (const vals of seriesValues) {
		vals.forEach((v, i) => {
			if (v > 0) {
				lo = Math.min(lo, i);
				hi = Math.max(hi, i);
			}
		});
	}
	return hi < 0 ? null : [lo, hi];
}

function shortBytes(v) {
	const units = ['', 'K', 'M', 'G', 'T'];
	let i = 0;
	while (v >= 1024 && i < units.length - 1) {
		v /= 1024;
		i++;
	}
	return +v.toFixed(1) + units[i];
}

// Histograms ({buckets: [{label, ...}, ...]}) on a shared bucket axis, trimmed to the non-empty
// range: {labels, tips, series: [values...]}; label(bucket) names a column.
function sharedBuckets(hists, label) {
	const base = (hists.find((h) => h && Array.isArray(h.buckets) && h.buckets.length) || { buckets: [] }).buckets;
	const cols = hists.map((h) => base.map((_, i) => Number((h && h.buckets && h.buckets[i] && h.buckets[i].count) || 0)));
	const r = trimRange(cols);
	const labels = [];
	const tips = [];
	const series = cols.map(() => []);
	if (r) {
		for (let i = r[0]; i <= r[1]; i++) {
			labels.push(label(base[i]));
			tips.push(String(base[i].label));
			cols.forEach((c, k) => series[k].push(c[i]));
		}
	}
	return { labels, tips, series };
}

// Lifetime histograms ({buckets: [{label, lo_ns, hi_ns, count}], live}), with a last "still
// live" column when any block is live.
export function lifetimeBuckets(hists) {
	const out = sharedBuckets(hists, (b) => (b.lo_ns === 0 || b.lo_ns === null ? '<' + fmtOffset(b.hi_ns)
		: b.hi_ns === null ? '≥' + fmtOffset(b.lo_ns) : fmtOffset(b.lo_ns)));
	if (hists.some((h) => h && h.live > 0)) {
		out.labels.push('live');
		out.tips.push('still live');
		hists.forEach((h, k) => out.series[k].push(Number((h && h.live) || 0)));
	}
	return out;
}

// Size histograms ({buckets: [{label, lo, hi, count}]}).
export function sizeBuckets(hists) {
	return sharedBuckets(hists, (b) => (b.lo === 0 && b.hi === 1 ? '0' : shortBytes(b.lo)));
}

// Number, duration and stack-frame formatting shared by every view (human units: KiB, µs, ...).

export function num(v) {
	return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function arr(v) {
	return Array.isArray(v) ? v : [];
}

export function str(v) {
	return v === null || v === undefined ? '' : String(v);
}

const DASH = '–';

function fixed(x) {
	return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function fmtCount(v) {
	v = num(v);
	return v === null ? DASH : Math.round(v).toLocaleString('en-US');
}

// 12.3k, 4.5M: for axes and bar labels where space is short.
export function fmtShort(v) {
	v = num(v);
	if (v === null) return DASH;
	const a = Math.abs(v);
	if (a >= 1e9) return fixed(v / 1e9) + 'G';
	if (a >= 1e6) return fixed(v / 1e6) + 'M';
	if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
	if (a >= 1e3) return (v / 1e3).toFixed(1) + 'k';
	return a < 10 && a % 1 ? v.toFixed(1) : String(Math.round(v));
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function fmtBytes(v) {
	v = num(v);
	if (v === null) return DASH;
	let a = Math.abs(v);
	let i = 0;
	while (a >= 1024 && i < BYTE_UNITS.length - 1) {
		a /= 1024;
		i++;
	}
	if (i === 0) return Math.round(v) + ' B';
	return (v < 0 ? '-' : '') + fixed(a) + ' ' + BYTE_UNITS[i];
}

// Bytes for axis ticks: no trailing zeros (8 MiB, 1.5 KiB).
export function fmtBytesTick(v) {
	return fmtBytes(v).replace(/\.0+ /, ' ').replace(/(\.\d*?)0+ /, '$1 ');
}

export function fmtDur(ns) {
	ns = num(ns);
	if (ns === null) return DASH;
	const a = Math.abs(ns);
	const sign = ns < 0 ? '-' : '';
	if (a < 1e3) return sign + Math.round(a) + ' ns';
	if (a < 1e6) return sign + fixed(a / 1e3) + ' µs';
	if (a < 1e9) return sign + fixed(a / 1e6) + ' ms';
	if (a < 60e9) return sign + fixed(a / 1e9) + ' s';
	if (a < 3600e9) return sign + fixed(a / 60e9) + ' min';
	return sign + fixed(a / 3600e9) + ' h';
}

// An offset from the start of the recording, compact for axes: 0, 250ms, 1.5s, 2m30s.
export function fmtOffset(ns) {
	ns = num(ns);
	if (ns === null) return DASH;
	if (ns === 0) return '0';
	const a = Math.abs(ns);
	if (a < 1e6) return +(ns / 1e3).toPrecision(3) + 'µs';
	if (a < 1e9) return +(ns / 1e6).toPrecision(3) + 'ms';
	if (a < 60e9) return +(ns / 1e9).toPrecision(3) + 's';
	const m = Math.floor(ns / 60e9);
	const s = Math.round((ns - m * 60e9) / 1e9);
	return m + 'm' + (s ? s + 's' : '');
}

// A change with its sign, in f's units: +1.5 MiB, −300 B, 0 B.
export function fmtSigned(v, f) {
	v = num(v);
	if (v === null) return DASH;
	if (v === 0) return f(0);
	return (v > 0 ? '+' : '−') + f(Math.abs(v));
}

export function fmtRate(perSec) {
	perSec = num(perSec);
	return perSec === null ? DASH : fmtShort(perSec) + '/s';
}

export function fmtPct(v) {
	v = num(v);
	if (v === null) return DASH;
	return (v * 100).toFixed(v >= 0.995 || v === 0 ? 0 : 1) + '%';
}

export function fmtNum(v) {
	v = num(v);
	if (v === null) return DASH;
	if (v !== 0 && Math.abs(v) < 0.01) return v.toExponential(1);
	return Math.abs(v) >= 100 ? fmtCount(v) : v.toFixed(2);
}

export function fmtAddr(v) {
	if (num(v) !== null) return '0x' + v.toString(16);
	if (typeof v === 'string' && v !== '') return /^\d+$/.test(v) ? '0x' + BigInt(v).toString(16) : v;
	return DASH;
}

// Wall-clock time of a recording's start (start_time_ns is ns since the epoch).
export function fmtWallClock(ns) {
	ns = num(ns);
	if (ns === null || ns < 1e17) return '';
	return new Date(ns / 1e6).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function basename(p) {
	p = str(p);
	const i = p.lastIndexOf('/');
	return i >= 0 ? p.slice(i + 1) : p;
}

// What to call a frame: its function, else module+offset (the address in the module's file,
// the same in every run), else the bare address.
export function frameName(f) {
	if (!f) return '[unknown]';
	if (f.function) return String(f.function);
	if (f.module && f.offset !== null && f.offset !== undefined) return basename(f.module) + '+' + fmtAddr(f.offset);
	if (f.module) return basename(f.module) + (f.addr !== null && f.addr !== undefined ? '+' + fmtAddr(f.addr) : '');
	if (f.addr !== null && f.addr !== undefined) return fmtAddr(f.addr);
	return '[unknown]';
}

export function frameLoc(f) {
	if (!f || !f.file) return '';
	return String(f.file) + (num(f.line) > 0 ? ':' + f.line : '');
}

export function shortLoc(f) {
	if (!f || !f.file) return f && f.module ? basename(f.module) : '';
	return basename(f.file) + (num(f.line) > 0 ? ':' + f.line : '');
}

export function topFrame(frames) {
	return arr(frames)[0] || null;
}

// The name a site row goes by: its group key when grouped, else its innermost frame.
export function siteName(s) {
	if (s && s.key !== null && s.key !== undefined && s.key !== '') return String(s.key);
	return frameName(topFrame(s && s.frames));
}

export function plural(n, one, many) {
	return fmtCount(n) + ' ' + (n === 1 ? one : many || one + 's');
}

// A reachability scan's verdicts (summary.last_scan's keys), in memcheck's order.
export const SCAN_KINDS = [
	{ key: 'definitely_lost', label: 'definitely lost' },
	{ key: 'indirectly_lost', label: 'indirectly lost' },
	{ key: 'possibly_lost', label: 'possibly lost' },
	{ key: 'still_reachable', label: 'still reachable' },
];

// One verdict of a scan sc: "definitely lost 2 (112 B)".
export function fmtScanKind(sc, k) {
	const x = (sc && sc[k.key]) || {};
	return `${k.label} ${fmtCount(x.blocks)} (${fmtBytes(x.bytes)})`;
}

// How sites and leaks can be grouped: by full stack, innermost function or source file.
export const GROUPS = [
	{ value: 'stack', label: 'Full stack' },
	{ value: 'function', label: 'Function' },
	{ value: 'file', label: 'File' },
];

// A sampled recording's {mode, mean_bytes} (summary.sampling), or null for an exact one: then
// every count and byte total is an estimate and misuse is not checked.
export function sampling(s) {
	const m = s && s.sampling;
	return m && m.mode === 'sampled' && num(m.mean_bytes) > 0 ? m : null;
}

// "1 sample per 128 KiB allocated on average: counts and bytes are estimates."
export function samplingText(m) {
	return `Sampled recording: 1 sample per ${fmtBytes(m.mean_bytes)} allocated on average; counts and bytes are estimates.`;
}

export const MISUSE_UNCHECKED = 'Not checked in sampled mode: only sampled blocks are tracked.';

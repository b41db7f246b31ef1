// A canvas flame graph (icicle: outermost callers on top) of a {name, value, children} tree:
// click to zoom, search to highlight, hover for details.
import { hideTip, showTip } from './dom.js';
import { basename, num } from './format.js';

const ROW = 20;
const HIGHLIGHT = '#c026d3';

function hashHue(s) {
	let h = 2166136261;
	for (let i = 0; i < s.length; i++) {
		h ^= s.charCodeAt(i);
		h = Math.imul(h, 16777619);
	}
	return h >>> 0;
}

// The tree with siblings of the same function merged (the server may keep one node per call
// line); a merged frame keeps its file, and its line only if all agree.
function build(tree) {
	let maxDepth = 0;
	const nameOf = (t) => String(t && t.name !== null && t.name !== undefined ? t.name : '[unknown]');
	const walk = (sources, parent, depth) => {
		const t = sources[0];
		const n = {
			name: nameOf(t),
			file: t && t.file, line: t && t.line, module: t && t.module, inlined: !!(t && t.inlined),
			value: 0, parent, depth, kids: [],
		};
		const byName = new Map();
		for (const src of sources) {
			n.value += num(src && src.value) || 0;
			if (src.file !== n.file) n.file = null;
			if (src.line !== n.line) n.line = null;
			for (const c of Array.isArray(src && src.children) ? src.children : []) {
				const k = nameOf(c);
				if (!byName.has(k)) byName.set(k, []);
				byName.get(k).push(c);
			}
		}
		maxDepth = Math.max(maxDepth, depth);
		for (const group of byName.values()) n.kids.push(walk(group, n, depth + 1));
		n.kids.sort((a, b) => b.value - a.value);
		return n;
	};
	const root = walk([tree || {}], null, 0);
	root.name = 'all';
	return { root, maxDepth };
}

function pathOf(n) {
	const p = [];
	for (; n && n.parent; n = n.parent) p.unshift(n.name);
	return p;
}

// createFlameGraph(canvas, {fmt(value), onZoom(names)}): {setData(tree), setZoom(names),
// setSearch(text) -> {count, value, share}, draw(), destroy()}.
export function createFlameGraph(canvas, opts) {
	const ctx = canvas.getContext('2d');
	let tree = build(null);
	let zoom = tree.root;
	let search = '';
	let hover = null;
	let rects = [];
	const dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;

	function matches(n) {
		return search !== '' && n.parent !== null && n.name.toLowerCase().includes(search);
	}

	function color(n, dim) {
		if (!n.parent) return dark ? '#3a4150' : '#d5d9e2';
		if (matches(n)) return HIGHLIGHT;
		const h = hashHue(n.name);
		const hue = 8 + (h % 42);
		const sat = 70 + ((h >> 8) % 20);
		const lig = 58 + ((h >> 16) % 12);
		if (dim || search) return `hsl(${hue},${Math.max(10, sat - 45)}%,${dark ? 34 : 82}%)`;
		return `hsl(${hue},${sat}%,${dark ? lig - 14 : lig}%)`;
	}

	function fitText(t, x, y, maxW) {
		if (ctx.measureText(t).width <= maxW) {
			ctx.fillText(t, x, y);
			return;
		}
		let lo = 0;
		let hi = t.length;
		while (lo < hi) {
			const mid = (lo + hi + 1) >> 1;
			if (ctx.measureText(t.slice(0, mid) + '…').width <= maxW) lo = mid;
			else hi = mid - 1;
		}
		if (lo > 0) ctx.fillText(t.slice(0, lo) + '…', x, y);
	}

	function box(n, x, w, dim) {
		const y = n.depth * ROW;
		ctx.fillStyle = color(n, dim);
		ctx.fillRect(x + 0.5, y + 0.5, Math.max(0.5, w - 1), ROW - 1);
		if (n === hover) {
			ctx.strokeStyle = dark ? '#fff' : '#1d2330';
			ctx.lineWidth = 1.5;
			ctx.strokeRect(x + 1, y + 1, Math.max(0.5, w - 2), ROW - 2);
		}
		rects.push({ n, x, y, w });
		if (w > 28) {
			ctx.fillStyle = matches(n) ? '#fff' : !dark ? '#1d2330' : n.parent ? '#111' : '#e6e9ef';
			fitText(n.parent ? n.name : 'all — ' + opts.fmt(n.value), x + 4, y + ROW / 2 + 0.5, w - 8);
		}
	}

	function draw() {
		const W = Math.max(300, canvas.parentNode ? canvas.parentNode.clientWidth : 800);
		const H = (tree.maxDepth + 1) * ROW + 2;
		const dpr = window.devicePixelRatio || 1;
		canvas.style.height = H + 'px';
		canvas.width = Math.round(W * dpr);
		canvas.height = Math.round(H * dpr);
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.clearRect(0, 0, W, H);
		ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
		ctx.textBaseline = 'middle';
		rects = [];
		// The zoomed frame's ancestors span the whole width, dimmed; its subtree is scaled to it.
		for (let a = zoom.parent; a; a = a.parent) box(a, 0, W, true);
		const walk = (n, x, w) => {
			box(n, x, w, false);
			let cx = x;
			for (const k of n.kids) {
				const kw = n.value > 0 ? (k.value / n.value) * w : 0;
				if (kw >= 0.35 && k.value > 0) walk(k, cx, kw);
				cx += kw;
			}
		};
		walk(zoom, 0, W);
		canvas.dataset.painted = String(rects.length);
	}

	function hit(ev) {
		const r = canvas.getBoundingClientRect();
		const x = ev.clientX - r.left;
		const y = ev.clientY - r.top;
		for (let i = rects.length - 1; i >= 0; i--) {
			const q = rects[i];
			if (x >= q.x && x < q.x + q.w && y >= q.y && y < q.y + ROW) return q.n;
		}
		return null;
	}

	function onMove(ev) {
		const n = hit(ev);
		if (n !== hover) {
			hover = n;
			draw();
		}
		if (!n) {
			hideTip();
			return;
		}
		const total = tree.root.value;
		const pct = total > 0 ? (n.value / total) * 100 : 0;
		const loc = n.file ? String(n.file) + (num(n.line) > 0 ? ':' + n.line : '') : n.module ? basename(n.module) : '';
		showTip(ev, [n.parent ? n.name + (n.inlined ? ' (inlined)' : '') : 'all call stacks', loc, `${opts.fmt(n.value)} (${pct.toFixed(pct < 10 ? 1 : 0)}% of all)`,
			n.parent ? 'click to zoom' + (n === zoom ? ' out' : ' in') : null]);
	}
	function onLeave() {
		hover = null;
		hideTip();
		draw();
	}
	function onClick(ev) {
		const n = hit(ev);
		if (!n) return;
		const target = n === zoom && n.parent ? n.parent : n;
		opts.onZoom(pathOf(target));
	}
	canvas.addEventListener('mousemove', onMove);
	canvas.addEventListener('mouseleave', onLeave);
	canvas.addEventListener('click', onClick);
	const ro = new ResizeObserver(() => draw());
	if (canvas.parentNode) ro.observe(canvas.parentNode);

	return {
		setData(t) {
			const names = pathOf(zoom);
			tree = build(t);
			this.setZoom(names);
		},
		// Zooms to the frame reached by following names from the top; stops where one is missing.
		setZoom(names) {
			let n = tree.root;
			for (const name of names || []) {
				const k = n.kids.find((c) => c.name === name);
				if (!k) break;
				n = k;
			}
			zoom = n;
			draw();
			return pathOf(zoom);
		},
		// Highlights frames whose name contains text (case-insensitive); returns how much of
		// the total the matching frames cover (nested matches counted once).
		setSearch(text) {
			search = String(text || '').trim().toLowerCase();
			draw();
			let count = 0;
			let value = 0;
			const walk = (n, inside) => {
				const m = matches(n);
				if (m) count++;
				if (m && !inside) value += n.value;
				n.kids.forEach((k) => walk(k, inside || m));
			};
			walk(tree.root, false);
			return { count, value, share: tree.root.value > 0 ? value / tree.root.value : 0 };
		},
		zoomPath: () => pathOf(zoom),
		draw,
		destroy() {
			ro.disconnect();
			hideTip();
			canvas.removeEventListener('mousemove', onMove);
			canvas.removeEventListener('mouseleave', onLeave);
			canvas.removeEventListener('click', onClick);
		},
	};
}

// The site drawer shared by Call sites and Leak suspects: one call site's numbers, full stack,
// lifetime and size histograms and its live bytes over time (GET /api/site?id=N).
import { getJson, requests } from './api.js';
import { histChart, INCRS, lifetimeBuckets, sizeBuckets, timeChart } from './charts.js';
import { clear, cssVar, el, errorNote, estBadge, note, stackList } from './dom.js';
import { fmtBytes, fmtBytesTick, fmtCount, fmtDur, fmtPct, frameLoc, num, siteName, topFrame } from './format.js';

function stat(label, value, detail) {
	return el('div', { class: 'card' }, [
		el('div', { class: 'k', text: label }),
		el('div', { class: 'v', text: value, title: value }),
		detail ? el('div', { class: 'd', text: detail, title: detail }) : null,
	]);
}

// createSitePanel(onClose, summary): {show(id, group), sync(id), refresh(), hide(), destroy()}; the
// drawer is appended to document.body while shown. summary() is the recording's summary: a
// sampled one's numbers and charts carry the estimates badge.
export function createSitePanel(onClose, summary) {
	const box = el('aside', { class: 'drawer', id: 'site-panel', role: 'dialog', 'aria-label': 'Call site' });
	let charts = [];
	let id = null;
	const req = requests();
	let lastKey = '';

	function onKey(e) {
		if (e.key === 'Escape') onClose();
	}

	function dropCharts() {
		charts.forEach((c) => c.destroy());
		charts = [];
	}

	function place() {
		const hdr = document.querySelector('header.top');
		box.style.setProperty('--drawer-top', (hdr ? hdr.getBoundingClientRect().bottom : 0) + 'px');
	}

	async function load(keepScroll) {
		const run = req.begin();
		let d;
		try {
			d = await getJson('site', { id }, run.signal);
		} catch (e) {
			if (e.name === 'AbortError' || run.stale()) return;
			dropCharts();
			clear(box).append(header('site #' + id), errorNote(e));
			box.dataset.ready = 'error';
			return;
		}
		if (run.stale()) return;
		const top = box.scrollTop;
		render(d);
		if (keepScroll) box.scrollTop = top;
		box.dataset.ready = String(id);
	}

	function header(title, loc) {
		return el('div', { class: 'drawer-hd' }, [
			el('div', { style: 'flex:1;min-width:0' }, [
				el('h2', { text: title }),
				loc ? el('div', { class: 'muted mono', text: loc }) : null,
			]),
			el('button', { type: 'button', class: 'close', 'aria-label': 'Close', title: 'Close (Esc)', text: '✕', onclick: onClose }),
		]);
	}

	function render(d) {
		const s = d.site || {};
		const f = topFrame(s.frames);
		const sm = summary ? summary() : null;
		const h3 = (text) => el('h3', null, [text, estBadge(sm)]);
		dropCharts();
		clear(box);
		box.append(
			header(siteName(s), frameLoc(f) || (f && f.module) || ''),
			el('div', { class: 'muted', text: `site #${s.site}` + (num(s.sites) > 1 ? ` · one of the ${s.sites} stacks of this group` : '') }),
			h3('Numbers'),
			el('div', { class: 'cards' }, [
				stat('Allocations', fmtCount(s.allocs), fmtBytes(s.bytes)),
				stat('Size', fmtBytes(s.avg_size), `${fmtBytes(s.min_size)} … ${fmtBytes(s.max_size)}`),
				stat('Frees', fmtCount(s.frees), fmtPct(s.temporary_share) + ' temporary'),
				stat('Live', fmtBytes(s.live_bytes), fmtCount(s.live_blocks) + ' blocks'),
				stat('Peak live', fmtBytes(s.peak_live_bytes)),
				num(s.lifetime_p50_ns) === null && num(s.frees) === 0
					? stat('Lifetime', 'none freed', 'all still live')
					: stat('Lifetime p50', fmtDur(s.lifetime_p50_ns), `p90 ${fmtDur(s.lifetime_p90_ns)}, p99 ${fmtDur(s.lifetime_p99_ns)}`),
				stat('Longest lifetime', fmtDur(s.lifetime_max_ns)),
				stat('In allocator', fmtDur(s.alloc_time_p50_ns), 'p50; p99 ' + fmtDur(s.alloc_time_p99_ns)),
			]),
			el('h3', { text: 'Call stack (innermost first)' }),
			el('div', { class: 'site-stack' }, stackList(s.frames)),
		);
		if (d.partial) {
			// The HTML report: a site's own timeline and histograms need the recording.
			box.append(note(`This site's timeline, lifetimes and sizes are not in this HTML report: heapscope serve -d RECORDING shows them.`));
			return;
		}
		const tlBox = el('div', { class: 'chart', id: 'site-timeline' });
		const ltBox = el('div', { class: 'chart', id: 'site-lifetimes' });
		const szBox = el('div', { class: 'chart', id: 'site-sizes' });
		box.append(h3('Live bytes over time'), tlBox, h3('Lifetimes'), ltBox, h3('Requested sizes'), szBox);

		const pts = (Array.isArray(d.timeline) ? d.timeline : []).filter((p) => num(p.ts) !== null);
		if (pts.length) {
			charts.push(timeChart(tlBox, {
				xs: pts.map((p) => p.ts),
				height: 170,
				series: [
					{ label: 'live bytes', values: pts.map((p) => num(p.live_bytes)), scale: 'bytes', color: cssVar('--bar-live'), fill: true, width: 2, fmt: fmtBytes, axisFmt: fmtBytesTick, incrs: INCRS.bytes },
					{ label: 'allocations in interval', values: pts.map((p) => num(p.allocs)), scale: 'n', color: cssVar('--accent'), width: 1, fmt: fmtCount, axisFmt: fmtCount, incrs: INCRS.count },
				],
			}));
		} else tlBox.appendChild(note('No timeline for this site.'));

		const lt = lifetimeBuckets([d.lifetimes]);
		if (lt.labels.length) {
			charts.push(histChart(ltBox, { labels: lt.labels, tips: lt.tips, height: 180, xLabel: 'lifetime', fmt: fmtCount, axisFmt: fmtCount, series: [{ label: 'blocks', values: lt.series[0], color: cssVar('--bar') }] }));
		} else ltBox.appendChild(note('No blocks.'));
		const sz = sizeBuckets([d.sizes]);
		if (sz.labels.length) {
			charts.push(histChart(szBox, { labels: sz.labels, tips: sz.tips, height: 180, xLabel: 'size', fmt: fmtCount, axisFmt: fmtCount, series: [{ label: 'allocations', values: sz.series[0], color: cssVar('--bar') }] }));
		} else szBox.appendChild(note('No allocations.'));
	}

	return {
		show(siteId) {
			const key = String(siteId);
			if (key === lastKey && box.isConnected) return;
			lastKey = key;
			id = siteId;
			if (!box.isConnected) {
				document.body.appendChild(box);
				document.addEventListener('keydown', onKey);
			}
			place();
			delete box.dataset.ready;
			box.scrollTop = 0;
			dropCharts();
			clear(box).append(header('site #' + id), note('Loading…'));
			load(false);
		},
		refresh() {
			if (box.isConnected && id !== null) load(true);
		},
		hide() {
			req.cancel();
			lastKey = '';
			id = null;
			dropCharts();
			box.remove();
			document.removeEventListener('keydown', onKey);
		},
		// Open on site id, or closed when id is null: the selection in the URL.
		sync(siteId) {
			if (siteId === null) this.hide();
			else this.show(siteId);
		},
		destroy() {
			this.hide();
			req.cancel();
		},
	};
}

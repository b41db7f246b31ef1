// A rule's trend (the daemon's #/trend?rule=NAME): a continuous recording is a run of windows;
// this charts the live bytes (or blocks) of its top sites at the end of each window (/api/trend),
// so a site that keeps growing from one window to the next stands out. Reloaded every 10 s.
import { getJson, requests } from './api.js';
import { INCRS, PALETTE, sparkline, timeChart } from './charts.js';
import { clear, cssVar, el, errorNote, note, panel, seg } from './dom.js';
import { arr, fmtBytes, fmtBytesTick, fmtCount, fmtDur, fmtSigned, fmtWallClock, num, shortLoc, siteName, str, topFrame } from './format.js';
import { pageHref } from './routes.js';

const RELOAD_MS = 10000;
const TOPS = [5, 10, 20];
const VALUES = [
	{ value: 'live_bytes', label: 'Live bytes', fmt: fmtBytes, axis: fmtBytesTick, incrs: INCRS.bytes },
	{ value: 'live_blocks', label: 'Live blocks', fmt: fmtCount, axis: fmtCount, incrs: INCRS.count },
];

function opts(p) {
	const top = Number(p.get('top'));
	const value = VALUES.find((v) => v.value === p.get('value')) || VALUES[0];
	return { rule: p.get('rule') || '', top: TOPS.includes(top) ? top : 10, value };
}

export function mount(root, ctx, params) {
	let o = opts(params);
	const req = requests();
	let chart = null;
	let timer = 0;
	let last = '';
	let data = null;

	const ruleSel = el('select', { id: 'trend-rule', 'aria-label': 'Rule' });
	ruleSel.addEventListener('change', () => ctx.go({ rule: ruleSel.value }));
	const topSel = el('select', { id: 'trend-top', 'aria-label': 'Sites shown' }, TOPS.map((n) => el('option', { value: String(n), text: `top ${n} sites` })));
	topSel.addEventListener('change', () => ctx.go({ top: topSel.value === '10' ? null : topSel.value }));
	const valueBox = el('span');
	const sub = el('span', { class: 'muted', id: 'trend-windows' });
	const estBox = el('span');
	const info = el('p', { class: 'sub', id: 'trend-rule-info' });
	const chartBox = el('div', { class: 'chart', id: 'trend-chart' });
	const tableBox = el('div', { class: 'tablewrap', id: 'trend-table' });
	root.append(
		panel('Trend', 'Each point is one window of the rule\'s continuous recording: the site\'s live bytes at the window\'s end. A line that keeps rising is memory that keeps growing.',
			el('div', null, [
				el('div', { class: 'controls' }, [el('span', { text: 'Rule' }), ruleSel, topSel, valueBox, el('span', { class: 'spacer' }), estBox, sub, el('a', { href: pageHref('home'), text: '← Recordings' })]),
				info, chartBox,
			]), { id: 'trend-panel' }),
		panel('Sites', 'The same sites: first and last window, and the change between them.', tableBox, { id: 'trend-sites' }),
	);

	let rules = null; // /api/rules' list, once read

	function fillRules() {
		const names = arr(rules).map((r) => str(r.name));
		if (o.rule && !names.includes(o.rule)) names.unshift(o.rule);
		clear(ruleSel).append(...names.map((r) => el('option', { value: r, text: r })));
		ruleSel.value = o.rule;
	}

	// What the rule records, in one line (its match, window, sampling), above the chart.
	function ruleLine(r) {
		const match = [r.comm ? `comm ${r.comm}` : '', r.cgroup ? `cgroup ${r.cgroup}` : ''].filter(Boolean).join(' and ');
		const smp = num(r.sample_bytes) > 0 ? `sampled, 1 per ${fmtBytes(r.sample_bytes)}` : 'exact';
		return `Records ${match || 'the processes it matches'} in windows of ${fmtDur(num(r.window_s) * 1e9)}, ${smp}` + (r.stack ? `, ${r.stack} stacks` : '') + '.';
	}

	function draw() {
		clear(valueBox).append(seg(VALUES.map((v) => ({ value: v.value, label: v.label })), o.value.value, (v) => ctx.go({ value: v === 'live_bytes' ? null : v }), 'Value'));
		topSel.value = String(o.top);
		if (!data) return;
		const windows = arr(data.windows);
		const sites = arr(data.sites).slice(0, o.top);
		const k = o.value.value;
		sub.textContent = `${fmtCount(windows.length)} window${windows.length === 1 ? '' : 's'}` +
			(windows.length ? `, from ${fmtWallClock(num(windows[0].start_ns))}` : '');
		if (chart) chart.destroy();
		chart = null;
		clear(chartBox);
		clear(tableBox);
		clear(estBox);
		// A sampled rule's windows hold estimates.
		if (windows.some((w) => w.estimated === true)) estBox.append(el('span', { class: 'badge est', 'data-estimated': '', title: 'The rule records sampled: every number is an estimate.', text: 'Sampled · estimates' }));
		const rule = arr(rules).find((r) => str(r.name) === o.rule);
		if (rule) info.textContent = ruleLine(rule);
		if (!windows.length) {
			// Waiting: say for what, so an empty chart does not read as broken.
			const pids = rule ? arr(rule.recording_pids) : [];
			const why = pids.length ? `its first window is being recorded now (${pids.length === 1 ? 'pid' : 'pids'} ${pids.join(', ')}); it ends in at most ${fmtDur(num(rule.window_s) * 1e9)}.` :
				'no running process matches it yet. Each one that does is recorded window after window.';
			chartBox.append(note(`Rule ${o.rule} is waiting for its first window: ${why}`, 'waiting'));
			tableBox.append(note('No window yet: the sites show once the first one has ended.'));
			ctx.ready();
			return;
		}
		// x: each window's start, from the first one's (ns); the window index when unknown.
		const t0 = num(windows[0].start_ns);
		const xs = windows.map((w, i) => (t0 !== null && num(w.start_ns) !== null ? w.start_ns - t0 : i * 1e9));
		// The whole process's total per window (dashed), when the windows carry it, then the sites.
		const series = [];
		if (windows.every((w) => num(w[k]) !== null)) {
			series.push({ label: 'all sites', values: windows.map((w) => num(w[k])), scale: 'y', color: cssVar('--muted'), width: 1.5, dash: [5, 4], fmt: o.value.fmt, axisFmt: o.value.axis, incrs: o.value.incrs });
		}
		sites.forEach((s, i) => series.push({
			label: str(s.function) || siteName(s),
			values: arr(s[k]).map((v) => num(v)),
			scale: 'y', color: PALETTE[i % PALETTE.length], width: 2, fmt: o.value.fmt, axisFmt: o.value.axis, incrs: o.value.incrs,
		}));
		if (series.length) chart = timeChart(chartBox, { xs, height: 300, series });
		else chartBox.append(note('No live blocks at the end of any window.'));
		if (!sites.length) {
			tableBox.append(note('No site had live blocks at the end of a window.'));
			ctx.ready();
			return;
		}
		tableBox.append(el('table', { id: 'trend-sites-table' }, [
			el('thead', null, el('tr', null, [el('th', { class: 'num', text: '#' }), el('th', { text: 'Function' }), el('th', { text: 'Location' }),
				el('th', { text: 'Across windows' }), el('th', { class: 'num', text: 'First' }), el('th', { class: 'num', text: 'Last' }), el('th', { class: 'num', text: 'Change' })])),
			el('tbody', null, sites.map((s, i) => {
				const vals = arr(s[k]).map((v) => num(v) || 0);
				const first = vals.length ? vals[0] : null;
				const lastV = vals.length ? vals[vals.length - 1] : null;
				const d = first === null ? null : lastV - first;
				const name = str(s.function) || siteName(s);
				return el('tr', { 'data-key': str(s.key) }, [
					el('td', { class: 'rank', text: String(i + 1) }),
					el('td', { class: 'fn', title: name }, [el('span', { class: 'swatch', style: `background:${PALETTE[i % PALETTE.length]}` }), name]),
					el('td', { class: 'loc', text: shortLoc(topFrame(s.frames)) }),
					el('td', null, sparkline(vals, { width: 140, label: `${name}: ${o.value.label.toLowerCase()} per window`, color: PALETTE[i % PALETTE.length] })),
					el('td', { class: 'num', text: o.value.fmt(first) }),
					el('td', { class: 'num', text: o.value.fmt(lastV) }),
					el('td', { class: 'num delta ' + (d > 0 ? 'up' : d < 0 ? 'down' : ''), 'data-value': d === null ? null : String(d), text: fmtSigned(d, o.value.fmt) }),
				]);
			})),
		]));
		ctx.ready();
	}

	async function load() {
		clearTimeout(timer);
		const run = req.begin();
		let d;
		try {
			// The rules first: a rule the config file does not have is said without a 404.
			const rs = await getJson('/api/rules', null, run.signal);
			if (run.stale()) return;
			const fresh = rules === null;
			rules = arr(rs && rs.rules);
			if (fresh) fillRules();
			if (!o.rule) {
				data = null;
				clear(chartBox).append(note(rules.length ? 'Pick a rule.' : 'The daemon\'s config file has no rules: a [rule NAME] section records the processes it matches window after window.'));
				ctx.ready();
				return;
			}
			if (!rules.some((r) => str(r.name) === o.rule)) throw Object.assign(new Error('no such rule'), { status: 404 });
			d = await getJson('/api/trend', { rule: o.rule, top: Math.max(...TOPS) }, run.signal);
		} catch (e) {
			if (e.name === 'AbortError' || run.stale()) return;
			data = null;
			last = '';
			if (chart) chart.destroy();
			chart = null;
			clear(tableBox);
			info.textContent = '';
			sub.textContent = '';
			clear(chartBox).append(e.status === 404 ? el('div', { class: 'note error', role: 'alert', id: 'trend-missing' },
				`There is no such rule: ${o.rule}. ` + (arr(rules).length ? `The daemon's rules: ${arr(rules).map((r) => str(r.name)).join(', ')}.` : 'The daemon\'s config file has no rules.')) : errorNote(e));
			ctx.ready();
			timer = setTimeout(load, RELOAD_MS);
			return;
		}
		if (run.stale()) return;
		timer = setTimeout(load, RELOAD_MS);
		const sig = JSON.stringify([d, arr(rules).find((r) => str(r.name) === o.rule)]);
		if (sig === last && data) return; // nothing new: the chart keeps its cursor
		last = sig;
		data = d;
		draw();
	}

	load();
	return {
		update(p) {
			const prev = o;
			o = opts(p);
			if (rules !== null) fillRules();
			if (prev.rule !== o.rule) {
				last = '';
				load();
			} else draw();
		},
		refresh() {
			load();
		},
		destroy() {
			req.cancel();
			clearTimeout(timer);
			if (chart) chart.destroy();
		},
	};
}

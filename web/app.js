// The dashboard's shell: a hash router (#/view?params), the header with the recording's
// status, and the 2-second refresh of the current view while the recording is live.
import { getJson } from './api.js';
import { clear, el } from './dom.js';
import { arr, fmtBytes, fmtCount, fmtDur, fmtWallClock, num, sampling, samplingText, str } from './format.js';
import * as overview from './overview.js';
import * as sites from './sites.js';
import * as leaks from './leaks.js';
import * as lifetimes from './lifetimes.js';
import * as flame from './flame.js';
import * as errors from './errors.js';
import * as advice from './advice.js';

const VIEWS = [
	{ id: 'overview', title: 'Overview', mod: overview },
	{ id: 'sites', title: 'Call sites', mod: sites },
	{ id: 'leaks', title: 'Leak suspects', mod: leaks },
	{ id: 'lifetimes', title: 'Lifetimes', mod: lifetimes },
	{ id: 'flame', title: 'Flame graph', mod: flame },
	{ id: 'errors', title: 'Errors', mod: errors },
	{ id: 'advice', title: 'Advice', mod: advice },
];
const REFRESH_MS = 2000;

const state = {
	summary: null,
	wasLive: false,
	current: null, // {id, view, root}
	timer: 0,
};

function parseHash() {
	const h = location.hash.replace(/^#\/?/, '');
	const q = h.indexOf('?');
	const id = q >= 0 ? h.slice(0, q) : h;
	const params = new URLSearchParams(q >= 0 ? h.slice(q + 1) : '');
	const v = VIEWS.find((x) => x.id === id);
	return { v: v || VIEWS[0], params, known: !!v || id === '' };
}

function hashOf(id, params) {
	const s = params.toString();
	return '#/' + id + (s ? '?' + s : '');
}

// go({key: value|null}, {replace, view}): a new URL for the current (or another) view; null
// removes a parameter. The hashchange that follows updates the view.
function go(patch, opts = {}) {
	const cur = parseHash();
	const id = opts.view || cur.v.id;
	const params = opts.view && opts.view !== cur.v.id ? new URLSearchParams() : cur.params;
	for (const [k, v] of Object.entries(patch || {})) {
		if (v === null || v === undefined || v === '') params.delete(k);
		else params.set(k, String(v));
	}
	const hash = hashOf(id, params);
	if (hash === location.hash) return;
	if (opts.replace) location.replace(hash);
	else location.hash = hash;
}

function makeCtx(id, root) {
	return {
		root,
		go,
		summary: () => state.summary,
		href: (view, params) => hashOf(view, new URLSearchParams(params || {})),
		// Marks the view drawn (tests wait for it), and how many times it has been.
		ready() {
			root.dataset.ready = id;
			root.dataset.renders = String(Number(root.dataset.renders || 0) + 1);
		},
	};
}

function route() {
	const { v, params, known } = parseHash();
	if (!known) {
		location.replace(hashOf('overview', new URLSearchParams()));
		return;
	}
	for (const a of document.querySelectorAll('#nav a')) {
		if (a.dataset.view === v.id) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
	document.title = v.title + ' · heapscope' + (state.summary && state.summary.command ? ' — ' + state.summary.command : '');
	if (state.current && state.current.id === v.id) {
		state.current.view.update(params);
		return;
	}
	if (state.current) state.current.view.destroy();
	const main = document.getElementById('view');
	clear(main);
	delete main.dataset.ready;
	delete main.dataset.renders;
	main.dataset.view = v.id;
	const root = el('div', { class: 'view view-' + v.id });
	main.appendChild(root);
	const view = v.mod.mount(root, makeCtx(v.id, main), params);
	state.current = { id: v.id, view };
	window.scrollTo(0, 0);
}

function renderHeader(s) {
	const cmd = str(s.command) || str(s.exe) || (num(s.pid) !== null ? 'pid ' + s.pid : '');
	document.getElementById('hdr-cmd').textContent = cmd;
	document.getElementById('hdr-cmd').title = cmd;
	const meta = clear(document.getElementById('hdr-meta'));
	const m = (k, v) => {
		if (v) meta.appendChild(el('span', null, [k + ' ', el('b', { text: v })]));
	};
	m('pid', num(s.pid) !== null ? String(s.pid) : '');
	m('mode', str(s.mode));
	m('allocator', str(s.allocator).replace(/^.*\//, ''));
	m('started', fmtWallClock(s.start_time_ns));
	m(s.live ? 'recording for' : 'duration', num(s.duration_ns) !== null ? fmtDur(s.duration_ns) : '');
	if (!s.live && s.end_reason) m('ended', str(s.end_reason).replace('cut_short', 'cut short') + (num(s.exit_status) !== null ? ' (status ' + s.exit_status + ')' : ''));

	const badge = document.getElementById('status');
	badge.className = 'status';
	if (s.live) {
		badge.classList.add('live');
		badge.textContent = 'LIVE — recording';
		badge.title = 'The recording is still running; this page refreshes every 2 s.';
	} else if (s.end_reason === 'cut_short' || s.end_reason === 'error') {
		// The recorder stopped without finishing (killed, or writing failed): not live, and not
		// a complete recording either.
		badge.classList.add('ended');
		badge.textContent = 'recording cut short';
		badge.title = s.end_reason === 'error' ?
			'Writing the recording failed (see the notice); these are the numbers stored until then.' :
			'The recorder stopped without finishing (killed?); these are the numbers of its last write, at most about a second before.';
	} else if (state.wasLive) {
		badge.classList.add('ended');
		badge.textContent = 'recording ended';
		badge.title = 'The recording has ended; these are its final numbers.';
	} else {
		badge.textContent = '';
		badge.title = '';
	}
	badge.hidden = !badge.textContent;

	// A sampled recording: every number on every view is an estimate, said once up here too.
	const smp = sampling(s);
	const sb = document.getElementById('sampling');
	sb.textContent = smp ? `Sampled · estimates · 1 per ${fmtBytes(smp.mean_bytes)}` : '';
	sb.title = smp ? samplingText(smp) : '';
	sb.hidden = !smp;

	const errs = (num(s.double_frees) || 0) + (num(s.invalid_frees) || 0);
	const errCount = document.getElementById('nav-errors-count');
	errCount.textContent = errs ? fmtCount(errs) : '';
	errCount.hidden = !errs;

	const banners = clear(document.getElementById('banners'));
	const dropped = num(s.dropped_events) || 0;
	if (dropped > 0) {
		banners.appendChild(el('div', { class: 'banner', id: 'dropped-banner', role: 'alert' },
			`⚠ ${fmtCount(dropped)} events were dropped while recording: counts, live blocks and leaks are incomplete. ` +
			'Record again with a lower event rate (or fewer threads traced).'));
	}
	const lost = (num(s.stack_collisions) || 0) + (num(s.stack_map_full) || 0);
	if (lost > 0) {
		banners.appendChild(el('div', { class: 'banner warn' },
			`${fmtCount(lost)} call stacks were lost (stack map collisions or a full stack map): some allocations are attributed to an unknown site.`));
	}
	const ev = s.events;
	if (ev && ev.accounted === false) {
		banners.appendChild(el('div', { class: 'banner', id: 'events-banner', role: 'alert' },
			`⚠ Not every event is accounted for: ${fmtCount(ev.emitted)} emitted, ${fmtCount(ev.received)} received, ` +
			`${fmtCount(ev.stored)} stored + ${fmtCount(ev.after_cut)} after the cut. Some events went missing between the kernel and this file.`));
	}
	// What heapscope could not trace: said once each, above every view.
	arr(s.notices).forEach((n, i) => {
		banners.appendChild(el('div', { class: 'banner warn notice', id: 'notice-' + i, 'data-kind': str(n.kind) },
			(num(n.pid) !== null ? `pid ${n.pid}: ` : '') + str(n.message)));
	});
}

function showFatal(err) {
	const main = document.getElementById('view');
	clear(main);
	main.appendChild(el('div', { class: 'banner' }, 'Cannot load the recording: ' + (err && err.message ? err.message : String(err))));
}

// The live loop: every REFRESH_MS while the recording runs, new summary, then the view.
async function tick() {
	state.timer = 0;
	let s;
	try {
		s = await getJson('/api/summary');
	} catch (e) {
		// A blip (the server busy, a restart): keep trying at the same pace.
		document.getElementById('status').title = String(e.message || e);
		state.timer = setTimeout(tick, REFRESH_MS);
		return;
	}
	state.summary = s;
	renderHeader(s);
	if (state.current) state.current.view.refresh();
	if (s.live) state.timer = setTimeout(tick, REFRESH_MS);
}

async function start() {
	for (const v of VIEWS) {
		const a = el('a', { href: '#/' + v.id, 'data-view': v.id, text: v.title });
		if (v.id === 'errors') a.appendChild(el('span', { class: 'count', id: 'nav-errors-count', hidden: true }));
		document.getElementById('nav').appendChild(a);
	}
	try {
		state.summary = await getJson('/api/summary');
	} catch (e) {
		showFatal(e);
		return;
	}
	state.wasLive = !!state.summary.live;
	renderHeader(state.summary);
	window.addEventListener('hashchange', route);
	route();
	if (state.summary.live) state.timer = setTimeout(tick, REFRESH_MS);
	document.addEventListener('visibilitychange', () => {
		// A hidden tab stops polling; coming back refreshes at once.
		if (document.hidden && state.timer) {
			clearTimeout(state.timer);
			state.timer = -1;
		} else if (!document.hidden && state.timer === -1) {
			tick();
		}
	});
}

start();

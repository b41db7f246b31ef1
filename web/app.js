// The dashboard's shell: a hash router, the header with the recording's status, and the
// 2-second refresh of the current view while the recording is live. Served by `heapscope serve`
// (one recording: #/VIEW?params; the HTML report too) or by `heapscope daemon`: then a home page
// of recordings and processes (#/), each recording's views under #/r/ID/VIEW, #/compare and
// #/trend; which one it is, GET /api/daemon says.
import { getJson, offline, sendJson, setRecording, setWindow } from './api.js';
import { clear, el } from './dom.js';
import { arr, fmtBytes, fmtCount, fmtDur, fmtWallClock, num, sampling, samplingText, str } from './format.js';
import { pageHref, recHref } from './routes.js';
import * as overview from './overview.js';
import * as sites from './sites.js';
import * as leaks from './leaks.js';
import * as lifetimes from './lifetimes.js';
import * as flame from './flame.js';
import * as errors from './errors.js';
import * as advice from './advice.js';
import * as home from './home.js';
import * as compare from './compare.js';
import * as trend from './trend.js';

const VIEWS = [
	{ id: 'overview', title: 'Overview', mod: overview },
	{ id: 'sites', title: 'Call sites', mod: sites },
	{ id: 'leaks', title: 'Leak suspects', mod: leaks },
	{ id: 'lifetimes', title: 'Lifetimes', mod: lifetimes },
	{ id: 'flame', title: 'Flame graph', mod: flame },
	{ id: 'errors', title: 'Errors', mod: errors },
	{ id: 'advice', title: 'Advice', mod: advice },
];
// The daemon's own pages (no recording chosen).
const PAGES = {
	home: { id: 'home', title: 'Recordings', mod: home },
	compare: { id: 'compare', title: 'Compare', mod: compare },
	trend: { id: 'trend', title: 'Trend', mod: trend },
};
const REFRESH_MS = 2000;
// How long a recording just started may take to answer its summary.
const WAIT_FIRST_MS = 15000;

const state = {
	daemon: null, // /api/daemon's answer when the daemon serves this page, else null
	rec: null, // the daemon's recording whose views are shown (null: serve's one recording)
	summary: null,
	wasLive: false,
	current: null, // {id, view}
	timer: 0,
	gen: 0, // bumped by every route: a load begun for an older route is dropped
};

// #/VIEW?params (serve); the daemon adds #/ (home), #/r/ID/VIEW?params, #/compare, #/trend.
// -> {page: 'rec'|'home'|'compare'|'trend', rec, v (a VIEWS entry), params, known}
function parseHash() {
	const h = location.hash.replace(/^#\/?/, '');
	const q = h.indexOf('?');
	let path = q >= 0 ? h.slice(0, q) : h;
	const params = new URLSearchParams(q >= 0 ? h.slice(q + 1) : '');
	let rec = null;
	if (state.daemon) {
		const m = /^r\/([^/]+)(?:\/(.*))?$/.exec(path);
		if (!m) {
			const page = PAGES[path || 'home'];
			return { page: page ? page.id : 'home', params, known: !!page, v: page || PAGES.home };
		}
		rec = decodeURIComponent(m[1]);
		path = m[2] || '';
	}
	const v = VIEWS.find((x) => x.id === path);
	return { page: 'rec', rec, v: v || VIEWS[0], params, known: !!v || path === '' };
}

// The time window (from/to in the URL, ns since the start; set by a selection on the overview's
// timeline) holds for every view: kept when going to another view, sent with every request
// (api.js), shown as a removable chip in the header.
const WINDOW_KEYS = ['from', 'to'];

function windowOf(params) {
	const f = params.get('from');
	const t = params.get('to');
	return f !== null && t !== null && /^\d+$/.test(f) && /^\d+$/.test(t) && Number(t) > Number(f) ? { from: Number(f), to: Number(t) } : null;
}

// params with only the window of from (URLSearchParams) kept.
function keepWindow(from) {
	const out = new URLSearchParams();
	for (const k of WINDOW_KEYS) if (from.has(k)) out.set(k, from.get(k));
	return out;
}

const fmtSec = (ns) => (ns / 1e9).toFixed(1) + ' s';

// Applies the URL's window: the requests' (api.js), the chip, the tabs' links.
function applyWindow(params) {
	const w = windowOf(params);
	setWindow(w ? w.from : null, w ? w.to : null);
	let chip = document.getElementById('window-chip');
	if (!chip) {
		chip = el('span', { class: 'status window-chip', id: 'window-chip', hidden: true }, [
			el('span', { class: 'window-text' }),
			el('button', { type: 'button', class: 'chip-x', title: 'Remove the time window: every view shows the whole recording again', 'aria-label': 'Remove the time window', text: '×', onclick: () => go({ from: null, to: null }) }),
		]);
		document.querySelector('header .bar').insertBefore(chip, document.getElementById('rec-actions'));
	}
	chip.hidden = !w;
	chip.querySelector('.window-text').textContent = w ? `window ${fmtSec(w.from)} – ${fmtSec(w.to)}` : '';
	chip.title = w ? 'Every view shows the allocations made in this window (live: not freed by the end of the recording)' : '';
	const keep = keepWindow(params);
	for (const a of document.querySelectorAll('#nav a')) a.setAttribute('href', hashOf(a.dataset.view, new URLSearchParams(keep)));
}

// The hash of a view of the recording shown (serve: #/VIEW; the daemon: #/r/ID/VIEW).
function hashOf(id, params) {
	if (state.daemon && state.rec !== null) return recHref(state.rec, id, Object.fromEntries(params));
	const s = params.toString();
	return '#/' + id + (s ? '?' + s : '');
}

// go({key: value|null}, {replace, view}): a new URL for the current (or another) view; null
// removes a parameter. The hashchange that follows updates the view.
function go(patch, opts = {}) {
	const cur = parseHash();
	const id = opts.view || cur.v.id;
	const params = opts.view && opts.view !== cur.v.id ? keepWindow(cur.params) : cur.params;
	for (const [k, v] of Object.entries(patch || {})) {
		if (v === null || v === undefined || v === '') params.delete(k);
		else params.set(k, String(v));
	}
	const hash = cur.page === 'rec' ? hashOf(id, params) : pageHref(id, Object.fromEntries(params));
	if (hash === location.hash) return;
	if (opts.replace) location.replace(hash);
	else location.hash = hash;
}

function makeCtx(id, root) {
	return {
		root,
		go,
		summary: () => state.summary,
		daemon: () => state.daemon,
		// Links to other views keep the window.
		href: (view, params) => {
			const p = keepWindow(parseHash().params);
			for (const [k, v] of Object.entries(params || {})) p.set(k, String(v));
			return hashOf(view, p);
		},
		// Marks the view drawn (tests wait for it), and how many times it has been.
		ready() {
			root.dataset.ready = id;
			root.dataset.renders = String(Number(root.dataset.renders || 0) + 1);
		},
	};
}

// Shows view v (a VIEWS or PAGES entry) in #view: updated in place when already shown.
function show(v, params) {
	// A new time window redraws the view from scratch: each view reloads only for its own
	// parameters.
	const win = JSON.stringify(windowOf(params));
	if (state.current && state.current.id === v.id && state.current.win === win) {
		state.current.view.update(params);
		return;
	}
	// The same view again (another window): its renders go on counting (tests wait on them).
	const renders = state.current && state.current.id === v.id ? document.getElementById('view').dataset.renders : undefined;
	unmount();
	const main = document.getElementById('view');
	if (renders) main.dataset.renders = renders;
	main.dataset.view = v.id;
	const root = el('div', { class: 'view view-' + v.id });
	main.appendChild(root);
	const view = v.mod.mount(root, makeCtx(v.id, main), params);
	state.current = { id: v.id, view, win };
	window.scrollTo(0, 0);
}

function unmount() {
	if (state.current) state.current.view.destroy();
	state.current = null;
	const main = document.getElementById('view');
	clear(main);
	delete main.dataset.ready;
	delete main.dataset.renders;
	delete main.dataset.view;
}

async function route() {
	const r = parseHash();
	const gen = ++state.gen;
	if (!r.known) {
		location.replace(r.page === 'rec' ? hashOf('overview', new URLSearchParams()) : pageHref('home'));
		return;
	}
	if (r.page !== 'rec') {
		leaveRecording();
		renderDaemonHeader(r.v);
		document.title = r.v.title + ' · heapscope' + (state.daemon.hostname ? ' — ' + state.daemon.hostname : '');
		show(r.v, r.params);
		return;
	}
	if (state.daemon && r.rec !== state.rec) {
		leaveRecording();
		state.rec = r.rec;
		setRecording(r.rec);
		renderRecordingChrome();
		if (!(await openRecording(gen))) return;
	}
	applyWindow(r.params);
	for (const a of document.querySelectorAll('#nav a')) {
		if (a.dataset.view === r.v.id) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
	document.title = r.v.title + ' · heapscope' + (state.summary && state.summary.command ? ' — ' + state.summary.command : '');
	show(r.v, r.params);
}

// The daemon: leaves the recording shown (its view, its live loop) for another page.
function leaveRecording() {
	if (!state.daemon || state.rec === null) return;
	unmount();
	applyWindow(new URLSearchParams());
	if (state.timer > 0) clearTimeout(state.timer);
	state.timer = 0;
	state.rec = null;
	state.summary = null;
	state.wasLive = false;
	setRecording(null);
}

// The daemon: loads the summary of the recording just chosen (one that was just started may take
// a moment to answer), then its header and live loop; false when it failed or a newer route won.
async function openRecording(gen) {
	const main = document.getElementById('view');
	const deadline = Date.now() + WAIT_FIRST_MS;
	const rec = state.rec;
	// Asked of the list first: a recording that is not there (deleted, a stale link) is said
	// without a request that fails.
	try {
		const list = arr((await getJson('/api/recordings')).recordings);
		if (gen !== state.gen || rec !== state.rec) return false;
		if (!list.some((r) => String(r.id) === rec)) {
			showFatal(null, `There is no recording ${rec}: it was deleted, or the address is wrong.`);
			return false;
		}
	} catch (e) {
		if (gen !== state.gen || rec !== state.rec) return false;
		showFatal(e);
		return false;
	}
	for (;;) {
		try {
			const s = await getJson('summary');
			if (gen !== state.gen || rec !== state.rec) return false;
			state.summary = s;
			break;
		} catch (e) {
			if (gen !== state.gen || rec !== state.rec) return false;
			// 409: the daemon read the file and it is no recording (state unreadable): no wait.
			if (e.status === 401 || e.status === 404 || e.status === 409 || Date.now() > deadline) {
				showFatal(e, e.status === 404 ? `There is no recording ${rec}.` : null);
				return false;
			}
			if (!main.querySelector('#rec-wait')) main.appendChild(el('div', { class: 'note', id: 'rec-wait', text: `Waiting for recording ${rec} to start…` }));
			await new Promise((res) => setTimeout(res, 400));
		}
	}
	clear(main);
	state.wasLive = !!state.summary.live;
	renderHeader(state.summary);
	if (state.summary.live) state.timer = setTimeout(tick, REFRESH_MS);
	return true;
}

// The daemon's pages: the header names the daemon; no recording, so no status and no tabs.
function renderDaemonHeader(page) {
	const d = state.daemon;
	document.getElementById('back').hidden = page.id === 'home';
	const cmd = document.getElementById('hdr-cmd');
	cmd.textContent = page.id === 'home' ? 'Recordings and processes' : page.title;
	cmd.title = '';
	cmd.classList.add('page'); // a page's title, not a command line
	const meta = clear(document.getElementById('hdr-meta'));
	const m = (k, v) => {
		if (v !== null && v !== undefined && v !== '') meta.appendChild(el('span', null, [k + ' ', el('b', { text: String(v) })]));
	};
	m('host', str(d.hostname));
	m('data', str(d.data_dir));
	m('recordings at once', num(d.running_max) !== null ? String(d.running_max) : '');
	m('version', str(d.version));
	for (const id of ['status', 'sampling', 'nav', 'rec-actions']) document.getElementById(id).hidden = true;
	clear(document.getElementById('banners'));
}

// The daemon: the recording's chrome (tabs pointing at its views, the way back home).
function renderRecordingChrome() {
	document.getElementById('back').hidden = false;
	document.getElementById('nav').hidden = false;
	for (const a of document.querySelectorAll('#nav a')) a.setAttribute('href', hashOf(a.dataset.view, new URLSearchParams()));
	document.getElementById('hdr-cmd').textContent = 'Recording ' + state.rec;
	document.getElementById('hdr-cmd').classList.remove('page');
	clear(document.getElementById('hdr-meta'));
	clear(document.getElementById('banners'));
	for (const id of ['status', 'sampling', 'rec-actions']) document.getElementById(id).hidden = true;
}

// The daemon: Stop (while live) and the downloads, beside the status.
function renderRecordingActions(s) {
	const box = document.getElementById('rec-actions');
	box.hidden = false;
	const id = state.rec;
	// Rebuilt only when it changes: an open menu or a focused button survives the refreshes.
	const sig = id + (s.live ? ':live' : ':ended');
	if (box.dataset.sig === sig) return;
	box.dataset.sig = sig;
	clear(box);
	if (s.live) {
		box.appendChild(el('button', {
			type: 'button', id: 'hdr-stop', class: 'danger', text: 'Stop recording',
			title: 'End this recording now, with a clean cut: every event before it is kept.',
			onclick: async (ev) => {
				const b = ev.currentTarget;
				b.disabled = true;
				b.textContent = 'Stopping…';
				try {
					await sendJson('POST', `/api/recordings/${encodeURIComponent(id)}/stop`);
				} catch (e) {
					b.disabled = false;
					b.textContent = 'Stop recording';
					b.title = String(e.message || e);
					alertBanner('Cannot stop the recording: ' + (e.message || e));
					return;
				}
				if (state.rec === id && state.timer > 0) {
					clearTimeout(state.timer);
					tick();
				}
			},
		}));
	}
	box.appendChild(home.downloadMenu(id, 'hdr-download'));
}

function alertBanner(text) {
	document.getElementById('banners').appendChild(el('div', { class: 'banner', role: 'alert', text }));
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

	if (state.daemon) renderRecordingActions(s);

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

// why: a sentence said instead of the error's own message (null: the message).
function showFatal(err, why) {
	unmount();
	const main = document.getElementById('view');
	const msg = err && err.message ? err.message : String(err || '');
	const login = err && err.status === 401;
	main.appendChild(el('div', { class: 'banner', role: 'alert', id: 'fatal' }, login ?
		'Not logged in (or the daemon restarted): open the dashboard URL the daemon printed, the one with ?token=…' :
		'Cannot load the recording: ' + (why || msg)));
	if (state.daemon) main.appendChild(el('p', null, el('a', { href: pageHref('home'), text: '← Back to the recordings' })));
}

// The live loop: every REFRESH_MS while the recording runs, new summary, then the view.
async function tick() {
	state.timer = 0;
	const rec = state.rec;
	let s;
	try {
		s = await getJson('summary');
	} catch (e) {
		if (rec !== state.rec) return;
		if (e.status === 404 && state.daemon) {
			// Deleted while shown (another tab, ctl delete): nothing more to poll.
			showFatal(null, `There is no recording ${rec} any more: it was deleted.`);
			return;
		}
		if (e.status === 401) {
			showFatal(e);
			return;
		}
		// A blip (the server busy, a restart): keep trying at the same pace.
		document.getElementById('status').title = String(e.message || e);
		state.timer = setTimeout(tick, REFRESH_MS);
		return;
	}
	if (rec !== state.rec || !state.summary) return; // left for another recording or page
	state.summary = s;
	renderHeader(s);
	if (state.current) state.current.view.refresh();
	if (s.live) state.timer = setTimeout(tick, REFRESH_MS);
}

// Which server this is: the daemon answers /api/daemon {"daemon": true, ...}, serve (and record
// --serve) {"daemon": false}; the HTML report has no server (its data is in the page).
async function detect() {
	if (offline()) return { summary: await getJson('summary') };
	const d = await getJson('/api/daemon');
	if (d && d.daemon === true) return { daemon: d };
	return { summary: await getJson('summary') };
}

async function start() {
	for (const v of VIEWS) {
		const a = el('a', { href: '#/' + v.id, 'data-view': v.id, text: v.title });
		if (v.id === 'errors') a.appendChild(el('span', { class: 'count', id: 'nav-errors-count', hidden: true }));
		document.getElementById('nav').appendChild(a);
	}
	let found;
	try {
		found = await detect();
	} catch (e) {
		showFatal(e);
		return;
	}
	window.addEventListener('hashchange', route);
	if (found.daemon) {
		state.daemon = found.daemon;
		document.body.classList.add('daemon');
		home.dismissMenus();
		document.querySelector('header .brand').setAttribute('href', pageHref('home'));
		clear(document.getElementById('view'));
		route();
	} else {
		state.summary = found.summary;
		state.wasLive = !!state.summary.live;
		renderHeader(state.summary);
		route();
		if (state.summary.live) state.timer = setTimeout(tick, REFRESH_MS);
	}
	document.addEventListener('visibilitychange', () => {
		// A hidden tab stops polling; coming back refreshes at once.
		if (document.hidden && state.timer > 0) {
			clearTimeout(state.timer);
			state.timer = -1;
		} else if (!document.hidden && state.timer === -1) {
			tick();
		}
	});
}

start();

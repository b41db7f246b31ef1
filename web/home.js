// The daemon's home: its recordings, live and finished (open, stop, delete, download, pick two to
// compare), the config file's rules (what each records, the processes it records now, its
// trend), and the processes it could record (filter; Record with a duration,
// stack mode and sampling rate), refreshed every 2 s. Rows are kept across refreshes, so a
// focused button, a checked box or an open menu survives them.
import { getJson, requests, sendJson } from './api.js';
import { append, clear, el, errorNote, note, panel } from './dom.js';
import { arr, basename, fmtBytes, fmtCount, fmtDur, fmtWallClock, num, samplingText, str } from './format.js';
import { DOWNLOADS, downloadHref, pageHref, recHref } from './routes.js';

const REFRESH_MS = 2000;
const MAX_PROCESSES = 300; // rows drawn at once; the filter finds the others

// A recording's state as a badge: LIVE, ended, cut short, error.
export function stateBadge(r) {
	if (r.state === 'running') return el('span', { class: 'badge live', 'data-state': 'running', title: 'Recording now', text: 'LIVE' });
	if (r.state === 'unreadable') {
		return el('span', { class: 'badge bad', 'data-state': 'unreadable', title: 'Not a readable recording: ' + (str(r.read_error) || 'unknown reason'), text: 'unreadable' });
	}
	if (r.end_reason === 'error') {
		return el('span', { class: 'badge bad', 'data-state': 'error', title: 'Writing the recording failed: it holds what was stored until then.', text: 'error' });
	}
	if (r.state === 'cut_short' || r.end_reason === 'cut_short') {
		return el('span', { class: 'badge warn', 'data-state': 'cut_short', title: 'The recorder stopped without finishing (killed?): the numbers of its last write.', text: 'cut short' });
	}
	return el('span', { class: 'badge', 'data-state': 'ended', title: r.end_reason ? 'Ended: ' + str(r.end_reason).replace('_', ' ') : 'Ended', text: 'ended' });
}

// A sampled recording's numbers are estimates: its badge (null for an exact one).
function estimated(r) {
	const b = num(r.sample_bytes);
	if (!(b > 0) && r.estimated !== true) return null;
	const title = b > 0 ? samplingText({ mean_bytes: b }) : 'Sampled recording: counts and bytes are estimates.';
	return el('span', { class: 'badge est', 'data-estimated': '', title, text: 'estimated' });
}

function sampled(r) {
	return num(r.sample_bytes) > 0 || r.estimated === true;
}

// downloadMenu(id, domId): a disclosure listing the recording's files (db, pprof, HTML, JSON).
export function downloadMenu(id, domId) {
	return el('details', { class: 'menu', id: domId || null }, [
		el('summary', { text: 'Download', title: 'Download this recording' }),
		el('div', { class: 'menu-list', role: 'menu' }, DOWNLOADS.map((d) => el('a', {
			role: 'menuitem', href: downloadHref(id, d.format), download: '', 'data-format': d.format, title: d.title, text: d.label,
		}))),
	]);
}

// Open Download menus close on a click elsewhere or on Escape (installed once by the shell).
export function dismissMenus() {
	const close = (except) => {
		for (const d of document.querySelectorAll('details.menu[open]')) if (d !== except) d.removeAttribute('open');
	};
	document.addEventListener('click', (e) => close(e.target.closest ? e.target.closest('details.menu') : null));
	document.addEventListener('keydown', (e) => {
		if (e.key === 'Escape') close(null);
	});
}

// An API error in words: a 401 means the session is gone (the daemon restarted: a new token).
function failure(e) {
	if (e && e.status === 401) return el('div', { class: 'banner', role: 'alert', text: 'Not logged in (or the daemon restarted): open the dashboard URL the daemon printed, the one with ?token=…' });
	return errorNote(e);
}

// syncRows(tbody, items, key, make, update): one row per item, in order, each made once (make)
// and updated on every refresh (update(tr, item)); rows of items gone are removed.
function syncRows(tbody, items, key, make, update) {
	const old = new Map();
	for (const tr of tbody.children) old.set(tr.dataset.key, tr);
	const rows = items.map((it) => {
		const k = String(key(it));
		let tr = old.get(k);
		if (tr) old.delete(k);
		else {
			tr = make(it);
			tr.dataset.key = k;
		}
		update(tr, it);
		return tr;
	});
	for (const tr of old.values()) tr.remove();
	rows.forEach((tr, i) => {
		if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
	});
}

// set(td, text, value, title): a cell's text (and data-value for tests), touched only if changed.
function set(td, text, value, title) {
	if (td.textContent !== text) td.textContent = text;
	const v = value === null || value === undefined ? null : String(value);
	if (v === null) td.removeAttribute('data-value');
	else if (td.dataset.value !== v) td.dataset.value = v;
	if (title !== undefined && td.title !== (title || '')) td.title = title || '';
}

// "2026-12-06 16:15:21 UTC" -> "16:15:21" today, else "12-06 16:15" (the full one is the title).
function shortWhen(when) {
	const m = /^(\d{4})-(\d\d-\d\d) (\d\d:\d\d)(:\d\d)/.exec(when);
	if (!m) return when;
	const today = new Date().toISOString().slice(0, 10);
	return today === `${m[1]}-${m[2]}` ? m[3] + m[4] : `${m[2]} ${m[3]}`;
}

function th(text, cls, title) {
	return el('th', { class: cls || null, scope: 'col', title: title || null, text });
}

export function mount(root, ctx) {
	const req = requests();
	const picked = []; // recording ids checked for Compare, oldest pick first
	let recordings = [];
	let processes = [];
	let rules = [];
	let timer = 0;
	let destroyed = false;

	// ---------- recordings ----------
	const recCount = el('span', { class: 'muted', id: 'recordings-count' });
	const compareBtn = el('button', { type: 'button', id: 'compare-btn', disabled: true, text: 'Compare', onclick: onCompare });
	const recError = el('div', { id: 'recordings-error' });
	const recBody = el('tbody', { id: 'recordings-body' });
	const recEmpty = note('No recordings yet: record a process below.');
	const recTable = el('table', { id: 'recordings-table' }, [
		el('thead', null, el('tr', null, [
			el('th', { class: 'pick' }, el('span', { class: 'sr-only', text: 'Pick to compare' })),
			th('Recording'), th('State'), th('Target'), th('Mode'), th('Started', null, 'UTC'),
			th('Duration', 'num'), th('Size', 'num', 'Size of the recording file'), th('Allocations', 'num'), th('Live bytes', 'num', 'Live now (running) or at the end'),
			th('Errors', 'num', 'Double and invalid frees'), el('th', null, el('span', { class: 'sr-only', text: 'Actions' })),
		])),
		recBody,
	]);
	const recBox = el('div', { class: 'tablewrap' }, [recTable, recEmpty]);
	root.append(panel('Recordings', 'Live and finished, oldest first. Open one to see its views; tick two (or one: two halves of it) and Compare.',
		el('div', null, [el('div', { class: 'controls' }, [compareBtn, el('span', { class: 'spacer' }), recCount]), recError, recBox]), { id: 'recordings' }));

	// ---------- rules (continuous recording) ----------
	const rulesError = el('div', { id: 'rules-error' });
	const rulesBody = el('tbody', { id: 'rules-body' });
	const rulesEmpty = note('No rules: a [rule NAME] section in the daemon\'s config file (--config) records the processes it matches continuously, one window after another.', 'rules-empty');
	const rulesTable = el('table', { id: 'rules-table' }, [
		el('thead', null, el('tr', null, [
			th('Rule'), th('Matches', null, 'Processes whose /proc/PID/comm equals comm, in the cgroup (v2 path prefix)'),
			th('Window', 'num', 'Each recording\'s length'), th('Sampling · stacks', null, 'Exact or sampled, and how call stacks are walked'),
			th('Keeps', null, 'Ended windows kept (the oldest are deleted)'), th('Recording now'),
			th('Windows', 'num', 'Ended windows kept now'), el('th', null, el('span', { class: 'sr-only', text: 'Trend' })),
		])),
		rulesBody,
	]);
	const rulesPanel = panel('Rules', 'Continuous recordings from the config file: each matching process is recorded window after window; a rule\'s trend shows how its sites\' live bytes move across windows.',
		el('div', null, [rulesError, el('div', { class: 'tablewrap' }, [rulesTable, rulesEmpty])]), { id: 'rules' });
	root.append(rulesPanel);

	// ---------- processes ----------
	const filter = el('input', { type: 'search', id: 'process-filter', placeholder: 'pid, user, command…', 'aria-label': 'Filter processes' });
	const allBox = el('input', { type: 'checkbox', id: 'process-all' });
	const procCount = el('span', { class: 'muted', id: 'processes-count' });
	const procError = el('div', { id: 'processes-error' });
	const procBody = el('tbody', { id: 'processes-body' });
	const procNote = el('div');
	const procTable = el('table', { id: 'process-table' }, [
		el('thead', null, el('tr', null, [
			th('PID', 'num'), th('User'), th('Command'), th('RSS', 'num', 'Resident memory'),
			th('Allocator', null, 'The allocator heapscope would probe in it'), th('Recording'), el('th', null, el('span', { class: 'sr-only', text: 'Record' })),
		])),
		procBody,
	]);
	filter.addEventListener('input', () => drawProcesses());
	allBox.addEventListener('change', () => drawProcesses());
	root.append(panel('Processes', 'Running now (from /proc), largest first. Record one: heapscope attaches to it; it keeps running.',
		el('div', null, [
			el('div', { class: 'controls' }, [filter, el('label', null, [allBox, 'also those without a known allocator']), el('span', { class: 'spacer' }), procCount]),
			procError, el('div', { class: 'tablewrap' }, procTable), procNote,
		]), { id: 'processes-panel' }));

	const recordDlg = recordDialog();
	const confirmDlg = confirmDialog();
	root.append(recordDlg.dialog, confirmDlg.dialog);

	// ---------- recordings table ----------
	function onPick(id, checked) {
		const i = picked.indexOf(id);
		if (checked && i < 0) picked.push(id);
		if (!checked && i >= 0) picked.splice(i, 1);
		while (picked.length > 2) picked.shift(); // a third pick drops the first
		for (const cb of recBody.querySelectorAll('input.pick')) cb.checked = picked.includes(cb.value);
		drawCompare();
	}

	function drawCompare() {
		const ids = picked.filter((id) => recordings.some((r) => String(r.id) === id));
		compareBtn.disabled = ids.length === 0;
		if (ids.length === 2) compareBtn.textContent = `Compare ${ids[0]} and ${ids[1]}`;
		else if (ids.length === 1) compareBtn.textContent = `Compare the two halves of ${ids[0]}`;
		else compareBtn.textContent = 'Compare';
		compareBtn.title = ids.length ? '' : 'Tick two recordings to compare them (or one: its first half with its second)';
	}

	function onCompare() {
		const ids = picked.filter((id) => recordings.some((r) => String(r.id) === id));
		if (ids.length === 2) {
			// Older first: growth reads from A to B.
			const order = recordings.map((r) => String(r.id));
			ids.sort((x, y) => order.indexOf(x) - order.indexOf(y));
			location.hash = pageHref('compare', { a: ids[0], b: ids[1] });
		} else if (ids.length === 1) {
			const r = recordings.find((x) => String(x.id) === ids[0]);
			const dur = num(r.duration_s) || 0;
			const half = Math.round((dur / 2) * 1000) / 1000;
			location.hash = pageHref('compare', { a: ids[0], b: ids[0], a_from: 0, a_to: half, b_from: half, b_to: Math.ceil(dur * 1000) / 1000 });
		}
	}

	function makeRecRow(r) {
		const id = String(r.id);
		const cb = el('input', { type: 'checkbox', class: 'pick', value: id, 'aria-label': `Pick recording ${id} to compare`, onchange: (e) => onPick(id, e.target.checked) });
		const cells = {};
		const td = (k, cls) => (cells[k] = el('td', { class: cls || null, 'data-key': k }));
		const tr = el('tr', { 'data-id': id }, [
			el('td', { class: 'pick' }, cb),
			el('td', { class: 'id' }, el('a', { href: recHref(id, 'overview'), class: 'open-link', text: id, title: 'Open recording ' + id })),
			td('state'), td('command', 'command'), td('mode', 'mode'), td('start', 'muted'),
			td('duration', 'num'), td('size', 'num'), td('allocs', 'num'), td('live_bytes', 'num'), td('errors', 'num'),
			td('actions', 'actions'),
		]);
		tr._cells = cells;
		return tr;
	}

	function updateRecRow(tr, r) {
		const c = tr._cells;
		const id = String(r.id);
		tr.dataset.state = str(r.state);
		tr.querySelector('input.pick').disabled = r.state === 'unreadable';
		const sig = `${r.state}|${r.end_reason}|${r.sample_bytes}`;
		if (tr._sig !== sig) {
			// The state changed (or first draw): badges and actions anew.
			tr._sig = sig;
			clear(c.state).append(stateBadge(r));
			const est = estimated(r);
			if (est) c.state.append(est);
			clear(c.actions).append(el('span', { class: 'acts' }, [
				// An ended row keeps Stop's place (hidden, first), so the rows' buttons line up.
				r.state === 'running' ? el('button', { type: 'button', class: 'danger', 'data-action': 'stop', text: 'Stop', title: 'End the recording now, with a clean cut', onclick: (e) => stop(id, e.currentTarget) }) :
					el('button', { type: 'button', class: 'danger placeholder', 'aria-hidden': 'true', tabindex: -1, disabled: true, text: 'Stop' }),
				// An unreadable file has no views nor exports: Delete is all it offers.
				r.state === 'unreadable' ? null : el('a', { class: 'button', href: recHref(id, 'overview'), 'data-action': 'open', text: 'Open' }),
				r.state === 'unreadable' ? null : downloadMenu(id),
				el('button', { type: 'button', 'data-action': 'delete', text: 'Delete', title: 'Delete the recording and its file', onclick: () => remove(r) }),
			]));
		}
		const pids = arr(r.pids).length ? arr(r.pids) : num(r.pid) !== null ? [r.pid] : [];
		const pidText = pids.length ? (pids.length === 1 ? 'pid ' : 'pids ') + pids.join(', ') : '';
		// No command yet (a recording just started has not written it): the pids alone, once.
		const cmd = str(r.command);
		const sigT = cmd + '|' + pidText;
		if (c.command.dataset.sig !== sigT) {
			c.command.dataset.sig = sigT;
			append(clear(c.command), [cmd ? el('span', { class: 'cmdline', text: cmd }) : null,
				pidText ? el('span', { class: cmd ? 'pids' : 'pids alone', 'data-pids': pids.join(','), text: pidText }) : null]);
			c.command.title = cmd ? cmd + (pidText ? ' (' + pidText + ')' : '') : pidText;
		}
		const mode = str(r.mode) + (r.stack ? ' · ' + r.stack : '');
		if (c.mode.dataset.sig !== mode + '|' + r.rule) {
			c.mode.dataset.sig = mode + '|' + r.rule;
			append(clear(c.mode), [mode, r.rule ? el('a', { class: 'rule-name', href: pageHref('trend', { rule: r.rule }), title: `A window of rule ${r.rule}: its trend`, text: 'rule ' + r.rule }) : null]);
		}
		const when = fmtWallClock(num(r.start_ns));
		set(c.start, shortWhen(when), null, when);
		const dur = num(r.duration_s);
		set(c.duration, dur > 0 ? fmtDur(dur * 1e9) : r.state === 'running' ? 'starting' : dur === 0 ? '0 s' : '–', r.duration_s);
		set(c.size, fmtBytes(r.size_bytes), r.size_bytes);
		set(c.allocs, fmtCount(r.allocs), r.allocs, num(r.frees) !== null ? `${fmtCount(r.frees)} frees` : '');
		set(c.live_bytes, fmtBytes(r.live_bytes), r.live_bytes, num(r.live_blocks) !== null ? `${fmtCount(r.live_blocks)} live blocks` : '');
		if (sampled(r)) set(c.errors, 'n/a', null, 'Not checked in sampled mode: only sampled blocks are tracked.');
		else set(c.errors, fmtCount(r.errors), r.errors, '');
		c.errors.classList.toggle('bad', num(r.errors) > 0 && !sampled(r));
		const cb = tr.querySelector('input.pick');
		cb.checked = picked.includes(id);
	}

	function drawRecordings() {
		syncRows(recBody, recordings, (r) => r.id, makeRecRow, updateRecRow);
		recTable.hidden = !recordings.length;
		recEmpty.hidden = !!recordings.length;
		const live = recordings.filter((r) => r.state === 'running').length;
		recCount.textContent = recordings.length ? `${fmtCount(recordings.length)} recording${recordings.length === 1 ? '' : 's'}` + (live ? `, ${live} live` : '') : '';
		drawCompare();
	}

	// ---------- rules table ----------
	function makeRuleRow(rule) {
		const cells = {};
		const td = (k, cls) => (cells[k] = el('td', { class: cls || null, 'data-key': k }));
		const name = str(rule.name);
		const tr = el('tr', { 'data-rule': name }, [
			el('td', { class: 'rule-name' }, el('a', { href: pageHref('trend', { rule: name }), text: name, title: `The trend of rule ${name}` })),
			td('match', 'match'), td('window', 'num'), td('sampling'), td('keep'), td('now', 'now'), td('windows', 'num'),
			el('td', { class: 'actions' }, el('a', { class: 'button', href: pageHref('trend', { rule: name }), 'data-action': 'trend', text: 'Trend →' })),
		]);
		tr._cells = cells;
		return tr;
	}

	function updateRuleRow(tr, rule) {
		const c = tr._cells;
		const name = str(rule.name);
		const match = [rule.comm ? `comm ${rule.comm}` : '', rule.cgroup ? `cgroup ${rule.cgroup}` : ''].filter(Boolean).join(' and ');
		set(c.match, match || '–', null, match);
		set(c.window, num(rule.window_s) !== null ? fmtDur(rule.window_s * 1e9) : '–', rule.window_s);
		const smp = num(rule.sample_bytes) > 0;
		const sig = `${rule.sample_bytes}|${rule.stack}|${rule.push}`;
		if (c.sampling.dataset.sig !== sig) {
			c.sampling.dataset.sig = sig;
			append(clear(c.sampling), [
				(smp ? `sampled, 1 per ${fmtBytes(rule.sample_bytes)}` : 'exact') + (rule.stack ? ' · ' + str(rule.stack) : ''),
				smp || rule.estimated === true ? el('span', { class: 'badge est', 'data-estimated': '', title: smp ? samplingText({ mean_bytes: rule.sample_bytes }) : 'Sampled: counts and bytes are estimates.', text: 'estimated' }) : null,
				rule.push ? el('span', { class: 'sub-line', title: 'Each finished window is pushed as pprof to the profiling backend of the config file', text: 'pushed as pprof' }) : null,
			]);
		}
		const keep = num(rule.keep) > 0 ? `the last ${fmtCount(rule.keep)}` : 'all';
		set(c.keep, keep + (num(rule.keep_bytes) > 0 ? `, at most ${fmtBytes(rule.keep_bytes)}` : ''));
		// The processes recorded now, each linked to its running window.
		const pids = arr(rule.recording_pids).map(String);
		const nowSig = pids.join(',') + '|' + recordings.filter((r) => r.state === 'running' && String(r.rule) === name).map((r) => r.id).join(',');
		if (c.now.dataset.sig !== nowSig) {
			c.now.dataset.sig = nowSig;
			c.now.dataset.pids = pids.join(',');
			clear(c.now);
			if (!pids.length) c.now.append(el('span', { class: 'muted', text: 'no process matches now' }));
			for (const pid of pids) {
				const r = recordings.find((x) => x.state === 'running' && String(x.rule) === name && String(x.pid) === pid);
				c.now.append(r ? el('a', { class: 'badge live', href: recHref(r.id, 'overview'), title: `pid ${pid}: open its window being recorded (${r.id})`, text: `pid ${pid}` }) :
					el('span', { class: 'badge', text: `pid ${pid}` }));
			}
		}
		const n = num(rule.windows) || 0;
		set(c.windows, n ? fmtCount(n) : pids.length ? 'first one recording' : 'none yet', n,
			n ? '' : 'The rule has no ended window yet: its trend starts with the first one.');
		c.windows.classList.toggle('muted', !n);
	}

	function drawRules() {
		syncRows(rulesBody, rules, (r) => r.name, makeRuleRow, updateRuleRow);
		rulesTable.hidden = !rules.length;
		rulesEmpty.hidden = !!rules.length;
	}

	async function stop(id, btn) {
		btn.disabled = true;
		btn.textContent = 'Stopping…';
		try {
			await sendJson('POST', `/api/recordings/${encodeURIComponent(id)}/stop`);
		} catch (e) {
			btn.disabled = false;
			btn.textContent = 'Stop';
			showError(recError, 'Cannot stop recording ' + id + ': ' + (e.message || e));
			return;
		}
		load();
	}

	function remove(r) {
		const id = String(r.id);
		confirmDlg.ask(`Delete recording ${id}?`,
			`${str(r.command) || 'pid ' + r.pid}${r.state === 'running' ? ' — it is still recording: it is stopped first.' : ''} Its file (${fmtBytes(r.size_bytes)}) is removed; this cannot be undone.`,
			'Delete', async () => {
				await sendJson('DELETE', `/api/recordings/${encodeURIComponent(id)}`);
				const i = picked.indexOf(id);
				if (i >= 0) picked.splice(i, 1);
				load();
			});
	}

	// ---------- processes table ----------
	function visibleProcesses() {
		const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
		const all = allBox.checked;
		return processes.filter((p) => {
			if (!all && !p.allocator && p.recording === null) return false;
			const hay = `${p.pid} ${str(p.user)} ${str(p.command)} ${str(p.allocator)}`.toLowerCase();
			return words.every((w) => hay.includes(w));
		});
	}

	function makeProcRow(p) {
		const cells = {};
		const td = (k, cls) => (cells[k] = el('td', { class: cls || null, 'data-key': k }));
		const tr = el('tr', { 'data-pid': String(p.pid) }, [
			td('pid', 'num mono'), td('user'), td('command', 'command'), td('rss', 'num'), td('allocator'), td('recording'), td('actions', 'actions'),
		]);
		tr._cells = cells;
		return tr;
	}

	function updateProcRow(tr, p) {
		const c = tr._cells;
		set(c.pid, String(p.pid), p.pid);
		set(c.user, str(p.user));
		set(c.command, str(p.command) || '[' + p.pid + ']', null, str(p.command));
		set(c.rss, fmtBytes(p.rss_bytes), p.rss_bytes);
		set(c.allocator, p.allocator ? basename(p.allocator) : '–', null, p.allocator ? str(p.allocator) : 'No allocator heapscope can probe was found');
		const sig = `${p.recording}|${p.allocator}|${p.heapscope}`;
		if (tr._sig === sig) return;
		tr._sig = sig;
		const rec = p.recording === null || p.recording === undefined ? null : String(p.recording);
		tr.dataset.recording = rec || '';
		clear(c.recording).append(rec ? el('a', { href: recHref(rec, 'overview'), class: 'badge live', title: 'Being recorded: open recording ' + rec, text: 'recording' }) :
			p.heapscope ? el('span', { class: 'badge', title: 'heapscope itself: it is not recorded', text: 'heapscope' }) : '');
		clear(c.actions).append(el('span', { class: 'acts' }, el('button', {
			type: 'button', 'data-action': 'record', class: 'primary', text: 'Record…',
			disabled: !!rec || !!p.heapscope, title: rec ? 'Already being recorded' : p.heapscope ? 'heapscope does not record itself' : `Record pid ${p.pid}`,
			onclick: () => recordDlg.open(p),
		})));
	}

	function drawProcesses() {
		const vis = visibleProcesses();
		syncRows(procBody, vis.slice(0, MAX_PROCESSES), (p) => p.pid, makeProcRow, updateProcRow);
		procCount.textContent = `${fmtCount(vis.length)} of ${fmtCount(processes.length)} processes`;
		clear(procNote);
		if (!vis.length) procNote.append(note(processes.length ? 'No process matches the filter.' : 'No processes.'));
		else if (vis.length > MAX_PROCESSES) procNote.append(note(`${fmtCount(vis.length - MAX_PROCESSES)} more: narrow the filter.`));
	}

	function showError(box, text) {
		clear(box).append(el('div', { class: 'banner', role: 'alert', text }));
	}

	// ---------- the record form ----------
	function recordDialog() {
		const title = el('h2', { id: 'record-title', text: 'Record' });
		const dur = el('input', { type: 'number', id: 'record-duration', name: 'duration', min: 0, step: 1, value: 60, required: true });
		const stack = el('select', { id: 'record-stack', name: 'stack' }, [
			el('option', { value: 'dwarf', text: 'dwarf — full stacks from unwind tables (default)' }),
			el('option', { value: 'fp', text: 'fp — frame pointers (cheaper; code built with them)' }),
			el('option', { value: 'caller', text: 'caller — the allocator\'s caller only (cheapest)' }),
		]);
		const exact = el('input', { type: 'radio', name: 'sampling', id: 'record-exact', value: 'exact', checked: true });
		const sampled = el('input', { type: 'radio', name: 'sampling', id: 'record-sampled', value: 'sampled' });
		const rate = el('input', { type: 'number', id: 'record-rate', name: 'rate', min: 1, step: 1, value: 128, 'aria-label': 'Sampling rate in KiB' });
		const err = el('div', { class: 'form-error', id: 'record-error', role: 'alert' });
		const submit = el('button', { type: 'submit', class: 'primary', id: 'record-start', text: 'Start recording' });
		let target = null;
		const form = el('form', { method: 'dialog' }, [
			title,
			el('p', { class: 'sub', id: 'record-target' }),
			el('div', { class: 'field' }, [
				el('label', { for: 'record-duration', text: 'Duration' }),
				el('span', null, [dur, ' s ', el('span', { class: 'muted', text: '0 = until stopped' })]),
			]),
			el('div', { class: 'field' }, [el('label', { for: 'record-stack', text: 'Call stacks' }), stack]),
			el('fieldset', { class: 'field' }, [
				el('legend', { text: 'Sampling' }),
				el('span', { class: 'radios' }, [
					el('label', null, [exact, ' Exact: every call (misuse checked)']),
					el('label', null, [sampled, ' Sampled: 1 per ', rate, ' KiB allocated (estimates; cheaper)']),
				]),
			]),
			err,
			el('div', { class: 'buttons' }, [
				el('button', { type: 'button', text: 'Cancel', onclick: () => dialog.close() }),
				submit,
			]),
		]);
		const dialog = el('dialog', { id: 'record-dialog', 'aria-labelledby': 'record-title' }, form);
		rate.addEventListener('focus', () => { sampled.checked = true; });
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			const duration = Number(dur.value);
			if (!Number.isFinite(duration) || duration < 0) {
				err.textContent = 'Duration: a number of seconds, 0 or more.';
				return;
			}
			const kib = Number(rate.value);
			if (sampled.checked && !(kib > 0)) {
				err.textContent = 'Sampling rate: a number of KiB above 0.';
				return;
			}
			const body = { pid: target.pid, duration: Math.round(duration), stack: stack.value, sample: sampled.checked ? Math.round(kib * 1024) : 0 };
			submit.disabled = true;
			err.textContent = '';
			let res;
			try {
				res = await sendJson('POST', '/api/recordings', body);
			} catch (x) {
				err.textContent = String(x.message || x);
				submit.disabled = false;
				return;
			}
			submit.disabled = false;
			dialog.close();
			if (res && res.id !== undefined && res.id !== null) location.hash = recHref(res.id, 'overview');
			else load();
		});
		return {
			dialog,
			open(p) {
				target = p;
				title.textContent = `Record pid ${p.pid}`;
				form.querySelector('#record-target').textContent = `${str(p.command) || '[' + p.pid + ']'}${p.allocator ? ' · ' + basename(p.allocator) : ''}`;
				err.textContent = '';
				submit.disabled = false;
				dialog.showModal();
				dur.focus();
			},
		};
	}

	// ---------- confirmations ----------
	function confirmDialog() {
		const title = el('h2', { id: 'confirm-title' });
		const text = el('p', { id: 'confirm-text' });
		const err = el('div', { class: 'form-error', role: 'alert' });
		const yes = el('button', { type: 'submit', class: 'danger', id: 'confirm-yes' });
		let action = null;
		const form = el('form', { method: 'dialog' }, [title, text, err, el('div', { class: 'buttons' }, [
			el('button', { type: 'button', id: 'confirm-no', text: 'Cancel', onclick: () => dialog.close() }), yes,
		])]);
		const dialog = el('dialog', { id: 'confirm-dialog', 'aria-labelledby': 'confirm-title' }, form);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			yes.disabled = true;
			try {
				await action();
			} catch (x) {
				err.textContent = String(x.message || x);
				yes.disabled = false;
				return;
			}
			dialog.close();
		});
		return {
			dialog,
			ask(t, body, verb, fn) {
				title.textContent = t;
				text.textContent = body;
				yes.textContent = verb;
				yes.disabled = false;
				err.textContent = '';
				action = fn;
				dialog.showModal();
				dialog.querySelector('#confirm-no').focus();
			},
		};
	}

	// ---------- refresh ----------
	async function load() {
		clearTimeout(timer);
		timer = 0;
		const run = req.begin();
		const [rs, ps, ru] = await Promise.allSettled([
			getJson('/api/recordings', null, run.signal),
			getJson('/api/processes', null, run.signal),
			getJson('/api/rules', null, run.signal),
		]);
		if (run.stale() || destroyed) return;
		if (rs.status === 'fulfilled') {
			recordings = arr(rs.value && rs.value.recordings);
			clear(recError);
			drawRecordings();
		} else if (rs.reason.name !== 'AbortError') {
			clear(recError).append(failure(rs.reason));
		}
		if (ru.status === 'fulfilled') {
			rules = arr(ru.value && ru.value.rules);
			clear(rulesError);
			drawRules();
		} else if (ru.reason.name !== 'AbortError') {
			clear(rulesError).append(failure(ru.reason));
		}
		if (ps.status === 'fulfilled') {
			processes = arr(ps.value && ps.value.processes).slice().sort((a, b) => (num(b.rss_bytes) || 0) - (num(a.rss_bytes) || 0) || a.pid - b.pid);
			clear(procError);
			drawProcesses();
		} else if (ps.reason.name !== 'AbortError') {
			clear(procError).append(failure(ps.reason));
		}
		if (rs.status === 'fulfilled' || ps.status === 'fulfilled') ctx.ready();
		schedule();
	}

	function schedule() {
		clearTimeout(timer);
		timer = setTimeout(() => {
			if (document.hidden) schedule(); // a hidden tab asks nothing; it catches up when shown
			else load();
		}, REFRESH_MS);
	}

	const onVisible = () => {
		if (!document.hidden && !destroyed) load();
	};
	document.addEventListener('visibilitychange', onVisible);
	load();
	return {
		update() {},
		refresh() {
			load();
		},
		destroy() {
			destroyed = true;
			req.cancel();
			clearTimeout(timer);
			document.removeEventListener('visibilitychange', onVisible);
		},
	};
}

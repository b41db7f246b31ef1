// Fetching the server's JSON API: one helper that turns an {"error": ...} body or a network
// failure into an Error with a readable message. In the HTML report (a page with a
// #heapscope-data script) the same requests are answered from that JSON instead: reportdata.js.
// A recording's routes are named relative ('sites'): this module alone decides where they live
// (serve: /api/sites; the daemon: /api/recordings/ID/sites); absolute paths ('/api/processes')
// are the daemon's own.
import { answer } from './reportdata.js';

let recordingRoot = '/api/';
// The time window every view of the recording is restricted to ({from, to} in ns since the
// start, from the URL's from=/to=), or null: added to each relative route's query.
let window_ = null;

// setWindow(from, to): the window of the next requests; null/undefined: none.
export function setWindow(from, to) {
	window_ = from !== null && from !== undefined && to !== null && to !== undefined ? { from, to } : null;
}

// The window in effect ({from, to}) or null.
export function currentWindow() {
	return window_;
}

// setRecording(id): the recording the relative routes read; null: the server's one (serve).
export function setRecording(id) {
	recordingRoot = id === null || id === undefined ? '/api/' : `/api/recordings/${encodeURIComponent(id)}/`;
}

// apiPath('sites') -> '/api/sites' or '/api/recordings/ID/sites'; '/x' is kept as it is.
export function apiPath(route) {
	return route.startsWith('/') ? route : recordingRoot + route;
}

// status: the HTTP status (0: no answer); reason: the server's own one line ({"error": ...}).
export class ApiError extends Error {
	constructor(message, status, reason) {
		super(message);
		this.status = status;
		this.reason = reason || '';
	}
}

// The query string of params: null/undefined/'' values are left out.
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
	}
	return q;
}

// getJson('sites', {sort: 'bytes'}, signal): resolves to the parsed body; rejects with an
// ApiError (or an AbortError when signal fires). A relative route is the current recording's.
export async function getJson(path, params, signal) {
	const relative = !path.startsWith('/');
	path = apiPath(path);
	const q = query(params);
	// A recording's routes take the window (the timeline's own from/to, when given, win).
	if (relative && window_ && !q.has('from') && !q.has('to')) {
		q.set('from', String(window_.from));
		q.set('to', String(window_.to));
	}
	const report = reportData();
	if (report) {
		if (signal && signal.aborted) throw new DOMException('aborted', 'AbortError');
		return answer(report, path, q);
	}
	const url = path + (q.toString() ? '?' + q : '');
	return request(url, { signal, headers: { Accept: 'application/json' }, cache: 'no-store' }, `${url}: `);
}

// sendJson('POST', '/api/recordings', {pid: 12}): a change, its body sent as JSON; resolves to
// the answer's body, rejects with an ApiError whose message is the server's one line.
export function sendJson(method, path, body) {
	const init = { method, headers: { Accept: 'application/json' }, cache: 'no-store' };
	if (body !== undefined) {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	return request(apiPath(path), init, '');
}

async function request(url, init, prefix) {
	let res;
	try {
		res = await fetch(url, init);
	} catch (e) {
		if (e.name === 'AbortError') throw e;
		throw new ApiError(`cannot reach the heapscope server (${url}): is it still running?`, 0);
	}
	let body = null;
	try {
		body = await res.json();
	} catch (e) {
		if (e.name === 'AbortError') throw e;
		if (res.ok) throw new ApiError(`${url}: the server sent something that is not JSON`, res.status);
	}
	if (!res.ok) {
		const why = body && typeof body.error === 'string' ? body.error : res.statusText;
		throw new ApiError(prefix ? `${prefix}${res.status} ${why}` : why || `${res.status} ${res.statusText}`, res.status,
			body && typeof body.error === 'string' ? body.error : '');
	}
	return body;
}

// True on the HTML report: the recording is in the page, there is no server to ask.
export function offline() {
	return !!reportData();
}

// The HTML report's data (parsed once), or null when the page is served by heapscope.
let report;
function reportData() {
	if (report === undefined) {
		const node = typeof document === 'undefined' ? null : document.getElementById('heapscope-data');
		report = node ? JSON.parse(node.textContent) : null;
	}
	return report;
}

// requests(): one view's requests, where only the newest run counts. begin() cancels the
// previous run's requests and returns {signal, stale}: pass signal to getJson, and drop a
// result once stale() is true (a newer run began). cancel() ends the current run.
export function requests() {
	let gen = 0;
	let ctrl = null;
	return {
		begin() {
			const my = ++gen;
			if (ctrl) ctrl.abort();
			ctrl = new AbortController();
			return { signal: ctrl.signal, stale: () => my !== gen };
		},
		cancel() {
			gen++;
			if (ctrl) ctrl.abort();
			ctrl = null;
		},
	};
}

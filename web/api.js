// Fetching the server's JSON API: one helper that turns an {"error": ...} body or a network
// failure into an Error with a readable message. In the HTML report (a page with a
// #heapscope-data script) the same requests are answered from that JSON instead: reportdata.js.
import { answer } from './reportdata.js';

export class ApiError extends Error {
	constructor(message, status) {
		super(message);
		this.status = status;
	}
}

// getJson('/api/sites', {sort: 'bytes'}, signal): resolves to the parsed body; rejects with an
// ApiError (or an AbortError when signal fires). Null/undefined/'' parameters are left out.
export async function getJson(path, params, signal) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
	}
	const report = reportData();
	if (report) {
		if (signal && signal.aborted) throw new DOMException('aborted', 'AbortError');
		return answer(report, path, q);
	}
	const url = path + (q.toString() ? '?' + q : '');
	let res;
	try {
		res = await fetch(url, { signal, headers: { Accept: 'application/json' }, cache: 'no-store' });
	} catch (e) {
		if (e.name === 'AbortError') throw e;
		throw new ApiError(`cannot reach the heapscope server (${url}): is it still running?`, 0);
	}
	let body = null;
	try {
		body = await res.json();
	} catch {
		if (res.ok) throw new ApiError(`${url}: the server sent something that is not JSON`, res.status);
	}
	if (!res.ok) {
		const why = body && typeof body.error === 'string' ? body.error : res.statusText;
		throw new ApiError(`${url}: ${res.status} ${why}`, res.status);
	}
	return body;
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

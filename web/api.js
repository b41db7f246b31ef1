// Fetching the server's JSON API: one helper that turns an {"error": ...} body or a network
// failure into an Error with a readable message.

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

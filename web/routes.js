// The daemon dashboard's addresses (hash routes): the home, one recording's views, compare and
// trend, and a recording's downloads. Kept apart from app.js so views can link without
// importing the shell.

function withQuery(path, params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
	}
	const s = q.toString();
	return path + (s ? '?' + s : '');
}

// '#/r/ID/VIEW?params': a recording's view.
export function recHref(id, view, params) {
	return withQuery(`#/r/${encodeURIComponent(id)}/${view || 'overview'}`, params);
}

// '#/', '#/compare?a=1&b=2', '#/trend?rule=NAME'.
export function pageHref(page, params) {
	return withQuery('#/' + (page === 'home' ? '' : page), params);
}

// The URL of a recording's file: format db, pprof, html or json.
export function downloadHref(id, format) {
	return `/api/recordings/${encodeURIComponent(id)}/download?format=${encodeURIComponent(format)}`;
}

export const DOWNLOADS = [
	{ format: 'db', label: 'Recording (.db)', title: 'The SQLite file itself: heapscope report -d FILE, heapscope serve -d FILE' },
	{ format: 'pprof', label: 'pprof (.pb.gz)', title: 'go tool pprof, Pyroscope, Parca' },
	{ format: 'html', label: 'HTML report', title: 'One self-contained page: these views, offline' },
	{ format: 'json', label: 'JSON report', title: 'heapscope report --format json' },
];

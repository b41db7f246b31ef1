// The HTML report's loader (inlined by report/html.c, never fetched): the dashboard's modules
// come as sources in the #heapscope-modules JSON; each is loaded from a blob: URL, its relative
// imports rewritten to its dependencies' blob: URLs, so the page makes no request. The views
// then read the recording from #heapscope-data (see api.js).
const island = JSON.parse(document.getElementById('heapscope-modules').textContent);
const urls = new Map();
// `from './x.js'`, `import './x.js'` and `import('./x.js')`: only relative specifiers.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;

function resolve(base, spec) {
	return new URL(spec, 'https://heapscope.invalid/' + base).pathname.slice(1);
}

function load(name, path) {
	if (urls.has(name)) return urls.get(name);
	if (path.includes(name)) throw new Error(`import cycle: ${[...path, name].join(' → ')}`);
	const src = island.modules[name];
	if (typeof src !== 'string') throw new Error(`the report lacks the module ${name}`);
	const code = src.replace(SPECIFIER, (m, kw, q, spec) => kw + q + load(resolve(name, spec), [...path, name]) + q);
	const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
	urls.set(name, url);
	return url;
}

try {
	await import(load(island.entry, []));
} catch (e) {
	document.getElementById('view').textContent = 'Cannot load the report: ' + (e && e.message ? e.message : e);
	throw e;
}

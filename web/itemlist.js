// A view that lists what one API route returns, one item each (errors, advice): fetched on
// mount and on every live refresh, with a count, an empty note and an optional warning.
import { getJson, requests } from './api.js';
import { clear, el, errorNote, note, panel } from './dom.js';
import { arr, fmtCount } from './format.js';

// spec: {id, title, text, path, noun (singular), empty, item(x, i), warning(items) -> text or null,
// summary (a sampled recording's: the title's estimates badge)}
export function mountItemList(root, ctx, spec) {
	const req = requests();
	const body = el('div', { class: 'items', id: spec.id + '-body' });
	const sub = el('span', { class: 'muted', id: spec.id + '-count' });
	root.append(panel(spec.title, spec.text, el('div', null, [el('div', { class: 'controls' }, sub), body]), { id: spec.id + '-panel' }, spec.summary));

	async function load() {
		const run = req.begin();
		let items;
		try {
			items = arr(await getJson(spec.path, null, run.signal));
		} catch (e) {
			if (e.name === 'AbortError' || run.stale()) return;
			clear(body).appendChild(errorNote(e));
			return;
		}
		if (run.stale()) return;
		sub.textContent = items.length ? `${fmtCount(items.length)} ${spec.noun}${items.length === 1 ? '' : 's'}` : '';
		clear(body);
		const warning = items.length && spec.warning ? spec.warning(items) : null;
		if (!items.length) body.appendChild(note(spec.empty));
		if (warning) body.appendChild(el('div', { class: 'banner warn', id: spec.id + '-warning', text: warning }));
		items.forEach((x, i) => body.appendChild(spec.item(x, i)));
		ctx.ready();
	}

	load();
	return {
		update() {},
		refresh() {
			load();
		},
		destroy() {
			req.cancel();
		},
	};
}

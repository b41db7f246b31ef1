// Errors: double and invalid frees (/api/errors), each with the bad free's stack, the block's
// allocation stack and, for a double free, the first free's stack.
import { getJson, requests } from './api.js';
import { clear, el, errorNote, note, panel, stackList } from './dom.js';
import { arr, fmtAddr, fmtCount, fmtDur, num, str } from './format.js';

const KINDS = { double_free: 'double free', invalid_free: 'invalid free' };

function item(e, i) {
	const dbl = e.kind === 'double_free';
	const part = (title, frames) => el('div', null, [el('h4', { text: title }), stackList(frames)]);
	const evidence = dbl
		? `${fmtAddr(e.addr)} was freed again after it had already been freed and not returned by the allocator since.`
		: `${fmtAddr(e.addr)} is not the start of a live block: an interior pointer, or an address the allocator never returned.`;
	return el('div', { class: 'item err', id: 'error-' + i }, [
		el('div', { class: 'hd' }, [
			el('span', { class: 'badge bad', text: KINDS[e.kind] || str(e.kind) || 'error' }),
			el('span', { class: 'mono', text: fmtAddr(e.addr) }),
			el('span', { class: 'muted', text: `at +${fmtDur(e.ts)}` + (num(e.tid) !== null ? `, thread ${e.tid}` : '') + (e.func ? `, in ${e.func}()` : '') }),
		]),
		el('div', { class: 'evidence', text: evidence }),
		el('div', { class: 'stacks' }, [
			part(dbl ? 'Freed again at' : 'Freed at', e.frames),
			arr(e.alloc_frames).length || dbl ? part('Allocated at', e.alloc_frames) : null,
			dbl || arr(e.prev_free_frames).length ? part('First freed at', e.prev_free_frames) : null,
		]),
	]);
}

export function mount(root, ctx) {
	const req = requests();
	const body = el('div', { class: 'items', id: 'errors-body' });
	const sub = el('span', { class: 'muted', id: 'errors-count' });
	root.append(panel('Errors', 'Double and invalid frees seen while recording; glibc usually aborts the program on the first one.', el('div', null, [el('div', { class: 'controls' }, sub), body])));

	async function load() {
		const run = req.begin();
		let errs;
		try {
			errs = arr(await getJson('/api/errors', null, run.signal));
		} catch (e) {
			if (e.name === 'AbortError' || run.stale()) return;
			clear(body).appendChild(errorNote(e));
			return;
		}
		if (run.stale()) return;
		sub.textContent = errs.length ? `${fmtCount(errs.length)} error${errs.length === 1 ? '' : 's'}` : '';
		const s = ctx.summary();
		clear(body);
		if (!errs.length) body.appendChild(note('No double or invalid frees were seen.'));
		else {
			if (num(s.dropped_events) > 0) body.appendChild(el('div', { class: 'banner warn', text: 'Events were dropped while recording, so some of these may be false alarms: a missed allocation or free makes a correct free look wrong.' }));
			errs.forEach((e, i) => body.appendChild(item(e, i)));
		}
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

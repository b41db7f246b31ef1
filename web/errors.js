// Errors: double and invalid frees (/api/errors), each with the bad free's stack, the block's
// allocation stack and, for a double free, the first free's stack.
import { el, stackList } from './dom.js';
import { arr, fmtAddr, fmtCount, fmtDur, MISUSE_UNCHECKED, num, sampling, str } from './format.js';
import { mountItemList } from './itemlist.js';

const KINDS = { double_free: 'double free', invalid_free: 'invalid free' };

function item(e, i) {
	const dbl = e.kind === 'double_free';
	const part = (title, frames) => el('div', null, [el('h4', { text: title }), stackList(frames)]);
	const evidence = dbl
		? `${fmtAddr(e.addr)} was freed again after it had already been freed and not returned by the allocator since.`
		: `${fmtAddr(e.addr)} is not the start of a live block: an interior pointer, or an address the allocator never returned.`;
	return el('div', { class: 'item err' + (e.unreliable ? ' unreliable' : ''), id: 'error-' + i }, [
		el('div', { class: 'hd' }, [
			el('span', { class: 'badge bad', text: KINDS[e.kind] || str(e.kind) || 'error' }),
			e.unreliable ? el('span', { class: 'badge warn', text: 'may be spurious', title: 'Found after events were lost: a missed allocation or free can make a correct free look wrong.' }) : null,
			el('span', { class: 'mono', text: fmtAddr(e.addr) }),
			el('span', { class: 'muted', text: `at +${fmtDur(e.ts)}` + (num(e.pid) !== null ? `, pid ${e.pid}` : '') + (num(e.tid) !== null ? `, thread ${e.tid}` : '') + (e.func ? `, in ${e.func}()` : '') }),
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
	// A sampled recording tracks only its sampled blocks: a free of another one looks like any
	// free, so misuse cannot be told (the list is empty, which must not read as "none").
	const sampled = !!sampling(ctx.summary());
	return mountItemList(root, ctx, {
		id: 'errors',
		title: 'Errors',
		text: 'Double and invalid frees seen while recording; glibc usually aborts the program on the first one.',
		path: 'errors',
		noun: 'error',
		empty: sampled ? MISUSE_UNCHECKED : 'No double or invalid frees were seen.',
		item,
		// Only errors found after the first lost event are in doubt; each is marked.
		warning: (items) => {
			const n = items.filter((e) => e && e.unreliable).length;
			return n ? `${fmtCount(n)} of these came after events were lost and may be spurious: a missed allocation or free makes a correct free look wrong.` : null;
		},
	});
}

// Advice: allocation patterns where a pool, an arena, batching, geometric growth or a
// different ownership scheme may help (/api/advice), each with its evidence and stacks.
import { el, stackList } from './dom.js';
import { arr, frameLoc, num, siteName, str, topFrame } from './format.js';
import { mountItemList } from './itemlist.js';

const KINDS = {
	pool: ['Pool candidate', 'Many short-lived blocks of one size: a free list of fixed-size blocks would serve them.'],
	arena: ['Arena candidate', 'Blocks freed together in bursts: allocate them from an arena released at once.'],
	batching: ['Batching candidate', 'Many small allocations in quick succession, kept alive together: allocate them in one block.'],
	realloc_churn: ['Realloc churn', 'A block grown a little at a time: grow geometrically or reserve the final size.'],
	cross_thread: ['Cross-thread ownership', 'Blocks allocated on one thread and freed on another: allocator caches work against this.'],
	alloc_wrapper: ['Allocation wrapper', 'A function that only passes allocations on: with --alloc-fn (or alloc_fn=auto) its callers become the sites.'],
};

function item(a, ctx) {
	const f = topFrame(a.frames);
	const [title, why] = KINDS[a.kind] || [str(a.kind) || 'advice', ''];
	const badge = el('span', { class: 'badge', text: title, title: why || null });
	const cross = arr(a.free_frames).length > 0;
	return el('div', { class: 'item adv', 'data-kind': str(a.kind) }, [
		el('div', { class: 'hd' }, [
			badge,
			el('span', { class: 'mono', text: siteName(a) }),
			frameLoc(f) ? el('span', { class: 'muted mono', text: frameLoc(f) }) : null,
			num(a.site) !== null ? el('a', { href: ctx.href('sites', { site: a.site }), text: `site #${a.site}` }) : null,
		]),
		el('div', { class: 'evidence', text: str(a.evidence) }),
		el('div', { class: 'stacks' }, [
			el('div', null, [el('h4', { text: cross ? 'Allocated at' : 'Call stack' }), stackList(a.frames)]),
			cross ? el('div', null, [el('h4', { text: 'Freed at' + (num(a.free_site) !== null ? ` (site #${a.free_site})` : '') }), stackList(a.free_frames)]) : null,
		]),
	]);
}

export function mount(root, ctx) {
	return mountItemList(root, ctx, {
		id: 'advice',
		title: 'Advice',
		text: 'Patterns in the recording where another allocation strategy may pay off; the numbers behind each are shown.',
		path: 'advice',
		noun: 'suggestion',
		empty: 'Nothing to suggest: no pool, arena, batching, realloc-churn or cross-thread pattern stood out.',
		item: (a) => item(a, ctx),
		summary: ctx.summary(),
	});
}

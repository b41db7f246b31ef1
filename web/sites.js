// Call sites: the sites table, sorted, filtered, grouped and paged by the server
// (/api/sites), with the selected site's drawer; all of it kept in the URL.
import { getJson, requests } from './api.js';
import { clear, el, errorNote, note, panel, seg } from './dom.js';
import { fmtBytes, fmtCount, fmtDur, fmtPct, frameLoc, num, shortLoc, siteName, topFrame, GROUPS } from './format.js';
import { createSitePanel } from './sitepanel.js';

const PAGE = 100;
const COLS = [
	{ k: 'allocs', t: 'Allocs', f: fmtCount },
	{ k: 'bytes', t: 'Bytes', f: fmtBytes },
	{ k: 'avg_size', t: 'Avg size', f: fmtBytes, tip: (s) => `min ${fmtBytes(s.min_size)}, max ${fmtBytes(s.max_size)}` },
	{ k: 'frees', t: 'Frees', f: fmtCount },
	{ k: 'live_blocks', t: 'Live blocks', f: fmtCount },
	{ k: 'live_bytes', t: 'Live bytes', f: fmtBytes },
	{ k: 'peak_live_bytes', t: 'Peak live', f: fmtBytes },
	{ k: 'lifetime_p50_ns', t: 'Life p50', f: fmtDur, tip: (s) => `p90 ${fmtDur(s.lifetime_p90_ns)}` },
	{ k: 'lifetime_p99_ns', t: 'Life p99', f: fmtDur },
	{ k: 'lifetime_max_ns', t: 'Life max', f: fmtDur },
	{ k: 'temporary_share', t: 'Temporary', f: fmtPct },
	{ k: 'alloc_time_p50_ns', t: 'Alloc p50', f: fmtDur },
	{ k: 'alloc_time_p99_ns', t: 'Alloc p99', f: fmtDur },
];

function opts(p) {
	const sort = COLS.some((c) => c.k === p.get('sort')) ? p.get('sort') : 'bytes';
	const group = GROUPS.some((g) => g.value === p.get('group')) ? p.get('group') : 'stack';
	return {
		group,
		sort,
		order: p.get('order') === 'asc' ? 'asc' : 'desc',
		fn: p.get('function') || '',
		file: p.get('file') || '',
		page: Math.max(0, Math.floor(Number(p.get('page')) || 0)),
		site: p.has('site') && /^\d+$/.test(p.get('site')) ? Number(p.get('site')) : null,
	};
}

export function mount(root, ctx, params) {
	let o = opts(params);
	const req = requests();
	let timer = 0;
	const panelSite = createSitePanel(() => ctx.go({ site: null }), ctx.summary);

	const fnInput = el('input', { type: 'search', id: 'filter-function', placeholder: 'function contains…', value: o.fn, 'aria-label': 'Filter by function' });
	const fileInput = el('input', { type: 'search', id: 'filter-file', placeholder: 'file contains…', value: o.file, 'aria-label': 'Filter by file' });
	const groupBox = el('span');
	const count = el('span', { class: 'muted', id: 'sites-count' });
	const tableBox = el('div', { class: 'tablewrap', id: 'sites-body' });
	const pager = el('div', { class: 'pager' });
	// Typing filters after a pause; the URL is replaced, not pushed, per keystroke.
	const onFilter = () => {
		clearTimeout(timer);
		timer = setTimeout(() => ctx.go({ function: fnInput.value.trim(), file: fileInput.value.trim(), page: null }, { replace: true }), 250);
	};
	fnInput.addEventListener('input', onFilter);
	fileInput.addEventListener('input', onFilter);
	root.append(panel('Call sites', 'Where the program allocates. Click a column to sort, a row to open the site.',
		el('div', null, [
			el('div', { class: 'controls' }, [el('span', { text: 'Group by' }), groupBox, fnInput, fileInput, el('span', { class: 'spacer' }), count]),
			tableBox, pager,
		]), null, ctx.summary()));

	function sortBy(k) {
		if (o.sort === k) ctx.go({ sort: k, order: o.order === 'desc' ? 'asc' : 'desc', page: null });
		else ctx.go({ sort: k, order: 'desc', page: null });
	}

	function head() {
		const tr = el('tr', null, [
			el('th', { text: o.group === 'stack' ? 'Site' : 'Stacks', class: 'num' }),
			el('th', { text: o.group === 'file' ? 'File' : 'Function' }),
			el('th', { text: o.group === 'file' ? 'Example' : 'Location' }),
		]);
		for (const c of COLS) {
			const sorted = c.k === o.sort;
			tr.appendChild(el('th', {
				class: 'num sortable',
				'data-key': c.k,
				scope: 'col',
				tabindex: 0,
				'aria-sort': sorted ? (o.order === 'desc' ? 'descending' : 'ascending') : 'none',
				title: 'Sort by ' + c.t.toLowerCase(),
				text: c.t,
				onclick: () => sortBy(c.k),
				onkeydown: (e) => {
					if (e.key === 'Enter' || e.key === ' ') {
						e.preventDefault();
						sortBy(c.k);
					}
				},
			}));
		}
		return el('thead', null, tr);
	}

	function row(s) {
		const f = topFrame(s.frames);
		const name = siteName(s);
		const tr = el('tr', {
			class: 'row',
			tabindex: 0,
			'data-site': num(s.site),
			'aria-selected': String(o.site !== null && s.site === o.site),
			onclick: () => ctx.go({ site: s.site }),
			onkeydown: (e) => {
				if (e.key === 'Enter') ctx.go({ site: s.site });
			},
		}, [
			el('td', { class: 'num muted', text: o.group === 'stack' ? '#' + s.site : fmtCount(s.sites) }),
			el('td', { class: 'fn', title: name, text: name }),
			el('td', { class: 'loc', title: frameLoc(f) || (f && f.module) || '', text: o.group === 'file' ? frameLoc(f) ? shortLoc(f) : '' : shortLoc(f) }),
		]);
		for (const c of COLS) {
			const v = num(s[c.k]);
			tr.appendChild(el('td', { class: 'num', 'data-key': c.k, 'data-value': v === null ? null : String(v), title: c.tip ? c.tip(s) : null, text: c.f(v) }));
		}
		return tr;
	}

	async function load() {
		const run = req.begin();
		clear(groupBox).appendChild(seg(GROUPS, o.group, (g) => ctx.go({ group: g, page: null, site: null }), 'Group by'));
		let d;
		try {
			d = await getJson('sites', {
				group: o.group, sort: o.sort, order: o.order, function: o.fn, file: o.file, limit: PAGE, offset: o.page * PAGE,
			}, run.signal);
		} catch (e) {
			if (e.name === 'AbortError' || run.stale()) return;
			clear(tableBox).appendChild(errorNote(e));
			return;
		}
		if (run.stale()) return;
		const sites = Array.isArray(d.sites) ? d.sites : [];
		const total = num(d.total) ?? sites.length;
		const what = o.group === 'stack' ? 'call sites' : o.group === 'function' ? 'functions' : 'files';
		count.textContent = `${fmtCount(total)} ${what}` + (o.fn || o.file ? ' matching' : '');
		const keepX = tableBox.scrollLeft;
		clear(tableBox);
		if (!sites.length) tableBox.appendChild(note(o.fn || o.file ? 'No sites match the filter.' : 'No allocations yet.'));
		else tableBox.appendChild(el('table', { id: 'sites-table' }, [head(), el('tbody', null, sites.map(row))]));
		tableBox.scrollLeft = keepX;
		clear(pager);
		if (total > PAGE) {
			const pages = Math.ceil(total / PAGE);
			pager.append(
				el('button', { type: 'button', text: '← Previous', disabled: o.page === 0, onclick: () => ctx.go({ page: o.page - 1 || null }) }),
				el('span', { text: `${fmtCount(o.page * PAGE + 1)}–${fmtCount(Math.min(total, (o.page + 1) * PAGE))} of ${fmtCount(total)}` }),
				el('button', { type: 'button', text: 'Next →', disabled: o.page + 1 >= pages, onclick: () => ctx.go({ page: o.page + 1 }) }),
			);
		}
		ctx.ready();
	}

	load();
	panelSite.sync(o.site);
	return {
		update(p) {
			const prev = o;
			o = opts(p);
			if (document.activeElement !== fnInput) fnInput.value = o.fn;
			if (document.activeElement !== fileInput) fileInput.value = o.file;
			panelSite.sync(o.site);
			const same = ['group', 'sort', 'order', 'fn', 'file', 'page'].every((k) => prev[k] === o[k]);
			if (!same) load();
			else for (const tr of tableBox.querySelectorAll('tr[data-site]')) tr.setAttribute('aria-selected', String(Number(tr.dataset.site) === o.site));
		},
		refresh() {
			load();
			panelSite.refresh();
		},
		destroy() {
			req.cancel();
			clearTimeout(timer);
			req.cancel();
			panelSite.destroy();
		},
	};
}

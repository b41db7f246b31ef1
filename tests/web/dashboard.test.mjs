// The dashboard (web/) in headless Chromium against a running server: every view loads with no
// console or page errors and draws its charts, the top leak opens its stack, sorting works,
// the URL carries view and selection (a reload restores them), nothing leaves the origin.
//
// usage: HS_URL=http://127.0.0.1:PORT/ HS_TOP_LEAK=leak_c node --test tests/web/dashboard.test.mjs
// Optional: HS_SHOTS=DIR (a screenshot of each view), HS_CHROMIUM (default /usr/bin/chromium),
// HS_EXPECT_TEXT=... (a function name the sites table must show literally, e.g. one with "</script>"),
// HS_EXPECT_SCAN=1 (the recording was scanned: the overview must show its last scan).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';

const base = process.env.HS_URL;
const topLeak = process.env.HS_TOP_LEAK;
const shots = process.env.HS_SHOTS;
const TIMEOUT = 15000;

let browser, page, origin;
const consoleErrors = [];
const pageErrors = [];
const foreign = [];

before(async () => {
	assert.ok(base, 'HS_URL must give the dashboard server, e.g. http://127.0.0.1:7070/');
	assert.ok(topLeak, 'HS_TOP_LEAK must name the expected top leak function');
	origin = new URL(base).origin;
	if (shots) mkdirSync(shots, { recursive: true });
	browser = await launch({ width: 1366, height: 860 });
	({ page } = browser);
	page.setDefaultTimeout(TIMEOUT);
	page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`); });
	page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e}`));
	page.on('request', (r) => {
		const u = r.url();
		if (!/^(data|about|blob):/.test(u) && new URL(u).origin !== origin) foreign.push(u);
	});
});

after(async () => {
	if (browser) await browser.close();
});

// Opens #/hash in a fresh page load and waits until the view has drawn its data.
async function open(hash, view) {
	await page.goto(new URL('/#' + hash, base).href, { waitUntil: 'load' });
	await page.reload({ waitUntil: 'load' });
	await waitReady(view);
}

async function waitReady(view) {
	await page.waitForSelector(`main#view[data-ready="${view}"]`, { timeout: TIMEOUT });
}

// Waits for the current view to draw again after an action (the renders counter moves).
async function rendered(action) {
	const before = await page.locator('main#view').getAttribute('data-renders');
	await action();
	await page.waitForFunction((b) => document.querySelector('main#view').dataset.renders !== b, before, { timeout: TIMEOUT });
}

function hashParams() {
	const h = new URL(page.url()).hash;
	const q = h.indexOf('?');
	return new URLSearchParams(q >= 0 ? h.slice(q + 1) : '');
}

// How many pixels of the canvases under selector are painted, and the smallest canvas box.
async function canvases(selector) {
	return page.evaluate((sel) => Array.from(document.querySelectorAll(sel)).map((c) => {
		const r = c.getBoundingClientRect();
		let painted = 0;
		if (c.width && c.height) {
			const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) painted++;
		}
		return { w: r.width, h: r.height, painted };
	}), selector);
}

// Every uPlot chart under root has a canvas with a size and painted pixels.
async function assertCharts(root, min) {
	await page.waitForFunction(([r, n]) => document.querySelectorAll(`${r} .uplot canvas`).length >= n, [root, min], { timeout: TIMEOUT });
	const cs = await canvases(`${root} .uplot canvas`);
	assert.ok(cs.length >= min, `${root}: ${cs.length} uPlot charts, expected at least ${min}`);
	for (const c of cs) {
		assert.ok(c.w > 50 && c.h > 50, `${root}: a uPlot canvas is ${c.w}x${c.h}`);
		assert.ok(c.painted > 0, `${root}: a uPlot canvas is blank`);
	}
}

// A screenshot of the page (fullPage false: the viewport, for the fixed site drawer).
async function shot(name, fullPage = true) {
	if (!shots) return;
	await page.mouse.move(0, 0);
	await page.waitForTimeout(100);
	await page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage });
}

async function siteNames() {
	return page.locator('#sites-table tbody tr[data-site] td.fn').allInnerTexts();
}

async function column(key) {
	return page.locator(`#sites-table tbody td[data-key="${key}"]`).evaluateAll(
		(tds) => tds.map((td) => (td.dataset.value === undefined ? null : Number(td.dataset.value))));
}

test('overview: summary cards and the heap timeline', async () => {
	await open('/overview', 'overview');
	const allocs = Number(await page.locator('[data-card="allocs"] .v').getAttribute('data-value'));
	assert.ok(allocs > 0, `allocations card shows ${allocs}`);
	assert.equal(await page.locator('[data-card="dropped"]').count(), 1, 'no dropped-events card');
	await assertCharts('#timeline-chart', 1);
	assert.ok((await page.locator('#top-leaks').innerText()).includes(topLeak), `top leaks list lacks ${topLeak}`);
	await shot('overview');
});

test('overview: the stack-quality card shows /api/summary\'s stacks, with a hint when few are complete', async () => {
	await open('/overview', 'overview');
	const q = await page.evaluate(async () => (await (await fetch('/api/summary')).json()).stacks);
	assert.ok(q && ['caller', 'fp', 'dwarf'].includes(q.mode), `summary.stacks: ${JSON.stringify(q)}`);
	assert.ok(q.allocs > 0 && q.sites > 0 && q.mean_depth >= 1 && q.p99_depth >= 1, `stack quality: ${JSON.stringify(q)}`);
	const c = page.locator('[data-card="stacks"]');
	assert.equal(Number(await c.locator('.v').getAttribute('data-value')), q.complete_allocs_share);
	assert.ok((await c.locator('.k').innerText()).includes(q.mode), 'the card does not name the stack mode');
	const cut = q.ends.filter((e) => e.walk_end !== 'complete');
	const ends = await c.locator('.ends').innerText();
	for (const e of cut) assert.ok(ends.includes(e.walk_end), `"${ends}" lacks ${e.walk_end}`);
	if (q.complete_allocs_share < 0.9) {
		assert.match(await c.locator('.hint').innerText(), new RegExp(`^${cut[0].walk_end}: `));
		assert.match(await c.getAttribute('class'), /\bwarn\b/);
	} else {
		assert.equal(await c.locator('.hint').count(), 0, 'a hint although most stacks are complete');
	}
});

test('overview: the last reachability scan\'s card says /api/summary\'s last_scan; none without a scan', async () => {
	await open('/overview', 'overview');
	const sc = await page.evaluate(async () => (await (await fetch('/api/summary')).json()).last_scan);
	const c = page.locator('[data-card="last_scan"]');
	if (process.env.HS_EXPECT_SCAN) assert.ok(sc, 'summary.last_scan missing: the recording should have been scanned');
	if (!sc) {
		assert.equal(await c.count(), 0, 'a scan card for a recording never scanned');
		return;
	}
	assert.equal(await c.count(), 1, 'no card of the last scan');
	const kinds = ['definitely_lost', 'indirectly_lost', 'possibly_lost', 'still_reachable'];
	const shown = await c.locator('[data-kind]').evaluateAll((ss) => ss.map((x) => [x.dataset.kind, Number(x.dataset.blocks), Number(x.dataset.bytes)]));
	assert.deepEqual(shown, kinds.map((k) => [k, sc[k].blocks, sc[k].bytes]));
	assert.equal(Number(await c.locator('.v').getAttribute('data-value')), sc.definitely_lost.bytes);
	// The text, in the dashboard's own units.
	const want = await page.evaluate(async (s) => {
		const f = await import('/assets/format.js');
		const k = (key, label) => `${label} ${f.fmtCount(s[key].blocks)} (${f.fmtBytes(s[key].bytes)})`;
		return {
			v: `${f.fmtBytes(s.definitely_lost.bytes)} definitely lost`,
			when: `pid ${s.pid}, ${s.trigger}, at +${f.fmtDur(s.ts_ns)}: stopped ${f.fmtDur(s.stop_ns)} (${s.threads} thread${s.threads === 1 ? '' : 's'})`,
			kinds: [k('definitely_lost', 'definitely lost'), k('indirectly_lost', 'indirectly lost'), k('possibly_lost', 'possibly lost'), k('still_reachable', 'still reachable')].join(' · '),
		};
	}, sc);
	assert.equal(await c.locator('.v').innerText(), want.v);
	assert.equal(await c.locator('.when').innerText(), want.when);
	assert.equal(await c.locator('.kinds').innerText(), want.kinds);
	assert.match(await c.locator('.k').innerText(), sc.scans > 1 ? new RegExp(`^Last of ${sc.scans} reachability scans`) : /^Last reachability scan/);
	await shot('overview-scan', false);
});

test('overview: a table of the processes when the recording traced several', async () => {
	await open('/overview', 'overview');
	const procs = await page.evaluate(async () => (await (await fetch('/api/summary')).json()).processes);
	assert.ok(Array.isArray(procs), `summary.processes: ${JSON.stringify(procs)}`);
	if (procs.length <= 1) {
		assert.ok(await page.locator('#processes').isHidden(), 'a processes panel for one process');
		return;
	}
	assert.ok(await page.locator('#processes').isVisible(), 'no processes panel');
	const rows = page.locator('#processes-table tbody tr');
	assert.equal(await rows.count(), procs.length);
	assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.pid))), procs.map((p) => p.pid));
	assert.deepEqual(await page.locator('#processes-table td[data-key="allocs"]').evaluateAll((tds) => tds.map((td) => Number(td.dataset.value))),
		procs.map((p) => p.allocs));
	const ended = await rows.locator('td.ended').allInnerTexts();
	procs.forEach((p, i) => assert.ok(ended[i].startsWith(p.end_reason || 'running'), `row ${i} ended: ${ended[i]}`));
	await shot('processes', false);
});

test('notices: each is a banner above every view', async () => {
	await open('/sites', 'sites');
	const notices = await page.evaluate(async () => (await (await fetch('/api/summary')).json()).notices);
	assert.ok(Array.isArray(notices), `summary.notices: ${JSON.stringify(notices)}`);
	const shown = await page.locator('#banners .notice').allInnerTexts();
	assert.equal(shown.length, notices.length, `banners: ${JSON.stringify(shown)}`);
	notices.forEach((n, i) => assert.ok(shown[i].includes(n.message), `banner ${i}: ${shown[i]}`));
});

test('overview: dragging across the timeline zooms in, the range is in the URL', async () => {
	await open('/overview', 'overview');
	const over = page.locator('#timeline-chart .u-over');
	// Banners and the processes table can push the chart below the fold: the mouse must reach it.
	await over.scrollIntoViewIfNeeded();
	const box = await over.boundingBox();
	await rendered(async () => {
		// Near the start: the chart's last 100 ms interval may end well after the recording,
		// and a selection past the end selects nothing.
		await page.mouse.move(box.x + box.width * 0.05, box.y + box.height / 2);
		await page.mouse.down();
		await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 8 });
		await page.mouse.up();
	});
	const p = hashParams();
	assert.ok(p.has('from') && p.has('to'), `no from/to in ${page.url()}`);
	assert.ok(Number(p.get('to')) > Number(p.get('from')), `bad range ${p}`);
	await assertCharts('#timeline-chart', 1);
	assert.ok(await page.locator('#timeline-reset').isVisible(), 'no "Show all" button when zoomed');
	await page.reload({ waitUntil: 'load' });
	await waitReady('overview');
	assert.match(await page.locator('#timeline-range').innerText(), /^Window /);
	assert.ok(await page.locator('#window-chip').isVisible(), 'no window chip in the header');
	await rendered(() => page.locator('#timeline-reset').click());
	assert.ok(!hashParams().has('from'), 'Show all left from= in the URL');
});

test('call sites: the table loads; a header click sorts, again reverses; the URL keeps it', async () => {
	await open('/sites', 'sites');
	assert.ok((await siteNames()).length >= 2, 'fewer than two sites');
	const th = () => page.locator('#sites-table th[data-key="allocs"]');
	await rendered(() => th().click());
	assert.equal(await th().getAttribute('aria-sort'), 'descending');
	assert.equal(hashParams().get('sort'), 'allocs');
	const down = await column('allocs');
	assert.deepEqual(down, [...down].sort((a, b) => b - a), `not descending: ${down}`);
	await rendered(() => th().click());
	assert.equal(await th().getAttribute('aria-sort'), 'ascending');
	assert.equal(hashParams().get('order'), 'asc');
	const up = await column('allocs');
	assert.deepEqual(up, [...up].sort((a, b) => a - b), `not ascending: ${up}`);
	if (Math.min(...down) !== Math.max(...down)) assert.ok(up[0] < down[0], `${up[0]} !< ${down[0]}`);
	await page.reload({ waitUntil: 'load' });
	await waitReady('sites');
	assert.equal(await th().getAttribute('aria-sort'), 'ascending', 'the sort did not survive a reload');
	assert.deepEqual(await column('allocs'), up);
	await rendered(() => page.locator('#sites-table th[data-key="bytes"]').click());
	await shot('sites');
});

test('call sites: grouping by function and by file', async () => {
	await open('/sites', 'sites');
	await rendered(() => page.locator('.seg button[data-value="function"]').click());
	assert.equal(hashParams().get('group'), 'function');
	const names = await siteNames();
	assert.equal(new Set(names).size, names.length, `function groups repeat: ${names}`);
	assert.ok(names.includes(topLeak), `no ${topLeak} group in ${names}`);
	await rendered(() => page.locator('.seg button[data-value="file"]').click());
	assert.equal(hashParams().get('group'), 'file');
	assert.ok((await siteNames()).length >= 1);
});

test('call sites: filtering by function, then a click opens the site with its stack and charts', async () => {
	await open('/sites', 'sites');
	await rendered(() => page.locator('#filter-function').fill(topLeak));
	assert.equal(hashParams().get('function'), topLeak);
	const names = await siteNames();
	assert.ok(names.length >= 1 && names.every((n) => n.includes(topLeak)), `filtered rows: ${names}`);
	await page.locator('#sites-table tbody tr[data-site]').first().click();
	await page.waitForSelector('#site-panel[data-ready]:not([data-ready="error"])');
	const site = hashParams().get('site');
	assert.match(site || '', /^\d+$/, `no site= in ${page.url()}`);
	const stack = await page.locator('#site-panel .stack').innerText();
	assert.ok(stack.includes(topLeak), `the stack does not show ${topLeak}:\n${stack}`);
	assert.match(stack, /:\d+/, 'the stack shows no file:line');
	await assertCharts('#site-panel', 3);
	await shot('site', false);
	await page.reload({ waitUntil: 'load' });
	await waitReady('sites');
	await page.waitForSelector('#site-panel[data-ready]');
	assert.ok((await page.locator('#site-panel .stack').innerText()).includes(topLeak), 'the open site did not survive a reload');
	assert.equal(await page.locator('#filter-function').inputValue(), topLeak, 'the filter did not survive a reload');
	await page.keyboard.press('Escape');
	await page.waitForSelector('#site-panel', { state: 'detached' });
	assert.ok(!hashParams().has('site'), 'Escape left site= in the URL');
});

test('data text appears literally (HS_EXPECT_TEXT)', { skip: !process.env.HS_EXPECT_TEXT && 'HS_EXPECT_TEXT not set' }, async () => {
	await open('/sites', 'sites');
	const names = await siteNames();
	assert.ok(names.some((n) => n.includes(process.env.HS_EXPECT_TEXT)), `no site name contains ${process.env.HS_EXPECT_TEXT}: ${names}`);
	assert.equal(await page.locator('#sites-table b').count(), 0, 'markup from the data became elements');
});

test('leak suspects: the top leak is first; a click opens its stack', async () => {
	await open('/leaks', 'leaks');
	const first = (await page.locator('#leaks-table tbody tr[data-site]').first().locator('td.fn').innerText()).trim();
	assert.equal(first, topLeak, `the first leak is ${first}, expected ${topLeak}`);
	await page.waitForSelector('#leaks-body[data-sparks="done"]');
	const sparks = await canvases('#leaks-table canvas.spark');
	assert.ok(sparks.length >= 1, 'no growth sparklines');
	assert.ok(sparks[0].w > 0 && sparks[0].h > 0 && sparks[0].painted > 0, `top leak sparkline ${JSON.stringify(sparks[0])}`);
	await page.locator('#leaks-table tbody tr[data-site]').first().click();
	await page.waitForSelector('#site-panel[data-ready]:not([data-ready="error"])');
	const stack = await page.locator('#site-panel .stack li').first().innerText();
	assert.ok(stack.includes(topLeak), `the stack's innermost frame is not ${topLeak}: ${stack}`);
	assert.match(hashParams().get('site') || '', /^\d+$/);
	await assertCharts('#site-panel', 3);
	await page.reload({ waitUntil: 'load' });
	await waitReady('leaks');
	await page.waitForSelector('#site-panel[data-ready]');
	assert.ok((await page.locator('#site-panel .stack').innerText()).includes(topLeak), 'the open leak did not survive a reload');
	await shot('leak', false);
	await page.locator('#site-panel button.close').click();
	await shot('leaks');
});

test('leak suspects: grouping by function folds each function into one row', async () => {
	await open('/leaks', 'leaks');
	await rendered(() => page.locator('.seg button[data-value="function"]').click());
	assert.equal(hashParams().get('group'), 'function');
	const names = (await page.locator('#leaks-table tbody tr[data-site] td.fn').allInnerTexts()).map((t) => t.trim());
	assert.equal(new Set(names).size, names.length, `function groups repeat: ${names}`);
	assert.equal(names[0], topLeak, `the first group is ${names[0]}, expected ${topLeak}`);
	await rendered(() => page.locator('.seg button[data-value="stack"]').click());
	assert.equal(hashParams().get('group'), null);
});

test('lifetimes: the global histogram split by the top sites, and sizes', async () => {
	await open('/lifetimes', 'lifetimes');
	await assertCharts('#lifetimes-chart', 1);
	await assertCharts('#sizes-chart', 1);
	const rows = await page.locator('#lifetimes-sites tbody tr:not(.other)').count();
	assert.ok(rows >= 1 && rows <= 5, `${rows} top sites`);
	assert.equal(await page.locator('#lifetimes-sites tbody tr.other').count(), 1, 'no "other sites" row');
	// Hovering a column shows its bucket and each site's share.
	const over = await page.locator('#lifetimes-chart .u-over').boundingBox();
	for (let x = 0.02; x < 1; x += 0.04) {
		await page.mouse.move(over.x + over.width * x, over.y + over.height - 3);
		if (await page.locator('.tip').isVisible()) break;
	}
	assert.match(await page.locator('.tip').innerText(), /total/, 'no tooltip over the lifetime columns');
	await rendered(() => page.locator('.seg button[data-value="bytes"]').click());
	assert.equal(hashParams().get('by'), 'bytes');
	await shot('lifetimes');
});

test('flame graph: painted; weight, search and zoom, all in the URL', async () => {
	await open('/flame', 'flame');
	const c = (await canvases('#flame-canvas'))[0];
	assert.ok(c && c.w > 0 && c.h > 0 && c.painted > 0, `flame canvas ${JSON.stringify(c)}`);
	await rendered(() => page.locator('.seg button[data-value="allocs"]').click());
	assert.equal(hashParams().get('weight'), 'allocs');
	await page.locator('#flame-search').fill(topLeak);
	await page.waitForFunction(() => /match/.test(document.getElementById('flame-matches').textContent));
	assert.match(await page.locator('#flame-matches').innerText(), /^\d[\d,]* frames? match(es)?:/);
	await page.waitForFunction((q) => new URLSearchParams(location.hash.split('?')[1]).get('q') === q, topLeak);
	// Click the second row (below "all"): zooms into that frame.
	const box = await page.locator('#flame-canvas').boundingBox();
	await page.mouse.click(box.x + 30, box.y + 30);
	await page.waitForFunction(() => location.hash.includes('zoom='));
	// The URL changes first, the breadcrumbs at the next paint: wait for them, not a moment.
	await page.waitForFunction(() => /→/.test(document.getElementById('flame-crumbs').textContent), null,
		{ timeout: 5000 }).catch(() => {});
	const crumbs = await page.locator('#flame-crumbs').innerText();
	assert.match(crumbs, /→/);
	await shot('flame');
	await page.reload({ waitUntil: 'load' });
	await waitReady('flame');
	assert.equal(await page.locator('#flame-crumbs').innerText(), crumbs, 'zoom did not survive a reload');
	assert.equal(await page.locator('#flame-search').inputValue(), topLeak, 'search did not survive a reload');
	await page.locator('#flame-reset').click();
	await page.waitForFunction(() => !location.hash.includes('zoom='));
});

test('flame graph module: same-name siblings merged, nested matches counted once, zoom by names', async () => {
	await open('/flame', 'flame');
	const r = await page.evaluate(async () => {
		const { createFlameGraph } = await import('/assets/flamegraph.js');
		const box = document.createElement('div');
		box.style.width = '600px';
		const canvas = document.createElement('canvas');
		box.appendChild(canvas);
		document.body.appendChild(box);
		const zooms = [];
		const fg = createFlameGraph(canvas, { fmt: String, onZoom: (n) => zooms.push(n) });
		const leaf = (name, value) => ({ name, value, children: [] });
		fg.setData({ name: 'all', value: 100, children: [{ name: 'start', value: 100, children: [
			{ name: 'main', line: 10, value: 60, children: [leaf('leak', 50), leaf('churn', 10)] },
			{ name: 'main', line: 12, value: 40, children: [{ name: 'leak', value: 40, children: [leaf('leak', 40)] }] },
		] }] });
		const out = { painted: Number(canvas.dataset.painted) };
		out.search = fg.setSearch('LEAK');
		out.none = fg.setSearch('nothing');
		out.zoom = fg.setZoom(['start', 'main', 'leak', 'nope']);
		out.zoomPath = fg.zoomPath();
		fg.destroy();
		box.remove();
		return out;
	});
	// all, start, one merged main (100), leak (90) with its inner leak (40), churn (10).
	assert.equal(r.painted, 6, `drawn frames: ${r.painted}`);
	assert.deepEqual(r.search, { count: 2, value: 90, share: 0.9 });
	assert.deepEqual(r.none, { count: 0, value: 0, share: 0 });
	assert.deepEqual(r.zoom, ['start', 'main', 'leak']);
	assert.deepEqual(r.zoomPath, ['start', 'main', 'leak']);
});

test('errors: loads, each error with its stacks; those after lost events marked', async () => {
	await open('/errors', 'errors');
	const n = await page.locator('#errors-body .item').count();
	if (n) assert.ok(await page.locator('#errors-body .item .stack').count() >= n, 'an error without a stack');
	else assert.match(await page.locator('#errors-body').innerText(), /No double or invalid frees/);
	const errs = await page.evaluate(async () => (await (await fetch('/api/errors')).json()));
	const marked = await page.locator('#errors-body .item').evaluateAll((items) => items.map((i) => i.classList.contains('unreliable')));
	assert.deepEqual(marked, errs.map((e) => e.unreliable === true));
	const unreliable = marked.filter(Boolean).length;
	assert.equal(await page.locator('#errors-body .item .badge.warn').count(), unreliable);
	if (unreliable) assert.match(await page.locator('#errors-warning').innerText(), new RegExp(`^${unreliable} of these came after events were lost`));
	else assert.equal(await page.locator('#errors-warning').count(), 0, 'a warning with no unreliable error');
	await shot('errors');
});

test('advice: loads, each item with its evidence', async () => {
	await open('/advice', 'advice');
	const n = await page.locator('#advice-body .item').count();
	if (n) assert.equal(await page.locator('#advice-body .item .evidence').count(), n);
	else assert.match(await page.locator('#advice-body').innerText(), /Nothing to suggest/);
	await shot('advice');
});

test('the API refuses a pid that is not a positive integer', async () => {
	// From here, not the page: the browser would log the 400 as a console error.
	const res = await fetch(new URL('/api/summary?pid=abc', base));
	assert.equal(res.status, 400);
	assert.equal(typeof (await res.json()).error, 'string');
});

test('the tabs switch views and mark the current one', async () => {
	await open('/overview', 'overview');
	for (const v of ['sites', 'leaks', 'lifetimes', 'flame', 'errors', 'advice', 'overview']) {
		await page.locator(`#nav a[data-view="${v}"]`).click();
		await waitReady(v);
		assert.equal(await page.locator(`#nav a[data-view="${v}"]`).getAttribute('aria-current'), 'page');
	}
});

test('no console errors and no page errors', () => {
	assert.deepEqual(consoleErrors, [], `console errors: ${JSON.stringify(consoleErrors)}`);
	assert.deepEqual(pageErrors, [], `page errors: ${JSON.stringify(pageErrors, null, 1)}`);
});

test('no request leaves the server\'s origin', () => {
	assert.deepEqual(foreign, [], `requests elsewhere: ${JSON.stringify(foreign)}`);
});

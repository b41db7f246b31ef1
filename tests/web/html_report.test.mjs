// The HTML report in headless Chromium: the dashboard's own views (web/), inlined with the
// recording's JSON. No errors, no request but data: and blob: URLs, every view drawn, the top
// leak shown, the stack quality, a drawn flame graph, a sortable sites table; and with
// HS_DASHBOARD, each view shows the same text as the dashboard served for the same recording.
//
// usage: HS_HTML=report.html HS_TOP_LEAK=leak_c node --test tests/web/html_report.test.mjs
// Optional: HS_DASHBOARD=http://127.0.0.1:PORT/ (heapscope serve of the same recording),
// HS_EXPECT_TEXT=... (text the page must show literally, e.g. a name with "</script>"),
// HS_SCREENSHOT=/tmp/report.png (a full-page screenshot), HS_CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch } from './browser.mjs';

const html = process.env.HS_HTML;
const topLeak = process.env.HS_TOP_LEAK;

let browser, page;
const consoleErrors = [];
const pageErrors = [];
const requests = [];
const VIEWS = ['overview', 'sites', 'leaks', 'lifetimes', 'flame', 'errors', 'advice'];
const TIMEOUT = 15000;
let pageUrl;

before(async () => {
	assert.ok(html, 'HS_HTML must name the HTML report to open');
	assert.ok(existsSync(html), `HS_HTML: no file at ${html}`);
	browser = await launch({ width: 1400, height: 900 });
	({ page } = browser);
	page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
	page.on('pageerror', (e) => pageErrors.push(String(e)));
	page.setDefaultTimeout(TIMEOUT);
	pageUrl = pathToFileURL(resolve(html)).href;
	// The page itself is the one request that is not data: or blob:.
	page.on('request', (r) => {
		if (!/^(data|blob):/.test(r.url()) && r.url().replace(/#.*/, '') !== pageUrl) requests.push(r.url());
	});
	await page.goto(pageUrl, { waitUntil: 'load' });
	await view('overview');
});

// Shows view id (through the page's own navigation) and waits until it has drawn its data.
async function view(id) {
	await page.evaluate((h) => { location.hash = h; }, '#/' + id);
	await page.waitForSelector(`main#view[data-ready="${id}"]`);
}

after(async () => {
	if (browser) await browser.close();
});

test('every view of the dashboard is reachable and drawn', async () => {
	const nav = await page.locator('#nav a').evaluateAll((as) => as.map((a) => a.dataset.view));
	assert.deepEqual(nav, VIEWS);
	for (const id of VIEWS) {
		await page.locator(`#nav a[data-view="${id}"]`).click();
		await page.waitForSelector(`main#view[data-ready="${id}"]`);
		assert.equal(await page.locator('main#view .note.error').count(), 0, `${id}: ${await page.locator('main#view').innerText()}`);
	}
	await view('overview');
});

test('a site opens its panel, which says what the report lacks', async () => {
	await view('sites');
	await page.locator('#sites-table tbody tr[data-site]').first().click();
	await page.waitForSelector('#site-panel[data-ready]:not([data-ready="error"])');
	assert.match(await page.locator('#site-panel').innerText(), /not in this HTML report/);
	await page.keyboard.press('Escape');
	await view('overview');
});

test('no console errors and no page errors', () => {
	assert.deepEqual(consoleErrors, [], `console errors: ${JSON.stringify(consoleErrors)}`);
	assert.deepEqual(pageErrors, [], `page errors: ${JSON.stringify(pageErrors)}`);
});

test('no network requests', () => {
	assert.deepEqual(requests, [], `network requests: ${JSON.stringify(requests)}`);
});

test('the leaks view shows the top leak first', async () => {
	assert.ok(topLeak, 'HS_TOP_LEAK must name the expected top leak function');
	await view('leaks');
	const first = await page.locator('#leaks-table tbody tr').first().locator('td.fn').innerText();
	assert.equal(first.trim(), topLeak, `the first leak row is ${first.trim()}, expected ${topLeak}`);
	await view('overview');
});

test('the overview shows the stack quality, with a hint when few are complete', async () => {
	const q = await page.evaluate(() => JSON.parse(document.getElementById('heapscope-data').textContent).summary.stacks);
	assert.ok(q && ['caller', 'fp', 'dwarf'].includes(q.mode), `summary.stacks: ${JSON.stringify(q)}`);
	const c = page.locator('[data-card="stacks"]');
	assert.equal(Number(await c.locator('.v').getAttribute('data-value')), q.complete_allocs_share);
	assert.ok((await c.locator('.k').innerText()).includes(q.mode), 'the card does not name the stack mode');
	if (q.complete_allocs_share < 0.9) assert.ok(await c.locator('.hint').count() > 0, 'no hint');
	else assert.equal(await c.locator('.hint').count(), 0, 'a hint although most stacks are complete');
});

const data = () => page.evaluate(() => JSON.parse(document.getElementById('heapscope-data').textContent));

test('the summary lists the processes when there are several', async () => {
	const procs = (await data()).summary.processes;
	assert.ok(Array.isArray(procs), `summary.processes: ${JSON.stringify(procs)}`);
	if (procs.length <= 1) {
		assert.ok(await page.locator('#processes').isHidden(), 'a processes table for one process');
		return;
	}
	const rows = page.locator('#processes-table tbody tr');
	assert.equal(await rows.count(), procs.length);
	assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.pid))), procs.map((p) => p.pid));
	const ended = await rows.locator('td.ended').allInnerTexts();
	procs.forEach((p, i) => assert.ok(ended[i].startsWith(p.end_reason || 'running'), `row ${i} ended: ${ended[i]}`));
});

test('notices are banners; the event accounting is said', async () => {
	const s = (await data()).summary;
	const shown = await page.locator('#banners .notice').allInnerTexts();
	assert.equal(shown.length, s.notices.length, `banners: ${JSON.stringify(shown)}`);
	s.notices.forEach((n, i) => assert.ok(shown[i].includes(n.message), `banner ${i}: ${shown[i]}`));
	if (s.events) assert.equal(await page.locator('#events-banner').count(), s.events.accounted ? 0 : 1);
});

test('errors found after events were lost are marked', async () => {
	const errs = (await data()).errors;
	await view('errors');
	const marked = await page.locator('#errors-body .item').evaluateAll((items) => items.map((i) => i.classList.contains('unreliable')));
	assert.deepEqual(marked, errs.map((e) => e.unreliable === true));
	const n = marked.filter(Boolean).length;
	assert.equal(await page.locator('#errors-warning').count(), n ? 1 : 0);
	if (n) assert.match(await page.locator('#errors-warning').innerText(), new RegExp(`^${n} of these came after events were lost`));
});

test('the flame graph is drawn', async () => {
	await view('flame');
	const box = await page.locator('#flame-canvas').boundingBox();
	assert.ok(box && box.width > 0 && box.height > 0, `flame graph box ${JSON.stringify(box)}`);
	// Something other than the background was painted.
	const painted = await page.evaluate(() => {
		const c = document.getElementById('flame-canvas');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
		return n;
	});
	assert.ok(painted > 0, 'flame graph canvas is blank');
});

// Runs action and waits for the current view to draw again (its renders counter moves).
async function rendered(action) {
	const was = await page.locator('main#view').getAttribute('data-renders');
	await action();
	await page.waitForFunction((b) => document.querySelector('main#view').dataset.renders !== b, was);
}

// The numbers of one sites-table column, top to bottom (data-value holds the raw number).
async function column(key) {
	const idx = await page.locator('#sites-table thead th').evaluateAll(
		(ths, k) => ths.findIndex((th) => th.dataset.key === k), key);
	assert.ok(idx >= 0, `no sites column ${key}`);
	return page.locator('#sites-table tbody tr[data-site]').evaluateAll(
		(trs, i) => trs.map((tr) => Number(tr.children[i].dataset.value)), idx);
}

test('clicking a sites-table header sorts by that column, again reverses', async () => {
	await view('sites');
	const th = () => page.locator('#sites-table th[data-key="allocs"]');
	await rendered(() => th().click());
	const down = await column('allocs');
	assert.ok(down.length >= 2, 'fewer than two sites to sort');
	assert.equal(await th().getAttribute('aria-sort'), 'descending');
	assert.deepEqual(down, [...down].sort((a, b) => b - a), `not descending: ${down}`);
	await rendered(() => th().click());
	const up = await column('allocs');
	assert.equal(await th().getAttribute('aria-sort'), 'ascending');
	assert.deepEqual(up, [...up].sort((a, b) => a - b), `not ascending: ${up}`);
	// Only the first page of a long table is shown, so compare ends rather than whole columns.
	if (Math.min(...down) !== Math.max(...down)) assert.ok(up[0] < down[0], `${up[0]} !< ${down[0]}`);
});

// The same recording served by heapscope: each view's text must be the report's. Lifetimes
// differ by design (the report has no per-site histograms) and are left out.
test('each view shows what the dashboard shows (HS_DASHBOARD)', { skip: !process.env.HS_DASHBOARD && 'HS_DASHBOARD not set' }, async () => {
	const dash = await browser.context.newPage();
	dash.setDefaultTimeout(TIMEOUT);
	try {
		for (const id of VIEWS.filter((v) => v !== 'lifetimes')) {
			await view(id);
			await dash.goto(new URL('/#/' + id, process.env.HS_DASHBOARD).href, { waitUntil: 'load' });
			await dash.waitForSelector(`main#view[data-ready="${id}"]`);
			const mine = await page.locator('main#view').innerText();
			const theirs = await dash.locator('main#view').innerText();
			assert.equal(mine, theirs, `view ${id} differs`);
		}
		assert.equal(await page.locator('#hdr-meta').innerText(), await dash.locator('#hdr-meta').innerText());
	} finally {
		await dash.close();
		await view('overview');
	}
});

test('data text appears literally (HS_EXPECT_TEXT)', { skip: !process.env.HS_EXPECT_TEXT && 'HS_EXPECT_TEXT not set' }, async () => {
	const text = await page.locator('body').innerText();
	assert.ok(text.includes(process.env.HS_EXPECT_TEXT), `page text lacks ${process.env.HS_EXPECT_TEXT}`);
});

test('screenshot (HS_SCREENSHOT)', { skip: !process.env.HS_SCREENSHOT && 'HS_SCREENSHOT not set' }, async () => {
	await page.mouse.move(0, 0);
	await page.screenshot({ path: process.env.HS_SCREENSHOT, fullPage: true });
});

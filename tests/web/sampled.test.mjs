// A sampled recording in the dashboard (or its HTML report): the header says so, every card and
// chart title that shows a count or a byte total carries the "Sampled · estimates" badge, the
// misuse view says it is not checked; an exact recording shows no badge at all.
//
// usage: HS_URL=http://127.0.0.1:PORT/ (heapscope serve) or HS_HTML=report.html,
//        HS_SAMPLED=1 (a sampled recording) or 0 (an exact one), node --test sampled.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch } from './browser.mjs';

const sampled = process.env.HS_SAMPLED !== '0';
const BADGE = 'Sampled · estimates';
const TIMEOUT = 15000;
let browser, page;
const problems = [];

before(async () => {
	const url = process.env.HS_URL || (process.env.HS_HTML && pathToFileURL(resolve(process.env.HS_HTML)).href);
	assert.ok(url, 'HS_URL (a heapscope serve) or HS_HTML (a report) must be given');
	browser = await launch({ width: 1400, height: 900 });
	({ page } = browser);
	page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
	page.on('pageerror', (e) => problems.push(String(e)));
	page.setDefaultTimeout(TIMEOUT);
	await page.goto(url, { waitUntil: 'load' });
	await view('overview');
});

after(async () => {
	if (browser) await browser.close();
});

async function view(id, query) {
	await page.evaluate((h) => { location.hash = h; }, '#/' + id + (query ? '?' + query : ''));
	await page.waitForSelector(`main#view[data-ready="${id}"]`);
}

// The titles (card labels, panel and drawer headings) under root that carry the badge, and
// those that do not.
async function badged(selector) {
	return page.locator(selector).evaluateAll((els, badge) => els.map((e) => ({
		title: e.textContent.replace(badge, '').trim(),
		badge: [...e.querySelectorAll('.badge.est')].some((b) => b.textContent === badge),
	})), BADGE);
}

function expectAll(rows, what) {
	assert.ok(rows.length > 0, `no ${what} found`);
	for (const r of rows) assert.equal(r.badge, sampled, `${what} "${r.title}": badge ${r.badge ? 'shown' : 'missing'}`);
}

test('the header says the recording is sampled', async () => {
	const h = page.locator('#sampling');
	if (!sampled) {
		assert.ok(await h.isHidden(), 'an exact recording shows the sampling badge');
		return;
	}
	assert.ok(await h.isVisible(), 'no sampling badge in the header');
	assert.match(await h.innerText(), /^Sampled · estimates · 1 per \d/);
});

test('overview: every card with a count and every chart and list is badged', async () => {
	await view('overview');
	const keys = ['allocs', 'frees', 'live_blocks', 'live_bytes', 'peak', 'stacks'];
	expectAll(await badged(keys.map((k) => `[data-card="${k}"] .k`).join(', ')), 'card');
	expectAll(await badged('#timeline .panel-hd h2, #top-leaks-panel .panel-hd h2, #top-sites-panel .panel-hd h2'), 'panel');
	// Counts that are not estimates stay unbadged: the duration and the dropped events.
	for (const r of await badged('[data-card="duration"] .k, [data-card="dropped"] .k')) assert.equal(r.badge, false, r.title);
	const errors = await page.locator('[data-card="errors"]').innerText();
	if (sampled) assert.match(errors, /n\/a[^]*Not checked in sampled mode/, `errors card: ${errors}`);
	else assert.doesNotMatch(errors, /Not checked/);
});

test('every view\'s panels are badged', async () => {
	for (const id of ['sites', 'leaks', 'lifetimes', 'flame', 'advice']) {
		await view(id);
		expectAll(await badged('main#view .panel-hd h2'), `${id} panel`);
	}
});

test('the site drawer\'s numbers are badged', async () => {
	await view('sites');
	await page.locator('#sites-table tbody tr[data-site]').first().click();
	await page.waitForSelector('#site-panel[data-ready]:not([data-ready="error"])');
	expectAll(await badged('#site-panel h3:first-of-type'), 'drawer heading');
	await page.keyboard.press('Escape');
});

test('misuse: not checked in sampled mode', async () => {
	await view('errors');
	const text = await page.locator('main#view').innerText();
	if (sampled) assert.match(text, /Not checked in sampled mode: only sampled blocks are tracked/);
	else assert.doesNotMatch(text, /Not checked in sampled mode/);
});

test('no console or page errors', () => {
	assert.deepEqual(problems, []);
});

// The time window in the dashboard: a selection on the overview's timeline sets from/to for
// every view (a removable chip, kept in the URL across views and reloads); on a timed_phases
// recording the window [0.5 s, 1.5 s) shows phase B's leaks and sites only.
//
// usage: HS_URL=http://127.0.0.1:PORT/ node --test tests/web/window.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './browser.mjs';

const base = process.env.HS_URL;
const TIMEOUT = 15000;
let browser, page;
const errors = [];
const requests = [];

before(async () => {
	assert.ok(base, 'HS_URL must give the dashboard server');
	browser = await launch({ width: 1366, height: 860 });
	({ page } = browser);
	page.setDefaultTimeout(TIMEOUT);
	page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
	page.on('pageerror', (e) => errors.push(String(e)));
	page.on('request', (r) => requests.push(r.url()));
});

after(async () => {
	if (browser) await browser.close();
});

function hashParams() {
	const h = new URL(page.url()).hash;
	const q = h.indexOf('?');
	return new URLSearchParams(q >= 0 ? h.slice(q + 1) : '');
}

async function ready(view) {
	await page.waitForSelector(`main#view[data-ready="${view}"]`);
}

const leakNames = () => page.locator('#leaks-body tr.row td.fn').allInnerTexts();
const siteNames = () => page.locator('#sites-table tbody tr[data-site] td.fn').allInnerTexts();

test('a window in the URL: the chip, the leaks and sites of phase B only, kept across views', async () => {
	await page.goto(new URL('/#/leaks?from=500000000&to=1500000000', base).href, { waitUntil: 'load' });
	await ready('leaks');
	assert.equal((await page.locator('#window-chip .window-text').innerText()).trim(), 'window 0.5 s – 1.5 s');
	assert.deepEqual((await leakNames()).sort(), ['leak_b', 'leak_steady']);
	assert.ok(requests.some((u) => u.includes('/api/leaks?') && u.includes('from=500000000') && u.includes('to=1500000000')), 'leaks asked without the window');
	await page.locator('#nav a[data-view="sites"]').click();
	await ready('sites');
	assert.equal(hashParams().get('from'), '500000000', `the window was left behind: ${page.url()}`);
	assert.deepEqual((await siteNames()).sort(), ['churn', 'leak_b', 'leak_steady', 'temp_b']);
	await page.reload({ waitUntil: 'load' });
	await ready('sites');
	assert.ok(await page.locator('#window-chip').isVisible(), 'no chip after a reload');
	await page.locator('#window-chip .chip-x').click();
	await page.waitForFunction(() => !location.hash.includes('from='));
	await page.waitForFunction(() => document.querySelectorAll('#sites-table tbody tr[data-site]').length === 6);
	assert.ok(!(await page.locator('#window-chip').isVisible()), 'the chip stayed');
});

test('a selection on the overview timeline sets the window of every view', async () => {
	await page.goto(new URL('/#/overview', base).href, { waitUntil: 'load' });
	await ready('overview');
	const over = page.locator('#timeline-chart .u-over');
	await over.scrollIntoViewIfNeeded();
	const box = await over.boundingBox();
	// From about a quarter to three quarters of the ~2 s recording: phase B (at 1 s) only.
	await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
	await page.mouse.down();
	await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 8 });
	await page.mouse.up();
	await page.waitForFunction(() => location.hash.includes('from='));
	await page.waitForSelector('#window-chip:not([hidden])');
	assert.match(await page.locator('#window-chip .window-text').innerText(), /^window \d+\.\d s – \d+\.\d s$/);
	await page.waitForFunction(() => document.querySelector('[data-card="allocs"] .v') && document.querySelector('[data-card="allocs"] .v').dataset.value === '29');
	await page.locator('#nav a[data-view="leaks"]').click();
	await ready('leaks');
	assert.deepEqual((await leakNames()).sort(), ['leak_b', 'leak_steady']);
	assert.deepEqual(errors, []);
});

// The dashboard of a recording in progress: the LIVE badge is shown and the Overview's
// allocation count rises from one 2-second refresh to the next.
//
// usage: HS_URL=http://127.0.0.1:PORT/ node --test tests/web/live.test.mjs   (a server attached
// to a growing recording: `heapscope record --serve`). Optional: HS_SHOTS=DIR, HS_CHROMIUM;
// HS_STOP_PID=PID: then SIGTERM that process (the traced target) and expect the page to say
// "recording ended" and stop refreshing; HS_WAIT_END=1: the same without sending a signal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';

const base = process.env.HS_URL;
const shots = process.env.HS_SHOTS;

let browser, page;
const consoleErrors = [];
const pageErrors = [];

before(async () => {
	assert.ok(base, 'HS_URL must give the server of a live recording');
	browser = await launch({ width: 1366, height: 860 });
	({ page } = browser);
	page.setDefaultTimeout(15000);
	page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
	page.on('pageerror', (e) => pageErrors.push(String(e)));
	await page.goto(new URL('/#/overview', base).href, { waitUntil: 'load' });
	await page.waitForSelector('main#view[data-ready="overview"]');
});

after(async () => {
	if (browser) await browser.close();
});

const allocs = async () => Number(await page.locator('[data-card="allocs"] .v').getAttribute('data-value'));
const renders = async () => Number(await page.locator('main#view').getAttribute('data-renders'));

test('the LIVE badge is shown', async () => {
	const badge = page.locator('#status');
	assert.ok(await badge.isVisible(), 'no status badge');
	assert.match(await badge.innerText(), /LIVE/);
	assert.match(await badge.getAttribute('class'), /\blive\b/);
});

test('the allocation count rises between two refreshes', async () => {
	const r0 = await renders();
	const a0 = await allocs();
	// The next refresh (every 2 s) redraws the cards; wait for two of them.
	await page.waitForFunction((r) => Number(document.querySelector('main#view').dataset.renders) >= r + 2, r0, { timeout: 12000 });
	const a1 = await allocs();
	assert.ok(a1 > a0, `allocations went from ${a0} to ${a1} over two refreshes`);
	assert.ok(await page.locator('.uplot canvas').count() >= 1, 'no timeline chart');
	if (shots) {
		mkdirSync(shots, { recursive: true });
		await page.screenshot({ path: join(shots, 'dashboard-live.png'), fullPage: true });
	}
});

const stopPid = Number(process.env.HS_STOP_PID) || 0;
test('when the recording ends: "recording ended", no more refreshes', { skip: !stopPid && !process.env.HS_WAIT_END && 'neither HS_STOP_PID nor HS_WAIT_END set' }, async () => {
	if (stopPid) process.kill(stopPid, 'SIGTERM');
	await page.waitForFunction(() => /recording ended/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
	assert.match(await page.locator('#status').getAttribute('class'), /\bended\b/);
	assert.doesNotMatch(await page.locator('#hdr-meta').innerText(), /recording for/);
	// The refresh that found the recording ended redraws the view once more (its requests may
	// land after the badge changed); refreshing every 2 s would draw at least twice more.
	const r0 = await renders();
	await page.waitForTimeout(4500);
	const r1 = await renders();
	assert.ok(r1 <= r0 + 1, `the page kept refreshing after the recording ended (${r1 - r0} more draws)`);
	if (shots) await page.screenshot({ path: join(shots, 'dashboard-live-ended.png'), fullPage: true });
});

test('no console errors and no page errors', () => {
	assert.deepEqual(consoleErrors, [], `console errors: ${JSON.stringify(consoleErrors)}`);
	assert.deepEqual(pageErrors, [], `page errors: ${JSON.stringify(pageErrors)}`);
});

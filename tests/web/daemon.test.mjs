// The daemon's dashboard in headless Chromium: log in with the printed URL, pick a process in the
// list, record it (exact), watch it live (LIVE, allocations rising), stop it, open its views and
// downloads, record it again (sampled: marked as estimates), compare the two, two windows of one
// and a bad window (the server's 400 said), the Rules panel, a rule's trend, a rule waiting for
// its first window, no such rule, delete a recording; not one console or page error (telling
// the daemon from serve is one request that succeeds: /api/daemon).
//
// usage: HS_LOGIN=http://127.0.0.1:PORT/?token=T HS_PID=PID node --test tests/web/daemon.test.mjs
//   HS_PID: a running process that allocates (build/progs/churn). Optional: HS_RULE=NAME (a rule
//   with 2-second windows, exact, keep 0, comm NAME, recording HS_RULE_PID: the Rules panel and
//   its trend are checked), HS_IDLE_RULE=NAME (a rule no process matches: comm hs-no-such, 10 min
//   windows sampled 1 per 64 KiB, keep 3 and 1 GiB), HS_SHOTS=DIR (screenshots), HS_CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';

const login = process.env.HS_LOGIN;
const pid = process.env.HS_PID;
const rule = process.env.HS_RULE;
const rulePid = process.env.HS_RULE_PID;
const idleRule = process.env.HS_IDLE_RULE;
const shots = process.env.HS_SHOTS;
const bad = process.env.HS_BAD;
const TIMEOUT = 20000;

let browser, page, origin;
const consoleErrors = [];
const pageErrors = [];
const foreign = [];
let first = null; // the exact recording's id
let second = null; // the sampled one's

before(async () => {
	assert.ok(login, 'HS_LOGIN must give the URL the daemon printed (with ?token=)');
	assert.ok(pid, 'HS_PID must give a running process to record');
	origin = new URL(login).origin;
	if (shots) mkdirSync(shots, { recursive: true });
	browser = await launch({ width: 1366, height: 860 });
	({ page } = browser);
	page.setDefaultTimeout(TIMEOUT);
	page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()} (${m.location().url})`); });
	page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e}`));
	page.on('request', (r) => {
		const u = r.url();
		if (!/^(data|about|blob):/.test(u) && new URL(u).origin !== origin) foreign.push(u);
	});
});

after(async () => {
	if (browser) await browser.close();
});

async function shot(name) {
	if (shots) await page.screenshot({ path: join(shots, name + '.png'), fullPage: true });
}

const ready = (view) => page.waitForSelector(`main#view[data-ready="${view}"]`, { timeout: TIMEOUT });
const renders = async () => Number(await page.locator('main#view').getAttribute('data-renders'));
const allocs = async () => Number(await page.locator('[data-card="allocs"] .v').getAttribute('data-value'));
const recRow = (id) => page.locator(`#recordings-body tr[data-id="${id}"]`);

// The id of the recording whose views are shown (#/r/ID/VIEW).
function shownId() {
	const m = /#\/r\/([^/]+)\//.exec(page.url());
	assert.ok(m, `not a recording's view: ${page.url()}`);
	return decodeURIComponent(m[1]);
}

// Home: filter the processes down to HS_PID, open its Record form, fill it, start.
async function record(opts) {
	await page.goto(new URL('/#/', origin).href, { waitUntil: 'load' });
	await ready('home');
	await page.fill('#process-filter', String(pid));
	const row = page.locator(`#process-table tr[data-pid="${pid}"]`);
	await row.waitFor();
	await page.waitForFunction((p) => !document.querySelector(`#process-table tr[data-pid="${p}"] button[data-action="record"]`).disabled, pid);
	await row.locator('button[data-action="record"]').click();
	const dlg = page.locator('#record-dialog');
	await dlg.waitFor();
	await page.fill('#record-duration', String(opts.duration));
	await page.selectOption('#record-stack', opts.stack || 'dwarf');
	if (opts.sample) {
		await page.check('#record-sampled');
		await page.fill('#record-rate', String(opts.sample));
	} else await page.check('#record-exact');
	await shot(opts.shot);
	await page.click('#record-start');
	await page.waitForURL(/#\/r\/[^/]+\/overview/);
	await ready('overview');
	return shownId();
}

test('without the cookie, the API answers 401', async () => {
	for (const path of ['/api/daemon', '/api/recordings', '/api/processes']) {
		const r = await fetch(new URL(path, origin));
		assert.equal(r.status, 401, `${path} without the cookie`);
	}
});

test('the printed URL logs in: the home lists recordings and processes', async () => {
	await page.goto(login, { waitUntil: 'load' });
	await ready('home');
	assert.doesNotMatch(page.url(), /token=/, 'the token stays in the address bar');
	assert.match(await page.locator('#hdr-cmd').innerText(), /Recordings and processes/);
	assert.ok(await page.locator('#nav').isHidden(), 'the recording tabs show on the home');
	const row = page.locator(`#process-table tr[data-pid="${pid}"]`);
	await page.fill('#process-filter', String(pid));
	await row.waitFor();
	assert.match(await row.locator('td[data-key="allocator"]').innerText(), /glibc|libc/);
	assert.match(await row.locator('td[data-key="command"]').innerText(), /\S/);
	await page.fill('#process-filter', 'no process is called this');
	await page.waitForFunction(() => document.querySelectorAll('#process-table tbody tr').length === 0);
	await page.fill('#process-filter', '');
	await shot('home');
});

test('a file that is no recording: an unreadable row with its reason, Delete only; opening it fails at once', async () => {
	const row = recRow(bad);
	await row.waitFor({ timeout: TIMEOUT });
	assert.equal(await row.getAttribute('data-state'), 'unreadable');
	const badge = row.locator('td[data-key="state"] .badge');
	assert.equal((await badge.innerText()).trim().toLowerCase(), 'unreadable');
	assert.match(await badge.getAttribute('title'), /^Not a readable recording: \S/);
	assert.equal(await row.locator('[data-action="open"]').count(), 0, 'an Open button on an unreadable file');
	assert.equal(await row.locator('[data-action="delete"]').count(), 1);
	assert.ok(await row.locator('input.pick').isDisabled(), 'an unreadable file can be picked to compare');
	// Not the 15 s wait for a recording to start: the daemon's 409 ends it.
	await page.goto(`${new URL(login).origin}/#/r/${bad}/overview`, { waitUntil: 'load' });
	await page.waitForSelector('#fatal', { timeout: 5000 });
	assert.match(await page.locator('#fatal').innerText(), /cannot be read/);
	await page.goto(`${new URL(login).origin}/#/`, { waitUntil: 'load' });
	await ready('home');
});

test('record (exact): the recording opens live, its allocations rise', async () => {
	first = await record({ duration: 0, shot: 'record-form' });
	const badge = page.locator('#status');
	await page.waitForFunction(() => /LIVE/.test(document.getElementById('status').textContent));
	assert.match(await badge.getAttribute('class'), /\blive\b/);
	assert.ok(await page.locator('#back').isVisible(), 'no way back to the recordings');
	const r0 = await renders();
	const a0 = await allocs();
	await page.waitForFunction((r) => Number(document.querySelector('main#view').dataset.renders) >= r + 2, r0, { timeout: TIMEOUT });
	const a1 = await allocs();
	assert.ok(a1 > a0, `allocations went from ${a0} to ${a1} over two refreshes`);
	assert.ok(await page.locator('#timeline-chart .uplot canvas').count() >= 1, 'no timeline chart');
	await shot('recording-live');
});

test('leak suspects of the live recording: Scan now stops it for a moment; verdicts and held memory', async () => {
	await page.click('#nav a[data-view="leaks"]');
	await ready('leaks');
	await page.click('#scan-now');
	await page.waitForFunction(() => /Scanned: the process stood still|Scan failed/.test(document.getElementById('scan-result')?.textContent || ''), null, { timeout: 30000 });
	assert.match(await page.locator('#scan-result').innerText(), /Scanned: the process stood still .+ \(\d+ threads\)/);
	await page.waitForSelector('#last-scan', { timeout: TIMEOUT });
	assert.match(await page.locator('#last-scan').innerText(), /Last scan of pid \d+ \(request\).*stopped/);
	await page.waitForSelector('#held-body h3', { timeout: TIMEOUT });
	await shot('recording-leaks-scanned');
	await page.click('#nav a[data-view="overview"]');
	await ready('overview');
});

test('home: the recording is LIVE, its process marked; Stop ends it', async () => {
	await page.click('#back');
	await ready('home');
	const row = recRow(first);
	await row.waitFor();
	assert.equal(await row.getAttribute('data-state'), 'running');
	assert.match(await row.locator('td[data-key="state"]').innerText(), /LIVE/);
	assert.match(await row.locator('td[data-key="command"]').innerText(), new RegExp(`pid ${pid}`));
	// Allocations rise in the list too (2-second refresh).
	const count = async () => Number(await row.locator('td[data-key="allocs"]').getAttribute('data-value'));
	const c0 = await count();
	await page.waitForFunction(([id, c]) => Number(document.querySelector(`#recordings-body tr[data-id="${id}"] td[data-key="allocs"]`).dataset.value) > c, [first, c0]);
	await page.fill('#process-filter', String(pid));
	const proc = page.locator(`#process-table tr[data-pid="${pid}"]`);
	await page.waitForFunction(([p, id]) => document.querySelector(`#process-table tr[data-pid="${p}"]`)?.dataset.recording === id, [pid, first]);
	assert.ok(await proc.locator('button[data-action="record"]').isDisabled(), 'Record is offered for a process being recorded');
	await shot('home-live');
	await row.locator('button[data-action="stop"]').click();
	await page.waitForFunction((id) => document.querySelector(`#recordings-body tr[data-id="${id}"]`).dataset.state !== 'running', first, { timeout: 30000 });
	assert.equal(await row.locator('button[data-action="stop"]').count(), 0, 'Stop is still offered');
	assert.match(await row.locator('td[data-key="state"]').innerText(), /ended/i);
});

test('open: every view of the stopped recording loads', async () => {
	await recRow(first).locator('a[data-action="open"]').click();
	await ready('overview');
	assert.equal(shownId(), first);
	assert.ok(await page.locator('#hdr-stop').count() === 0, 'Stop offered for an ended recording');
	assert.ok(Number(await page.locator('[data-card="allocs"] .v').getAttribute('data-value')) > 0, 'no allocations');
	await shot('recording-overview');
	for (const v of ['sites', 'leaks', 'lifetimes', 'flame', 'errors', 'advice']) {
		await page.click(`#nav a[data-view="${v}"]`);
		await ready(v);
		assert.match(page.url(), new RegExp(`#/r/${encodeURIComponent(first)}/${v}`));
		await shot('recording-' + v);
	}
	// A site's drawer opens from the sites table, its URL within the recording.
	await page.click('#nav a[data-view="sites"]');
	await ready('sites');
	await page.locator('#sites-table tbody tr.row').first().click();
	await page.waitForURL(/#\/r\/[^/]+\/sites\?.*site=\d+/);
	await page.waitForSelector('.drawer');
});

test('downloads: db, pprof, HTML and JSON, each an attachment', async () => {
	await page.click('#nav a[data-view="overview"]');
	await ready('overview');
	await page.click('#hdr-download summary');
	const links = page.locator('#hdr-download a[data-format]');
	assert.equal(await links.count(), 4);
	await shot('recording-download-menu');
	for (const fmt of ['db', 'pprof', 'html', 'json']) {
		const href = await page.locator(`#hdr-download a[data-format="${fmt}"]`).getAttribute('href');
		const r = await page.request.get(new URL(href, origin).href);
		assert.equal(r.status(), 200, `${fmt}: ${r.status()}`);
		assert.match(r.headers()['content-disposition'] || '', /attachment/, `${fmt}: not an attachment`);
		const body = await r.body();
		if (fmt === 'db') assert.equal(body.subarray(0, 15).toString(), 'SQLite format 3');
		if (fmt === 'pprof') assert.deepEqual([...body.subarray(0, 2)], [0x1f, 0x8b], 'pprof: not gzip');
		if (fmt === 'html') assert.match(body.toString(), /heapscope-data/);
		if (fmt === 'json') assert.ok(JSON.parse(body.toString()).summary, 'json: no summary');
	}
	await page.keyboard.press('Escape');
});

test('record again (sampled): estimates are labelled; Stop from its header', async () => {
	second = await record({ duration: 0, sample: 4, stack: 'fp', shot: 'record-form-sampled' });
	assert.notEqual(second, first);
	await page.waitForFunction(() => /LIVE/.test(document.getElementById('status').textContent));
	const sb = page.locator('#sampling');
	await page.waitForFunction(() => !document.getElementById('sampling').hidden);
	assert.match(await sb.innerText(), /Sampled · estimates · 1 per 4\.00 KiB/);
	assert.ok(await page.locator('[data-card="allocs"] [data-estimated]').count() >= 1, 'the allocations card has no estimates badge');
	await page.waitForFunction(() => Number(document.querySelector('[data-card="allocs"] .v').dataset.value) > 0, null, { timeout: TIMEOUT });
	await shot('recording-sampled-live');
	await page.click('#hdr-stop');
	await page.waitForFunction(() => /recording ended|cut short/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
	assert.equal(await page.locator('#hdr-stop').count(), 0, 'Stop still offered after the end');
	await page.click('#back');
	await ready('home');
	const row = recRow(second);
	await row.waitFor();
	assert.equal(await row.locator('[data-estimated]').count(), 1, 'the sampled recording is not marked estimated');
	assert.equal(await recRow(first).locator('[data-estimated]').count(), 0, 'the exact recording is marked estimated');
	assert.match(await row.locator('td[data-key="errors"]').innerText(), /n\/a/);
});

test('compare the two recordings: totals and sites by growth', async () => {
	await page.check(`#recordings-body tr[data-id="${first}"] input.pick`);
	await page.check(`#recordings-body tr[data-id="${second}"] input.pick`);
	assert.match(await page.locator('#compare-btn').innerText(), /Compare .* and /);
	await page.click('#compare-btn');
	await ready('compare');
	const u = new URL(page.url().replace('#/compare?', '?'));
	assert.equal(u.searchParams.get('a'), first);
	assert.equal(u.searchParams.get('b'), second);
	assert.equal(await page.locator('#compare-totals .card').count(), 4);
	const rows = page.locator('#compare-table tbody tr.row');
	assert.ok(await rows.count() >= 1, 'no site compared');
	// Growth first: the live-bytes deltas are in descending order.
	const d = (await page.locator('#compare-table tbody tr.row td[data-key="live_bytes"]').evaluateAll((tds) => tds.map((t) => Number(t.dataset.value))));
	for (let i = 1; i < d.length; i++) assert.ok(d[i - 1] >= d[i], `not sorted by growth: ${d}`);
	assert.ok(await page.locator('#compare-head [data-estimated]').count() === 1, 'a sampled side, yet no estimates badge');
	await rows.first().click();
	await page.waitForSelector('#compare-table tr.stackrow .stack li');
	await shot('compare');
	// Another metric: the order follows its deltas.
	await page.click('#compare-sites .seg button[data-value="allocs"]');
	await page.waitForURL(/sort=allocs/);
	const d2 = (await page.locator('#compare-table tbody tr.row td[data-key="allocs"]').evaluateAll((tds) => tds.map((t) => Number(t.dataset.value))));
	for (let i = 1; i < d2.length; i++) assert.ok(d2[i - 1] >= d2[i], `not sorted by allocations: ${d2}`);
});

test('compare two windows of one recording', async () => {
	await page.click('#back');
	await ready('home');
	for (const cb of await page.locator('#recordings-body input.pick:checked').all()) await cb.uncheck();
	await page.check(`#recordings-body tr[data-id="${first}"] input.pick`);
	assert.match(await page.locator('#compare-btn').innerText(), /halves/);
	await page.click('#compare-btn');
	await ready('compare');
	assert.match(page.url(), /a_to=/);
	assert.match(await page.locator('#compare-head').innerText(), /\+0 …/);
	assert.ok(await page.locator('#compare-table tbody tr.row').count() >= 1, 'no site in the windows');
	await shot('compare-windows');
});

test('compare with a bad window: the server\'s reason is said', async () => {
	// A page of its own: the 400 is the browser's one expected console error, counted there.
	const p2 = await browser.context.newPage();
	const errs = [];
	p2.on('console', (m) => { if (m.type() === 'error') errs.push(m.text()); });
	p2.on('pageerror', (e) => pageErrors.push(`bad window page: ${e}`));
	try {
		await p2.goto(new URL(`/#/compare?a=${first}&b=${first}&a_from=5&a_to=1&b_from=0&b_to=1`, origin).href, { waitUntil: 'load' });
		await p2.waitForSelector('main#view[data-ready="compare"]', { timeout: TIMEOUT });
		const msg = await p2.locator('#compare-error').innerText();
		assert.equal(msg, `Cannot compare these: recording ${first}: the window ends before it starts (to <= from)`);
		assert.ok(await p2.locator('#compare-sites').isHidden(), 'the sites table shows beside the error');
		assert.equal(await p2.locator('#compare-a-from').inputValue(), '5', 'the pick to fix is not kept');
		if (shots) await p2.screenshot({ path: join(shots, 'compare-bad-window.png'), fullPage: true });
		assert.equal(errs.length, 1, `console errors: ${JSON.stringify(errs)}`);
		assert.match(errs[0], /400/);
	} finally {
		await p2.close();
	}
});

test('home: the Rules panel lists every rule, recording or waiting', { skip: !rule && 'HS_RULE not set' }, async () => {
	await page.goto(new URL('/#/', origin).href, { waitUntil: 'load' });
	await ready('home');
	const row = page.locator(`#rules-table tr[data-rule="${rule}"]`);
	await row.waitFor();
	const cell = (r, k) => r.locator(`td[data-key="${k}"]`).innerText();
	assert.equal(await cell(row, 'match'), `comm ${rule}`);
	assert.equal(await cell(row, 'window'), '2.00 s');
	assert.equal(await cell(row, 'sampling'), 'exact · dwarf');
	assert.equal(await row.locator('[data-estimated]').count(), 0, 'an exact rule marked estimated');
	assert.equal(await cell(row, 'keep'), 'all');
	if (rulePid) {
		// Its process is being recorded (between two windows for a second or so: poll).
		await page.waitForFunction(([r, p]) => document.querySelector(`#rules-table tr[data-rule="${r}"] td[data-key="now"]`).dataset.pids.split(',').includes(p), [rule, rulePid]);
		const live = row.locator('td[data-key="now"] a.badge.live');
		await live.first().waitFor();
		assert.match(await live.first().getAttribute('href'), /^#\/r\/[^/]+\/overview$/);
	}
	assert.equal(await row.locator('a[data-action="trend"]').getAttribute('href'), `#/trend?rule=${rule}`);
	if (idleRule) {
		const idle = page.locator(`#rules-table tr[data-rule="${idleRule}"]`);
		assert.equal(await cell(idle, 'match'), 'comm hs-no-such');
		assert.equal(await cell(idle, 'window'), '10.0 min');
		assert.match(await cell(idle, 'sampling'), /^sampled, 1 per 64\.0 KiB · dwarf\s*estimated$/i);
		assert.equal(await idle.locator('[data-estimated]').count(), 1, 'a sampled rule not marked estimated');
		assert.equal(await cell(idle, 'keep'), 'the last 3, at most 1.00 GiB');
		assert.equal(await cell(idle, 'now'), 'no process matches now');
		assert.equal(await cell(idle, 'windows'), 'none yet');
	}
	await shot('home-rules');
});

test('a rule waiting for its first window, and no such rule', { skip: !idleRule && 'HS_IDLE_RULE not set' }, async () => {
	await page.click(`#rules-table tr[data-rule="${idleRule}"] a[data-action="trend"]`);
	await ready('trend');
	assert.match(await page.locator('#trend-chart').innerText(), new RegExp(`^Rule ${idleRule} is waiting for its first window: no running process matches it yet`));
	assert.match(await page.locator('#trend-rule-info').innerText(), /^Records comm hs-no-such in windows of 10\.0 min, sampled, 1 per 64\.0 KiB, dwarf stacks\.$/);
	assert.equal(await page.locator('#trend-panel [data-estimated]').count(), 0, 'no window, yet an estimates badge');
	await shot('trend-waiting');
	await page.goto(new URL('/#/trend?rule=nope', origin).href, { waitUntil: 'load' });
	await ready('trend');
	assert.match(await page.locator('#trend-missing').innerText(), /^There is no such rule: nope\. The daemon's rules: /);
	// The API says it too (asked here, outside the page: no console error).
	const r = await page.request.get(new URL('/api/trend?rule=nope', origin).href);
	assert.equal(r.status(), 404);
});

test('a rule\'s trend: live bytes across its windows', { skip: !rule && 'HS_RULE not set' }, async () => {
	await page.goto(new URL('/#/', origin).href, { waitUntil: 'load' });
	await ready('home');
	const link = page.locator(`#rules-table tr[data-rule="${rule}"] td.rule-name a`);
	await link.waitFor({ timeout: 30000 });
	await link.click();
	await ready('trend');
	// Windows finish one after another: wait for two (the view reloads every 10 s).
	await page.waitForFunction(() => /^([2-9]|\d\d+) windows/.test(document.getElementById('trend-windows').textContent), null, { timeout: 40000 });
	await page.waitForSelector('#trend-chart .uplot canvas');
	assert.ok(await page.locator('#trend-sites-table tbody tr').count() >= 1, 'no site in the trend');
	await shot('trend');
});

test('delete: confirmed, the recording is gone', async () => {
	await page.goto(new URL('/#/', origin).href, { waitUntil: 'load' });
	await ready('home');
	await recRow(second).locator('button[data-action="delete"]').click();
	await page.locator('#confirm-dialog').waitFor();
	await shot('delete-confirm');
	await page.click('#confirm-no');
	assert.equal(await recRow(second).count(), 1, 'Cancel deleted it');
	await recRow(second).locator('button[data-action="delete"]').click();
	await page.click('#confirm-yes');
	await page.waitForFunction((id) => !document.querySelector(`#recordings-body tr[data-id="${id}"]`), second);
	const r = await page.request.get(new URL(`/api/recordings/${encodeURIComponent(second)}/summary`, origin).href);
	assert.equal(r.status(), 404, 'the deleted recording still answers');
	// Its address now says so, without a request that fails (the list is asked first).
	await page.goto(new URL(`/#/r/${encodeURIComponent(second)}/overview`, origin).href, { waitUntil: 'load' });
	await page.waitForSelector('#fatal');
	assert.equal(await page.locator('#fatal').innerText(), `Cannot load the recording: There is no recording ${second}: it was deleted, or the address is wrong.`);
});

test('no console errors, no page errors, nothing from elsewhere', () => {
	// The one error the browser itself logs on purpose: the unreadable file's 409 (no script's).
	const expected = (e) => /status of 409/.test(e) && e.endsWith(`/api/recordings/${bad}/summary)`);
	assert.equal(consoleErrors.filter(expected).length, 1, 'the unreadable file was not asked for once');
	const other = consoleErrors.filter((e) => !expected(e));
	assert.deepEqual(other, [], `console errors: ${JSON.stringify(other)}`);
	assert.deepEqual(pageErrors, [], `page errors: ${JSON.stringify(pageErrors)}`);
	assert.deepEqual(foreign, [], `requests to other origins: ${JSON.stringify(foreign)}`);
});

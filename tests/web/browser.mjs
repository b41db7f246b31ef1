// Debian's Chromium for the browser tests: headless, with nothing that reaches the network, in
// a fresh profile that close() removes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const executablePath = process.env.HS_CHROMIUM || '/usr/bin/chromium';

// launch({width, height}) -> {context, page, close}
export async function launch(viewport) {
	assert.ok(existsSync(executablePath), `no Chromium at ${executablePath} (make deps installs it)`);
	const profile = mkdtempSync(join(tmpdir(), 'hs-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath,
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		viewport,
	});
	const page = context.pages()[0] || (await context.newPage());
	return {
		context,
		page,
		async close() {
			await context.close();
			rmSync(profile, { recursive: true, force: true });
		},
	};
}

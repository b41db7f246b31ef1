// web/format.js in plain node: human units (KiB, µs), frame names and locations, unknowns.
//
// usage: node --test tests/web/format.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as f from '../../web/format.js';

test('bytes in binary units', () => {
	assert.equal(f.fmtBytes(0), '0 B');
	assert.equal(f.fmtBytes(1023), '1023 B');
	assert.equal(f.fmtBytes(1024), '1.00 KiB');
	assert.equal(f.fmtBytes(1536), '1.50 KiB');
	assert.equal(f.fmtBytes(300 * 11), '3.22 KiB');
	assert.equal(f.fmtBytes(5 * 1024 ** 3), '5.00 GiB');
	assert.equal(f.fmtBytes(null), '–');
	assert.equal(f.fmtBytesTick(8 * 1024 ** 2), '8 MiB');
	assert.equal(f.fmtBytesTick(1536), '1.5 KiB');
});

test('durations from ns', () => {
	assert.equal(f.fmtDur(999), '999 ns');
	assert.equal(f.fmtDur(1500), '1.50 µs');
	assert.equal(f.fmtDur(40e6), '40.0 ms');
	assert.equal(f.fmtDur(412496998), '412 ms');
	assert.equal(f.fmtDur(12.4e9), '12.4 s');
	assert.equal(f.fmtDur(150e9), '2.50 min');
	assert.equal(f.fmtDur(undefined), '–');
	assert.equal(f.fmtOffset(0), '0');
	assert.equal(f.fmtOffset(2.5e9), '2.5s');
	assert.equal(f.fmtOffset(250e6), '250ms');
	assert.equal(f.fmtOffset(150e9), '2m30s');
});

test('counts, shares, rates', () => {
	assert.equal(f.fmtCount(1903690), '1,903,690');
	assert.equal(f.fmtShort(150000), '150k');
	assert.equal(f.fmtShort(3.2e6), '3.20M');
	assert.equal(f.fmtRate(1500), '1.5k/s');
	assert.equal(f.fmtPct(0.93), '93.0%');
	assert.equal(f.fmtPct(1), '100%');
	assert.equal(f.plural(1, 'block'), '1 block');
	assert.equal(f.plural(2, 'block'), '2 blocks');
});

test('frames: name, location, unknowns', () => {
	const fr = { function: 'leak_c', file: '/src/leaks3.c', line: 35, module: '/bin/leaks3', addr: 4096 };
	assert.equal(f.frameName(fr), 'leak_c');
	assert.equal(f.frameLoc(fr), '/src/leaks3.c:35');
	assert.equal(f.shortLoc(fr), 'leaks3.c:35');
	const bare = { function: null, file: null, line: null, module: '/usr/lib/libssl.so.3', addr: 0x7f11aa20c3d1 };
	assert.equal(f.frameName(bare), 'libssl.so.3+0x7f11aa20c3d1');
	assert.equal(f.frameLoc(bare), '');
	assert.equal(f.shortLoc(bare), 'libssl.so.3');
	assert.equal(f.frameName(null), '[unknown]');
	assert.equal(f.siteName({ key: 'leaks3.c', frames: [fr] }), 'leaks3.c');
	assert.equal(f.siteName({ key: null, frames: [fr] }), 'leak_c');
	assert.equal(f.siteName({ key: null, frames: [] }), '[unknown]');
});

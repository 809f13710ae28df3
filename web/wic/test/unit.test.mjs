// Node unit tests of the WIC's pure helpers (run by ctest as wic_unit_test).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { flowRecoveryDelay } from '../src/backoff.js';
import { bearerError, firstAssociatedUri, retryAfterSeconds } from '../src/sip_headers.js';

test('RFC 5626 §4.5 back-off bounds', () => {
  const lo = () => 0;
  const hi = () => 0.999999;
  // The RFC's own example: base 30, three failures -> between 120 and 240 s.
  assert.equal(flowRecoveryDelay(3, { allFailed: true }, lo), 120);
  assert.ok(Math.abs(flowRecoveryDelay(3, { allFailed: true }, hi) - 240) < 0.001);
  // Some flows still up: base 90.
  assert.equal(flowRecoveryDelay(1, { allFailed: false }, lo), 90);
  // Capped at 1800 s, still randomised to 50-100 %.
  assert.equal(flowRecoveryDelay(20, { allFailed: true }, lo), 900);
  assert.ok(flowRecoveryDelay(200, { allFailed: true }, hi) <= 1800);
  // Configurable base for tests.
  assert.equal(flowRecoveryDelay(1, { allFailed: true, baseAllFailed: 1 }, lo), 1);
  for (let i = 0; i < 100; i++) {
    const d = flowRecoveryDelay(2, { allFailed: true });
    assert.ok(d >= 60 && d <= 120, `delay ${d}`);
  }
});

test('first P-Associated-URI is the IMPU', () => {
  assert.equal(firstAssociatedUri('<sip:+15550001@blk.example>, <tel:+15550001>'),
    'sip:+15550001@blk.example');
  assert.equal(firstAssociatedUri('"Alice" <sip:a@b>;x=1'), 'sip:a@b');
  assert.equal(firstAssociatedUri('sip:a@b, sip:c@d'), 'sip:a@b');
  assert.equal(firstAssociatedUri(undefined), null);
});

test('Bearer error and Retry-After parsing', () => {
  assert.equal(bearerError('Bearer realm="x", error="invalid_token"'), 'invalid_token');
  assert.equal(bearerError('Bearer realm="x"'), null);
  assert.equal(bearerError('Digest realm="x", error="invalid_token"'), null);
  assert.equal(retryAfterSeconds('30'), 30);
  assert.equal(retryAfterSeconds('30 ;duration=10'), 30);
  assert.equal(retryAfterSeconds(undefined), null);
});

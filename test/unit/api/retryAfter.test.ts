import * as assert from 'node:assert/strict';
import { retryAfterMs, retryAfterSeconds } from '../../../src/core/api/retryAfter';

describe('retry-after', () => {
  const NOW = Date.parse('2026-11-25T12:00:00Z');
  // Read as the SDK reads them (sheet §3.2): only a wait > 0 and <= 2^31-1 ms counts.
  const cases: [string, Record<string, string>, number | undefined][] = [
    ['whole seconds', { 'retry-after': '3' }, 3_000],
    ['fractional seconds', { 'retry-after': '2.2' }, 2_200],
    ['zero: no wait, the caller backs off', { 'retry-after': '0' }, undefined],
    ['negative: no wait', { 'retry-after': '-4' }, undefined],
    ['an HTTP date 10 s ahead', { 'retry-after': new Date(NOW + 10_000).toUTCString() }, 10_000],
    ['an HTTP date in the past: no wait', { 'retry-after': new Date(NOW - 60_000).toUTCString() }, undefined],
    ['garbage', { 'retry-after': 'soon-ish' }, undefined],
    ['milliseconds', { 'retry-after-ms': '1500' }, 1_500],
    ['milliseconds win over seconds', { 'retry-after-ms': '250', 'retry-after': '30' }, 250],
    ['zero milliseconds fall back to seconds', { 'retry-after-ms': '0', 'retry-after': '7' }, 7_000],
    ['unparsable milliseconds fall back to seconds', { 'retry-after-ms': 'x', 'retry-after': '7' }, 7_000],
    ['longer than a timer can hold', { 'retry-after': String(2 ** 31) }, undefined],
    ['no header', {}, undefined],
  ];
  for (const [name, headers, expected] of cases) {
    it(`${name} -> ${String(expected)} ms`, () => {
      assert.equal(retryAfterMs(new Headers(headers), NOW), expected);
      assert.equal(retryAfterMs(headers, NOW), expected, 'plain-object headers read the same');
    });
  }

  it('rounds seconds up, so a short wait is never "0 s"', () => {
    assert.equal(retryAfterSeconds(new Headers({ 'retry-after-ms': '200' }), NOW), 1);
    assert.equal(retryAfterSeconds(new Headers({ 'retry-after': '2.2' }), NOW), 3);
    assert.equal(retryAfterSeconds(new Headers({ 'retry-after': '0' }), NOW), undefined);
    assert.equal(retryAfterSeconds(undefined, NOW), undefined);
  });
});

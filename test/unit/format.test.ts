import * as assert from 'node:assert/strict';
import { formatCount, formatPercent, formatUsd } from '../../src/core/format';

describe('format', () => {
  const counts: [number, string][] = [
    [0, '0'],
    [999, '999'],
    [12_480, '12,480'],
    [1_234_567, '1,234,567'],
    [1_234.5, '1,234.5'],
    [100_000, '100,000'],
  ];
  for (const [count, text] of counts) it(`formatCount(${count}) is ${text}`, () => assert.equal(formatCount(count), text));

  const money: [number, string][] = [
    [0, '$0.00'],
    [0.037, '$0.037'],
    [0.00012, '$0.00012'],
    [0.0042, '$0.0042'],
    [12.48, '$12.48'],
    [1234.5, '$1,234.50'],
    [1_234_567.891, '$1,234,567.89'],
    [0.999, '$1.00'],
    [0.5, '$0.50'],
    [5, '$5.00'],
    [0.000001, '<$0.00001'],
    [-0.25, '-$0.25'],
  ];
  for (const [usd, text] of money) it(`formatUsd(${usd}) is ${text}`, () => assert.equal(formatUsd(usd), text));

  const percents: [number, string][] = [
    [1.248, '1.2%'],
    [0.04, '<0.1%'],
    [0, '0.0%'],
    [104.2, '104.2%'],
  ];
  for (const [percent, text] of percents) it(`formatPercent(${percent}) is ${text}`, () => assert.equal(formatPercent(percent), text));
});

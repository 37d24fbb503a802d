// The monthly spend limit arrives as a 429, like a rate limit, but no wait lifts it: the error
// view must say so instead of "wait a moment". The error is the SDK's own, from the simulator.
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { describeApiError } from '../../../src/core/api/apiErrors';
import { start, type Simulator } from '../../simulator/server';

describe('describeApiError: the spend-limit 429', () => {
  let sim: Simulator;
  before(async () => {
    sim = await start({ port: 0 });
  });
  after(async () => {
    await sim.close();
  });

  it('explains enforced_spend_limit_reached as the monthly spend limit, with no retry and no countdown', async () => {
    sim.enqueueFault({ fault: 'spend_limit', endpoint: 'messages' });
    const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sim.url, maxRetries: 0, logLevel: 'off' });
    const error = await client.messages.create({ model: 'claude-haiku-5-5', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] }).then(
      () => assert.fail('expected a 429'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof Anthropic.EnforcedSpendLimitReachedError);
    const view = describeApiError(error, { partial: false });
    assert.equal(view.title, 'Monthly spend limit reached');
    assert.match(view.message, /monthly spend limit of its API usage tier/);
    assert.match(view.message, /retrying will not help/);
    assert.match(view.message, /Anthropic Console/);
    assert.doesNotMatch(view.message, /wait a moment/i);
    assert.deepEqual(view.actions, [], 'no Retry button');
    assert.equal(view.retryAfterSeconds, undefined, 'no countdown');
    assert.match(view.requestId ?? '', /^req_/);
  });

  it('explains contract_spend_limit_reached too, from the error body alone', () => {
    const view = describeApiError({
      status: 429,
      error: { type: 'error', error: { type: 'rate_limit_error', message: 'Limit.', details: { error_code: 'contract_spend_limit_reached' } } },
    });
    assert.equal(view.title, 'Contract spend limit reached');
    assert.deepEqual(view.actions, []);
  });

  it('a plain 429 is still a rate limit to wait out', () => {
    const view = describeApiError({ status: 429, headers: { 'retry-after': '4' }, error: { type: 'error', error: { type: 'rate_limit_error', message: 'Slow down.' } } });
    assert.equal(view.title, 'Rate limited');
    assert.equal(view.retryAfterSeconds, 4);
  });
});

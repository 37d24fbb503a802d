// The beta client (client.beta.messages, sheet §14) against the simulator: the SDK sends `betas` as
// the anthropic-beta header (SDK 1.14 posts to the same paths, with no ?beta=true query), beta-only
// fields are accepted, and a compaction request answers with the beta-only compaction block and
// compaction_delta event.
import assert from 'node:assert/strict';
import type { BetaRawMessageStreamEvent } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { MODEL, useSimulator } from './simulatorFixture';

const TASK_BUDGETS = 'task-budgets-2026-03-13';
const COMPACT = 'compact-2026-01-12';

describe('simulator: the beta client', () => {
  const fx = useSimulator({ outputTokens: 20 });

  it('counts tokens through client.beta.messages.countTokens: the betas in anthropic-beta, the same count', async () => {
    const params = { model: MODEL, messages: [{ role: 'user' as const, content: 'How many tokens is this?' }] };
    const beta = await fx.client.beta.messages.countTokens({ ...params, betas: [TASK_BUDGETS], output_config: { task_budget: { type: 'tokens', total: 20_000 } } });
    const ga = await fx.client.messages.countTokens(params);
    assert.equal(beta.input_tokens, ga.input_tokens);
    const [first] = fx.sim.requests;
    assert.equal(first?.endpoint, 'count_tokens');
    assert.equal(first?.path, '/v1/messages/count_tokens');
    assert.ok(first?.headers['anthropic-beta']?.split(',').includes(TASK_BUDGETS), first?.headers['anthropic-beta']);
    assert.deepEqual((first?.body as Record<string, unknown>)['betas'], undefined, 'betas travel as a header, not in the body');
  });

  it('streams through client.beta.messages.stream with the betas as a header', async () => {
    const stream = fx.client.beta.messages.stream({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }], betas: [TASK_BUDGETS] });
    const message = await stream.finalMessage();
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.content[0]?.type, 'text');
    const [request] = fx.sim.requests;
    assert.equal(request?.endpoint, 'messages');
    assert.equal(request?.path, '/v1/messages');
    assert.equal(request?.headers['anthropic-beta'], TASK_BUDGETS);
  });

  it('answers a compaction request with a compaction block whose content arrives in a compaction_delta', async () => {
    const params = { model: MODEL, max_tokens: 400, messages: [{ role: 'user' as const, content: 'A long conversation.' }], compaction: { type: 'summarize' as const }, betas: [COMPACT] };
    const events: BetaRawMessageStreamEvent[] = [];
    const stream = fx.client.beta.messages.stream(params);
    stream.on('streamEvent', (event) => events.push(event));
    const message = await stream.finalMessage();
    assert.equal(message.stop_reason, 'compaction');
    const block = message.content[0];
    assert.equal(message.content.length, 1, 'the compaction block comes alone');
    assert.ok(block?.type === 'compaction');
    assert.match(block.content ?? '', /^Summary of the conversation so far: \S/);
    assert.match(block.encrypted_content ?? '', /^Ec/);
    const delta = events.find((e) => e.type === 'content_block_delta');
    assert.equal(delta?.type === 'content_block_delta' ? delta.delta.type : undefined, 'compaction_delta');
    const created = await fx.client.beta.messages.create({ ...params, stream: false });
    assert.deepEqual(created.content, message.content, 'create and stream give the same block');
    assert.equal(created.usage.output_tokens, message.usage.output_tokens);
  });
});

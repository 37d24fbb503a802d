import assert from 'node:assert/strict';
import { NotFoundError } from '@anthropic-ai/sdk';
import { FAST_MODE_BETA, KNOWN_MODELS } from '../../../src/core/models/modelCatalogue';
import { useSimulator } from './simulatorFixture';

describe('simulator: models', () => {
  const fx = useSimulator();

  it('lists the extension catalogue, paged, with limits and capabilities', async () => {
    const ids: string[] = [];
    for await (const model of fx.client.models.list({ limit: 5 })) {
      ids.push(model.id);
      const known = KNOWN_MODELS.find((m) => m.id === model.id);
      assert.ok(known, model.id);
      assert.equal(model.type, 'model');
      assert.equal(model.display_name, known.displayName);
      assert.equal(model.max_input_tokens, known.contextWindow);
      assert.equal(model.max_tokens, known.maxOutputTokens);
      assert.ok(!Number.isNaN(Date.parse(model.created_at)));
      assert.equal(typeof model.capabilities?.thinking.supported, 'boolean');
      assert.equal(typeof model.capabilities?.structured_outputs.supported, 'boolean');
    }
    assert.deepEqual(ids, KNOWN_MODELS.map((m) => m.id));
    const first = await fx.client.models.list({ limit: 5 });
    assert.equal(first.data.length, 5);
    assert.equal(first.has_more, true);
    assert.equal(first.last_id, KNOWN_MODELS[4]?.id);
    assert.equal(fx.sim.requestCount('models.list'), Math.ceil(KNOWN_MODELS.length / 5) + 1);
  });

  it('filters by lifecycle', async () => {
    const deprecated = await fx.client.models.list({ lifecycle: ['deprecated'] });
    assert.deepEqual(deprecated.data.map((m) => m.id), KNOWN_MODELS.filter((m) => m.deprecated).map((m) => m.id));
  });

  it('retrieves a model by id or dated alias, and 404s an unknown one', async () => {
    const sonnet = await fx.client.models.retrieve('claude-sonnet-5-5');
    assert.equal(sonnet.id, 'claude-sonnet-5-5');
    assert.equal(sonnet.max_input_tokens, 1_000_000);
    const alias = await fx.client.models.retrieve('claude-haiku-4-5-20251001');
    assert.equal(alias.id, 'claude-haiku-4-5');
    await assert.rejects(fx.client.models.retrieve('claude-unknown-9'), (e: unknown) => e instanceof NotFoundError && e.type === 'not_found_error');
  });

  it('serves fast mode exactly where the catalogue has it, behind the beta a model needs', async () => {
    const ask = (model: string, betas: string[]) =>
      fx.client.beta.messages.create({ model, max_tokens: 16, speed: 'fast', betas, messages: [{ role: 'user', content: 'Hi' }] }).then(
        (message) => message.usage.speed === 'fast',
        () => false,
      );
    // Deprecated models are left out only because the SDK prints a deprecation notice for each.
    for (const model of KNOWN_MODELS.filter((m) => !m.deprecated)) {
      assert.equal(await ask(model.id, [FAST_MODE_BETA]), model.fastMode !== undefined, model.id);
      if (model.fastMode?.beta) assert.equal(await ask(model.id, []), false, `${model.id} without ${model.fastMode.beta}`);
    }
  });
});

import * as assert from 'node:assert/strict';
import { FAST_MODE_BETA, KNOWN_MODELS, findModel, tokenizerOf } from '../../../src/core/models/modelCatalogue';
import { BUNDLED_PRICES, findPrice } from '../../../src/core/pricing/priceTable';
import { parsePromptFile, type PromptDiagnostic } from '../../../src/core/prompt/promptFile';

/** The diagnostics of a prompt that asks `model` for fast mode, with the given betas. */
function fastModeDiagnostics(model: string, betas: string[] = []): PromptDiagnostic[] {
  const text = JSON.stringify({ betas, request: { model, max_tokens: 100, speed: 'fast', messages: [{ role: 'user', content: 'Hi' }] } });
  return parsePromptFile(text).diagnostics;
}

/** The catalogue models a message names, by display name without "Claude " ("Opus 5" must not match inside "Opus 5.5"). */
function modelsNamedIn(message: string): string[] {
  return KNOWN_MODELS.filter((model) => {
    const short = model.displayName.replace(/^Claude /, '').replace(/[.]/g, '\\.');
    return new RegExp(`\\b${short}(?!\\.?\\d)`).test(message);
  }).map((model) => model.id);
}

describe('model catalogue', () => {
  it('resolves every id and dated alias to its own entry, and nothing else', () => {
    for (const model of KNOWN_MODELS) {
      assert.equal(findModel(model.id), model);
      for (const alias of model.aliases ?? []) assert.equal(findModel(alias), model, alias);
    }
    assert.equal(findModel('claude-opus-5-7'), undefined);
    assert.equal(findModel('claude-sonnet-5-5-20261201'), undefined, 'a dated id the table does not list');
  });

  it('gives a price row for every priced model, with its aliases, date, source and fast-mode multiplier', () => {
    const priced = KNOWN_MODELS.filter((model) => model.price !== undefined);
    assert.deepEqual(BUNDLED_PRICES.map((entry) => entry.model), priced.map((model) => model.id));
    for (const model of priced) {
      for (const id of [model.id, ...(model.aliases ?? [])]) {
        const entry = findPrice(BUNDLED_PRICES, id);
        assert.equal(entry?.model, model.id, id);
        assert.equal(entry?.input, model.price?.input);
        assert.equal(entry?.source, model.price?.source);
        assert.equal(entry?.fastMultiplier, model.fastMode?.multiplier);
      }
    }
    assert.equal(findPrice(BUNDLED_PRICES, 'claude-opus-5')?.fastMultiplier, 2);
    assert.equal(findPrice(BUNDLED_PRICES, 'claude-opus-4-8')?.fastMultiplier, undefined, 'third-party "about 2x" is not a price');
  });

  it('picks the tokenizer from the table, then by family for ids it does not list', () => {
    const cases: [string, 'claude-4.6' | 'claude-4.7'][] = [
      ['claude-sonnet-4-6', 'claude-4.6'],
      ['claude-opus-4-7', 'claude-4.7'],
      ['claude-haiku-5-5', 'claude-4.7'],
      ['claude-haiku-4-5-20251001', 'claude-4.6'],
      ['claude-sonnet-4-5-20991231', 'claude-4.6'],
      ['claude-3-5-sonnet-20241022', 'claude-4.6'],
      ['claude-opus-4-1', 'claude-4.6'],
      ['claude-sonnet-4-20250514', 'claude-4.6'],
      ['claude-new-model', 'claude-4.7'],
    ];
    for (const [id, expected] of cases) assert.equal(tokenizerOf(id), expected, id);
  });

  describe('fast mode', () => {
    it('the check accepts fast mode on exactly the models the catalogue gives it', () => {
      for (const model of KNOWN_MODELS) {
        const betas = model.fastMode?.beta ? [model.fastMode.beta] : [];
        const refused = fastModeDiagnostics(model.id, betas).some((d) => d.code === 'invalid-value');
        assert.equal(refused, model.fastMode === undefined, model.id);
      }
    });

    it('the warning on a model without fast mode names exactly the models the check accepts', () => {
      const accepted = KNOWN_MODELS.filter((model) => !fastModeDiagnostics(model.id, [FAST_MODE_BETA]).some((d) => d.code === 'invalid-value')).map((m) => m.id);
      const warning = fastModeDiagnostics('claude-sonnet-5-5').find((d) => d.code === 'invalid-value');
      assert.ok(warning, 'Sonnet 5.5 has no fast mode');
      assert.match(warning.message, /^Claude Sonnet 5\.5 has no fast mode/);
      assert.deepEqual(modelsNamedIn(warning.message.replace(/^Claude Sonnet 5\.5 has no fast mode/, '')), accepted);
    });

    it('asks for the fast-mode beta on the models that need it, and only there', () => {
      const needsBeta = fastModeDiagnostics('claude-opus-5').find((d) => d.code === 'beta-required');
      assert.match(needsBeta?.message ?? '', new RegExp(`needs the beta "${FAST_MODE_BETA}": the workbench adds it`));
      assert.equal(needsBeta?.severity, 'info');
      assert.equal(fastModeDiagnostics('claude-opus-5', [FAST_MODE_BETA]).length, 0);
      assert.equal(fastModeDiagnostics('claude-opus-5-5').length, 0, 'generally available on Opus 5.5');
    });
  });
  it('gives every model a minimum cacheable prefix from the sheet: a range, marked unverified, where the sources conflict or are silent', () => {
    for (const model of KNOWN_MODELS) {
      const minimum = model.cacheMinimum;
      assert.ok(minimum.tokens >= 512 && minimum.tokens <= 4096, `${model.id}: ${minimum.tokens}`);
      if (minimum.lowest !== undefined) {
        assert.ok(minimum.lowest < minimum.tokens, `${model.id}: the lowest figure is below the assumed one`);
        assert.equal(minimum.unverified, true, `${model.id}: conflicting sources are unverified`);
      }
    }
    assert.deepEqual(findModel('claude-haiku-4-5')?.cacheMinimum.tokens, 4096);
    assert.deepEqual(findModel('claude-sonnet-4-5')?.cacheMinimum, { tokens: 1024, source: '[DOCS skill 2026-07] and [3P] agree: 1,024 tokens' });
    assert.equal(findModel('claude-sonnet-5-5')?.cacheMinimum.unverified, true, 'the 5.5 generation is not published');
  });
});

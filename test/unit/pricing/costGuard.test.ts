import assert from 'node:assert/strict';
import { decideSpend, type SpendCheck } from '../../../src/core/pricing/costGuard';

const base: SpendCheck = {
  worstCaseUsd: 0.2,
  inputTokens: 12_345,
  maxTokens: 4_096,
  model: 'claude-sonnet-5-5',
  confirmAboveUsd: 0.5,
  maxRunCostUsd: 5,
};
const check = (overrides: Partial<SpendCheck>): SpendCheck => ({ ...base, ...overrides });

describe('decideSpend', () => {
  const kinds: [string, Partial<SpendCheck>, 'send' | 'confirm' | 'refuse'][] = [
    ['well under both limits', { worstCaseUsd: 0.2 }, 'send'],
    ['exactly at the confirm threshold (not above)', { worstCaseUsd: 0.5 }, 'send'],
    ['just above the confirm threshold', { worstCaseUsd: 0.5001 }, 'confirm'],
    ['exactly at the cap (not above)', { worstCaseUsd: 5 }, 'confirm'],
    ['just above the cap', { worstCaseUsd: 5.01 }, 'refuse'],
    ['free with both limits at 0', { worstCaseUsd: 0, confirmAboveUsd: 0, maxRunCostUsd: 0 }, 'send'],
    ['any cost with a cap of 0', { worstCaseUsd: 0.0001, confirmAboveUsd: 0, maxRunCostUsd: 0 }, 'refuse'],
    ['cap below the confirm threshold: the cap wins', { worstCaseUsd: 2, confirmAboveUsd: 10, maxRunCostUsd: 1 }, 'refuse'],
    ['unknown price', { worstCaseUsd: undefined }, 'confirm'],
    ['unknown price, even with a cap of 0', { worstCaseUsd: undefined, maxRunCostUsd: 0 }, 'confirm'],
  ];
  for (const [name, overrides, kind] of kinds) {
    it(`${name} -> ${kind}`, () => {
      assert.equal(decideSpend(check(overrides)).kind, kind);
    });
  }

  it('refusing names the worst case, what it is made of, the setting and its limit, and the ways out', () => {
    const decision = decideSpend(check({ worstCaseUsd: 7.5 }));
    assert.deepEqual(decision, {
      kind: 'refuse',
      message:
        'Not sent: the worst case, $7.50 (12,345 input tokens + up to 4,096 output tokens on claude-sonnet-5-5), is above promptWorkbench.maxRunCostUsd ($5.00). Lower max_tokens, shorten the prompt, choose a cheaper model, or raise the limit.',
    });
  });

  it('confirming states the worst case and asks', () => {
    assert.deepEqual(decideSpend(check({ worstCaseUsd: 1.234 })), {
      kind: 'confirm',
      message: 'This run may cost up to $1.23 (12,345 input tokens + up to 4,096 output tokens on claude-sonnet-5-5). Send it?',
    });
  });

  it('an unknown price names the model and the priceOverrides setting', () => {
    const decision = decideSpend(check({ worstCaseUsd: undefined, model: 'claude-new-9' }));
    assert.equal(decision.kind, 'confirm');
    assert.ok(decision.kind === 'confirm');
    assert.equal(
      decision.message,
      'The cost of 12,345 input tokens + up to 4,096 output tokens on claude-new-9 is unknown: claude-new-9 is not in the price table. Add its prices in promptWorkbench.priceOverrides to have the spend cap guard it. Send anyway?',
    );
  });

  it('shows sub-cent amounts with four decimals so they do not read as $0.00', () => {
    const decision = decideSpend(check({ worstCaseUsd: 0.0042, confirmAboveUsd: 0.001, maxRunCostUsd: 0.002 }));
    assert.ok(decision.kind === 'refuse');
    assert.match(decision.message, /the worst case, \$0\.0042 /);
    assert.match(decision.message, /maxRunCostUsd \(\$0\.0020\)/);
  });

  it('groups large token counts with commas', () => {
    const decision = decideSpend(check({ worstCaseUsd: 1, inputTokens: 1_234_567, maxTokens: 128_000 }));
    assert.ok(decision.kind === 'confirm');
    assert.match(decision.message, /1,234,567 input tokens \+ up to 128,000 output tokens/);
  });
});

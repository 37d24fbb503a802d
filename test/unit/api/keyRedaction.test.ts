import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { describeApiError } from '../../../src/core/api/apiErrors';
import { KeyRedactor, redactKeys, redactKeysDeep, REDACTED } from '../../../src/core/api/keyRedaction';
import { redactSecrets } from '../../../src/core/run/runHistory';
import { start, type Simulator } from '../../simulator/server';

// Keys with a character a header cannot hold: the stray newline of a copy from a terminal, a NUL.
const keysWithBadCharacters = ['sk-ant-' + 'api03-AbCdEf0123456789\nZyXwVu987654', 'sk-ant-' + 'api03-AbCdEf0123\u0000456789xyzXYZ', '  gateway-token-ABCDEFGH\r\nIJKLMNOPQR  '];

function fragmentsOf(key: string): string[] {
  return key.split(/[\s\p{Cc}]+/u).filter((fragment) => fragment.length >= 6);
}

describe('key redaction', () => {
  let sim: Simulator;
  before(async () => {
    sim = await start({ port: 0 });
  });
  after(() => sim.close());

  for (const key of keysWithBadCharacters) {
    it(`removes ${JSON.stringify(key)} from the error the SDK really throws, and from the view built from it`, async () => {
      const client = new Anthropic({ apiKey: key, baseURL: sim.url, maxRetries: 0 });
      const error = await client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] }).then(
        () => assert.fail('a key with a control character cannot be sent'),
        (thrown: unknown) => thrown,
      );
      const raw = `${(error as Error).message} ${(error as Error).stack ?? ''}`;
      // The premise: undici repeats the header value, so the key (or a fragment of it) is in the text.
      assert.ok(fragmentsOf(key).some((fragment) => raw.includes(fragment)), `the raw error holds the key: ${raw.slice(0, 200)}`);

      const redactor = new KeyRedactor([key]);
      const view = redactor.redactDeep(describeApiError(error));
      const shown = [redactor.errorText(error), redactor.redact(raw), view.title, view.message].join('\n');
      for (const fragment of fragmentsOf(key)) assert.ok(!shown.includes(fragment), `"${fragment}" is gone from: ${shown.slice(0, 300)}`);
      assert.ok(shown.includes(REDACTED));
    });
  }

  it('removes key-shaped strings and credential values it was not told about', () => {
    assert.equal(redactKeys('failed with sk-ant-api03-abc_DEF-123 here'), `failed with ${REDACTED} here`);
    assert.equal(redactKeys('sent authorization: Bearer abc.def-123'), `sent authorization: Bearer ${REDACTED}`);
    assert.equal(redactKeys('header x-api-key: whatever-123 rejected'), `header x-api-key: ${REDACTED} rejected`);
    assert.equal(redactKeys('Headers.append: "anything \\n at all" is an invalid header value.'), `Headers.append: "${REDACTED}" is an invalid header value.`);
  });

  it('removes a known key that has no key shape, whole and JSON-escaped', () => {
    const key = 'my-gateway-secret\nsecond-line';
    assert.equal(redactKeys(`a ${key} b`, [key]), `a ${REDACTED} b`);
    assert.equal(redactKeys(`json ${JSON.stringify(key)}`, [key]), `json "${REDACTED}"`);
    assert.doesNotMatch(redactKeys('only second-line leaked', [key]), /second-line/);
  });

  it('leaves ordinary text alone, including the sk-ant- prefix on its own and short keys', () => {
    const text = 'Keys start with sk-ant-… and the model is claude-opus-5. Basic usage.';
    assert.equal(redactKeys(text, ['short']), text);
  });

  it('redacts inside objects, keys of objects included', () => {
    const key = 'sk-ant-' + 'api03-deepdeepdeep';
    assert.deepEqual(redactKeysDeep({ a: [`x ${key}`], [key]: 1, n: 2 }, [key]), { a: [`x ${REDACTED}`], [REDACTED]: 1, n: 2 });
  });

  it('history redaction finds a known key with a newline (it searched the JSON text, where the newline is escaped)', () => {
    const key = 'abcdefgh\nijklmnop';
    assert.deepEqual(redactSecrets({ note: `key ${key}` }, [key]), { note: `key ${REDACTED}` });
    // and keeps a prompt's own words about key formats
    assert.deepEqual(redactSecrets({ note: 'sk-ant-example' }, [key]), { note: 'sk-ant-example' });
  });
});

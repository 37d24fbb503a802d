import assert from 'node:assert/strict';
import { chunkedVariable, chunkMarker, reduceOf } from '../../../src/core/chunking/chunkDeclaration';
import { parsePromptFile, type PromptDiagnostic } from '../../../src/core/prompt/promptFile';
import { fileOptionsFor } from '../prompt/promptTestSupport';

function promptWith(variables: Record<string, unknown>): string {
  return JSON.stringify(
    {
      variables,
      request: { model: 'claude-haiku-5-5', max_tokens: 100, messages: [{ role: 'user', content: `Read: ${Object.keys(variables).map((v) => `{{${v}}}`).join(' ')}` }] },
    },
    null,
    2,
  );
}

function problems(text: string, options = {}): Pick<PromptDiagnostic, 'severity' | 'code' | 'message'>[] {
  return parsePromptFile(text, options).diagnostics.map(({ severity, code, message }) => ({ severity, code, message }));
}

describe('The chunking declaration in a .prompt.json', () => {
  it('reads the chunked variable, its file and its reduce step (concatenate by default)', () => {
    const prompt = parsePromptFile(promptWith({ doc: { file: './data/long-contract.md', chunk: { targetTokens: 4000, overlapTokens: 100, boundary: 'sentence' } }, other: 'x' })).prompt!;
    const chunked = chunkedVariable(prompt);
    assert.deepEqual(chunked, { name: 'doc', file: './data/long-contract.md', declaration: { targetTokens: 4000, overlapTokens: 100, boundary: 'sentence' } });
    assert.deepEqual(reduceOf(chunked.declaration), { type: 'concatenate' });
    assert.equal(chunkedVariable(parsePromptFile(promptWith({ doc: { file: './a.md' } })).prompt!), undefined);
  });

  it('fills the marker line with the chunk number and count', () => {
    assert.equal(chunkMarker(undefined, 0, 12), '--- chunk 1 of 12 ---');
    assert.equal(chunkMarker('## Part {{index}}/{{ count }}', 4, 5), '## Part 5/5');
  });

  it('reports a second chunked variable, an overlap above half the target and an unknown boundary', () => {
    const found = problems(
      promptWith({
        a: { default: 'x', chunk: { targetTokens: 100, overlapTokens: 60 } },
        b: { default: 'y', chunk: { boundary: 'word' } },
      }),
    );
    assert.ok(found.some((p) => p.severity === 'error' && /Only one variable of a prompt can be chunked/.test(p.message)), JSON.stringify(found));
    assert.ok(found.some((p) => p.severity === 'error' && /at most half the chunk target \(100 tokens\)/.test(p.message)));
    assert.ok(found.some((p) => p.code === 'invalid-value' && /"boundary" must be one of "paragraph", "sentence", "line"/.test(p.message)));
  });

  it('refuses a target below one token', () => {
    const found = problems(promptWith({ a: { default: 'x', chunk: { targetTokens: 0 } } }));
    assert.ok(found.some((p) => p.severity === 'error' && /"targetTokens" must be a whole number of tokens \(1 or more\)/.test(p.message)));
  });

  it('keeps a reduce prompt inside the workspace: absolute and escaping paths are errors, a missing file too', () => {
    const options = fileOptionsFor('examples');
    const absolute = problems(promptWith({ a: { default: 'x', chunk: { reduce: { type: 'prompt', path: '/etc/reduce.prompt.json' } } } }), options);
    assert.ok(absolute.some((p) => p.code === 'absolute-path'), JSON.stringify(absolute));
    const escaping = problems(promptWith({ a: { default: 'x', chunk: { reduce: { type: 'prompt', path: '../package.json' } } } }), options);
    assert.ok(escaping.some((p) => p.code === 'outside-workspace'), JSON.stringify(escaping));
    const missing = problems(promptWith({ a: { default: 'x', chunk: { reduce: { type: 'prompt', path: './no-such.prompt.json' } } } }), options);
    assert.ok(missing.some((p) => p.code === 'file-not-found'));
    const withoutResults = problems(promptWith({ a: { default: 'x', chunk: { reduce: { type: 'prompt', path: './summarize.prompt.json' } } } }), options);
    assert.ok(withoutResults.some((p) => p.severity === 'warning' && /no \{\{results\}\}/.test(p.message)), JSON.stringify(withoutResults));
  });

  it('warns when an inline reduce request has no {{results}}, and accepts one that has', () => {
    const request = (content: string) => ({ model: 'claude-haiku-5-5', max_tokens: 100, messages: [{ role: 'user', content }] });
    const without = problems(promptWith({ a: { default: 'x', chunk: { reduce: { type: 'request', request: request('Merge.') } } } }));
    assert.ok(without.some((p) => p.severity === 'warning' && /no \{\{results\}\}/.test(p.message)));
    assert.deepEqual(problems(promptWith({ a: { default: 'x', chunk: { reduce: { type: 'request', request: request('Merge: {{results}}') } } } })), []);
    const missingType = problems(promptWith({ a: { default: 'x', chunk: { reduce: { path: './x.prompt.json' } } } }));
    assert.ok(missingType.some((p) => p.code === 'missing-field'));
  });

  it('does not read a chunked file while typing (it may exceed the named-file size cap), but checks its path', () => {
    let asked = 0;
    const options = { namedFile: () => (asked++, { kind: 'problem' as const, code: 'file-too-large' as const, message: 'too large' }) };
    assert.deepEqual(problems(promptWith({ doc: { file: './big.md', chunk: {} } }), options), []);
    assert.equal(asked, 0);
    const absolute = problems(promptWith({ doc: { file: '/data/big.md', chunk: {} } }), options);
    assert.ok(absolute.some((p) => p.code === 'absolute-path'));
  });
});

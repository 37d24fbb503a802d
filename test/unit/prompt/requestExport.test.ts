import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as ts from 'typescript';
import { promptFromCurl } from '../../../src/core/prompt/curl';
import { toCurl, toTypeScriptSdk } from '../../../src/core/prompt/requestExport';
import { repoRoot } from './promptTestSupport';

const requests: [string, Record<string, unknown>][] = [
  ['a plain request', { model: 'claude-sonnet-5-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] }],
  [
    'quotes, backslashes, newlines and shell syntax in the text',
    {
      model: 'claude-sonnet-5-5',
      max_tokens: 50,
      system: "It's a 'test' with \"double\" quotes, a \\ backslash, $HOME, `uname`, $(rm -rf /) and '\\'' sequences",
      messages: [{ role: 'user', content: 'Line one\nLine two\r\n\ttabbed; echo done && exit | cat' }],
    },
  ],
  ['non-ASCII text', { model: 'claude-haiku-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'Café 😀 𝒳 日本語 \u2028' }] }],
  [
    'nested blocks, tools and unknown fields',
    {
      model: 'claude-opus-5-5',
      max_tokens: 2048,
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather?', cache_control: { type: 'ephemeral', ttl: '1h' } }] }],
      future_field: [null, true, 1.5],
    },
  ],
];

describe('toCurl', () => {
  for (const [name, request] of requests) {
    it(`round-trips ${name} through promptFromCurl`, () => {
      assert.deepEqual(promptFromCurl(toCurl(request)).request, request);
    });

    it(`quotes ${name} so that bash passes the exact body to curl`, () => {
      // A stand-in "curl" function prints its arguments NUL-separated: what bash would hand to curl.
      const script = `curl() { printf '%s\\0' "$@"; }\nANTHROPIC_API_KEY=test-key\n${toCurl(request)}`;
      const args = execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\0').slice(0, -1);
      assert.equal(args[0], 'https://api.anthropic.com/v1/messages');
      assert.deepEqual(JSON.parse(args[args.indexOf('--data') + 1] as string), request);
      assert.ok(args.includes('x-api-key: test-key'), 'the key comes from the environment variable');
    });
  }

  it('writes the key as $ANTHROPIC_API_KEY, never as a value, with the current API version', () => {
    const command = toCurl(requests[0]?.[1] as object);
    assert.match(command, /--header "x-api-key: \$ANTHROPIC_API_KEY"/);
    assert.match(command, /--header 'anthropic-version: 2026-10-21'/);
    assert.match(command, /--header "content-type: application\/json"/);
    assert.doesNotMatch(command, /anthropic-beta/);
  });

  it('uses the given base URL, API version and betas', () => {
    const command = toCurl(requests[0]?.[1] as object, { baseUrl: 'http://localhost:8787/', apiVersion: '2023-06-01', betas: ['task-budgets-2026-03-13', 'fast-mode-2026-02-01'] });
    assert.match(command, /^curl http:\/\/localhost:8787\/v1\/messages \\\n/);
    assert.match(command, /'anthropic-version: 2023-06-01'/);
    assert.match(command, /'anthropic-beta: task-budgets-2026-03-13,fast-mode-2026-02-01'/);
    assert.deepEqual(promptFromCurl(command).betas, ['task-budgets-2026-03-13', 'fast-mode-2026-02-01']);
  });
});

describe('toTypeScriptSdk', () => {
  const plain = requests[0]?.[1] as Record<string, unknown>;

  it('creates a client that reads ANTHROPIC_API_KEY and calls messages.create with the request', () => {
    const snippet = toTypeScriptSdk(plain);
    assert.match(snippet, /^import Anthropic from '@anthropic-ai\/sdk';\n/);
    assert.match(snippet, /const client = new Anthropic\(\); \/\/ reads ANTHROPIC_API_KEY/);
    assert.match(snippet, /await client\.messages\.create\(\{\n {4}model: "claude-sonnet-5-5",/);
    assert.doesNotMatch(snippet, /stream/);
  });

  it('streams when the request asks to, and when max_tokens is too high for a non-streaming SDK call', () => {
    assert.match(toTypeScriptSdk({ ...plain, stream: true }), /client\.messages\.stream\(/);
    assert.doesNotMatch(toTypeScriptSdk({ ...plain, stream: true }), /stream: true/);
    assert.match(toTypeScriptSdk({ ...plain, max_tokens: 64000 }), /client\.messages\.stream\(/);
    assert.match(toTypeScriptSdk({ ...plain, max_tokens: 21333 }), /client\.messages\.create\(/);
  });

  it('calls client.beta.messages with betas when the prompt has betas', () => {
    assert.match(toTypeScriptSdk(plain, { betas: ['task-budgets-2026-03-13'] }), /client\.beta\.messages\.create\(\{\n {4}betas: \[\n {6}"task-budgets-2026-03-13"\n {4}\],/);
  });

  it('warns in the snippet about temperature, which SDK 1.x and the current API version reject', () => {
    assert.match(toTypeScriptSdk({ ...plain, temperature: 0.2 }), /\/\/ temperature: SDK 1\.x has no such field and API version 2026-10-21 rejects it/);
  });

  it('casts only when a field is unknown to the SDK types, and names the field', () => {
    assert.doesNotMatch(toTypeScriptSdk(plain), / as Anthropic\./);
    const snippet = toTypeScriptSdk({ ...plain, future_field: 1 });
    assert.match(snippet, /\/\/ "future_field": not in the SDK's types; the cast below sends it as written\./);
    assert.match(snippet, /\} as Anthropic\.MessageCreateParamsNonStreaming\);/);
    assert.doesNotMatch(toTypeScriptSdk({ ...plain, context_management: { edits: [] } }, { betas: ['context-management-2025-06-27'] }), / as Anthropic\./);
  });

  it('type-checks against the installed @anthropic-ai/sdk (create, stream, beta, casts and a quote-heavy body)', function () {
    this.timeout(120_000);
    const snippets = {
      'removed.ts': toTypeScriptSdk({ ...plain, temperature: 0.2, top_k: 5 }),
      'stream-cast.ts': toTypeScriptSdk({ ...plain, stream: true, future_field: [1] }),
      'beta-fields.ts': toTypeScriptSdk({ ...plain, context_management: { edits: [] } }, { betas: ['context-management-2025-06-27'] }),
      'create.ts': toTypeScriptSdk(requests[3]?.[1] as object),
      'quotes.ts': toTypeScriptSdk(requests[1]?.[1] as object),
      'stream.ts': toTypeScriptSdk({ ...plain, stream: true }),
      'beta.ts': toTypeScriptSdk({ ...plain, output_config: { task_budget: { type: 'tokens', total: 50000 } } }, { betas: ['task-budgets-2026-03-13'] }),
    };
    const dir = join(repoRoot, 'snippet-typecheck');
    const files = new Map(Object.entries(snippets).map(([name, text]) => [join(dir, name), text]));
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(repoRoot, 'node_modules', '@types')],
    };
    const host = ts.createCompilerHost(options);
    const readSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, ...rest) => {
      const text = files.get(fileName);
      return text !== undefined ? ts.createSourceFile(fileName, text, languageVersion) : readSourceFile(fileName, languageVersion, ...rest);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (fileName) => files.has(fileName) || fileExists(fileName);
    const program = ts.createProgram([...files.keys()], options, host);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    assert.deepEqual(problems, []);
  });
});

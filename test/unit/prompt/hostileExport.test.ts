// Copy as TypeScript and Copy as curl with a prompt written by someone else (issue 11): keys and
// values that try to become code stay data, the program compiles, and what it sends is exactly the
// prompt's request, betas included.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ts from 'typescript';
import { promptFromCurl } from '../../../src/core/prompt/curl';
import { toCurl, toTypeScriptSdk } from '../../../src/core/prompt/requestExport';
import { start, type Simulator } from '../../simulator/server';
import { repoRoot } from './promptTestSupport';

const run = promisify(execFile);
/** A file each hostile string tries to create; it must never exist. */
const mark = join(tmpdir(), `pw-export-pwned-${process.pid}`);
const code = `require('fs').writeFileSync(${JSON.stringify(mark)}, 'pwned')`;
const hostile = [
  `it's`,
  `$(touch ${mark})`,
  `\`touch ${mark}\``,
  `line\n${code};//`,
  `sep\u2028${code};//`,
  `para\u2029${code};//`,
  `cr\r${code};//`,
  `*/ ${code}; /*`,
  `'; touch ${mark}; echo '`,
  `\\'"\\"`,
];

function hostileRequest(): Record<string, unknown> {
  const request: Record<string, unknown> = {
    model: 'claude-sonnet-5-5',
    max_tokens: 64,
    system: hostile.join(' | '),
    metadata: { user_id: hostile[1] },
    messages: hostile.map((text, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: [{ type: 'text', text }] })).concat([{ role: 'user', content: [{ type: 'text', text: 'end' }] }]),
    tools: [{ name: 'lookup', description: hostile[3], input_schema: { type: 'object', properties: Object.fromEntries(hostile.map((h, i) => [`${h}${i}`, { type: 'string', description: h }])) } }],
  };
  // Top-level keys unknown to the SDK's types: the old export named them raw in a // comment.
  for (const [i, key] of hostile.entries()) request[`${key}${i}`] = hostile[(i + 1) % hostile.length];
  return request;
}

const betas = ['task-budgets-2026-03-13', 'fast-mode-2026-02-01'];

/** Compiles snippets with the project's TypeScript (strict, against the installed SDK) into `dir`; returns the diagnostics. */
function compile(snippets: Record<string, string>, dir: string): string[] {
  const files = new Map(Object.entries(snippets).map(([name, text]) => [join(dir, name), text]));
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(repoRoot, 'node_modules', '@types')],
    outDir: dir,
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
  const emitted = program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('exports of a hostile prompt', function () {
  this.timeout(120_000);
  let sim: Simulator;
  // Inside the repository, so the compiled programs resolve @anthropic-ai/sdk from its node_modules.
  const dir = join(repoRoot, 'out', `hostile-export-${process.pid}`);
  before(async () => {
    sim = await start({ port: 0 });
    mkdirSync(dir, { recursive: true });
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(mark, { force: true });
  });
  afterEach(() => {
    assert.ok(!existsSync(mark), 'no hostile string ran as code');
  });

  it('Copy as TypeScript keeps every prompt string as data: no line terminator outside a string literal', () => {
    const snippet = toTypeScriptSdk(hostileRequest(), { betas });
    assert.doesNotMatch(snippet, /[\u2028\u2029\r]/, 'U+2028, U+2029 and CR are escaped');
    // Every statement of the program is the exporter's own: parse it and look at the top level,
    // and nowhere is there a call to require (the hostile strings' payload).
    const source = ts.createSourceFile('x.ts', snippet, ts.ScriptTarget.ES2022, true);
    const calls: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) calls.push(node.expression.getText(source));
      ts.forEachChild(node, visit);
    };
    visit(source);
    assert.ok(!calls.includes('require'), `calls: ${calls.join(', ')}`);
    const kinds = source.statements.map((s) =>
      ts.isImportDeclaration(s) ? 'import' : ts.isVariableStatement(s) ? 'const' : ts.isFunctionDeclaration(s) ? 'function' : ts.isExpressionStatement(s) ? 'expression' : ts.SyntaxKind[s.kind],
    );
    assert.deepEqual(kinds, ['import', 'const', 'function', 'expression']);
  });

  const variants: [string, Record<string, unknown>, readonly string[]][] = [
    ['create', hostileRequest(), []],
    ['stream', { ...hostileRequest(), stream: true }, []],
    ['beta create', hostileRequest(), betas],
    ['beta stream', { ...hostileRequest(), max_tokens: 30_000 }, betas],
  ];

  it('Copy as TypeScript compiles with tsc, and each program sends exactly the prompt request to the simulator', async () => {
    const snippets = Object.fromEntries(variants.map(([name, request, b]) => [`${name.replace(' ', '-')}.ts`, toTypeScriptSdk(request, { betas: b })]));
    assert.deepEqual(compile(snippets, dir), []);
    for (const [name, request, b] of variants) {
      sim.reset();
      const file = join(dir, `${name.replace(' ', '-')}.js`);
      // The simulator refuses the unknown top-level fields with a 400; what it received is what counts.
      await run(process.execPath, [file], { env: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-export-test', ANTHROPIC_BASE_URL: sim.url }, cwd: dir }).catch(() => undefined);
      const sent = sim.requests.filter((r) => r.endpoint === 'messages');
      assert.equal(sent.length, 1, `${name}: one request`);
      const streamed = request.stream === true || Number(request.max_tokens) > 21_333;
      const { stream: _stream, ...withoutStream } = request;
      assert.deepEqual(sent[0]?.body, streamed ? { ...withoutStream, stream: true } : withoutStream, `${name}: the exact body`);
      assert.equal(sent[0]?.headers['anthropic-beta'], b.length > 0 ? b.join(',') : undefined, `${name}: the prompt's betas`);
    }
  });

  it('Copy as curl keeps hostile strings quoted: bash hands curl the exact body and the betas header', async () => {
    const request = hostileRequest();
    const command = toCurl(request, { betas });
    const script = `curl() { printf '%s\\0' "$@"; }\nANTHROPIC_API_KEY=test-key\n${command}`;
    const { stdout } = await run('bash', ['-c', script], { encoding: 'utf8' });
    const args = stdout.split('\0').slice(0, -1);
    assert.deepEqual(JSON.parse(args[args.indexOf('--data') + 1] as string), request);
    assert.ok(args.includes(`anthropic-beta: ${betas.join(',')}`));
  });

  it('Copy as curl, run by bash with the real curl, sends the exact request and betas to the simulator', async () => {
    sim.reset();
    const request = hostileRequest();
    await run('bash', ['-c', toCurl(request, { baseUrl: sim.url, betas })], { env: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-export-test' } });
    const sent = sim.requests.find((r) => r.endpoint === 'messages');
    assert.deepEqual(sent?.body, request);
    assert.equal(sent?.headers['anthropic-beta'], betas.join(','));
  });

  it('Copy as curl round-trips through New Prompt from curl to the identical request and betas', () => {
    const request = hostileRequest();
    const prompt = promptFromCurl(toCurl(request, { betas }));
    assert.deepEqual(prompt.request, request);
    assert.deepEqual(prompt.betas, betas);
  });

  it('refuses a beta name that would split or inject a header', () => {
    for (const bad of ['a,b', 'a b', 'x\nEvil: 1', "it's"]) assert.throws(() => toCurl({ model: 'm' }, { betas: [bad] }), /not a valid anthropic-beta value/);
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientFor } from '../simulator/simulatorFixture';
import { start, type Simulator } from '../../simulator/server';
import { UploadRegistry, uploadScope } from '../../../src/core/files/uploadRegistry';
import { requestNamesWorkspaceFiles, uploadMediaType, withFileIds, withJobUploads, workspaceFileRefs } from '../../../src/core/files/workspaceFileRefs';
import { formatBytes, knownFileIds, prepareWorkspaceFiles, sha256Of, WorkspaceFileError, type UploadDeps } from '../../../src/core/files/workspaceUploads';

const doc = (path: string) => ({ type: 'document', source: { type: 'workspace_file', path } });
const img = (path: string) => ({ type: 'image', source: { type: 'workspace_file', path } });
const requestWith = (...blocks: object[]) => ({ model: 'claude-sonnet-5-5', max_tokens: 50, messages: [{ role: 'user', content: [...blocks, { type: 'text', text: 'Summarise.' }] }] });

describe('workspace file references', () => {
  it('finds workspace files in messages and tool results, and replaces them with file ids without touching the input', () => {
    const request = {
      messages: [
        { role: 'user', content: [doc('a.pdf'), { type: 'text', text: 'hi' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'x', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [img('img/b.png')] }] },
      ],
    };
    assert.deepEqual(workspaceFileRefs(request), [
      { path: 'a.pdf', blockType: 'document' },
      { path: 'img/b.png', blockType: 'image' },
    ]);
    assert.equal(requestNamesWorkspaceFiles(request), true);
    assert.equal(requestNamesWorkspaceFiles({ messages: [{ role: 'user', content: 'workspace_file' }] }), false);
    const replaced = withFileIds(request, new Map([['a.pdf', 'file_1']]));
    assert.deepEqual(replaced.missing, ['img/b.png']);
    const messages = replaced.request['messages'] as { content: { source?: unknown; content?: { source: unknown }[] }[] }[];
    assert.deepEqual(messages[0]?.content[0]?.source, { type: 'file', file_id: 'file_1' });
    assert.deepEqual(messages[2]?.content[0]?.content?.[0]?.source, { type: 'workspace_file', path: 'img/b.png' });
    assert.deepEqual(request.messages[0]?.content[0], doc('a.pdf'), 'the input is unchanged');
  });

  it("a job's prompt gets its files' ids from one upload call for the whole job; a prompt without workspace files is left alone", async () => {
    const calls: unknown[] = [];
    const upload = async (request: Record<string, unknown>) => {
      calls.push(request);
      return withFileIds(request, new Map([['a.pdf', 'file_a']]));
    };
    const prompt = { name: 'p', variables: { q: 'x' }, request: requestWith(doc('a.pdf')) };
    const sendable = await withJobUploads(prompt, upload);
    assert.equal(calls.length, 1);
    assert.deepEqual((sendable.request.messages[0]?.content[0] as { source: unknown }).source, { type: 'file', file_id: 'file_a' });
    assert.deepEqual(sendable.variables, prompt.variables, 'the rest of the prompt is kept');
    assert.deepEqual(prompt.request.messages[0]?.content[0], doc('a.pdf'), 'the prompt as written is unchanged');
    const plain = { name: 'plain', request: requestWith() };
    assert.equal(await withJobUploads(plain, upload), plain);
    assert.equal(calls.length, 1, 'no upload call for a prompt without workspace files');
  });

  it('takes the media type from the extension, per block', () => {
    assert.equal(uploadMediaType('x/Report.PDF', 'document'), 'application/pdf');
    assert.equal(uploadMediaType('notes.md', 'document'), 'text/plain');
    assert.equal(uploadMediaType('chart.jpg', 'image'), 'image/jpeg');
    assert.equal(uploadMediaType('chart.png', 'document'), undefined);
    assert.equal(uploadMediaType('script.sh', 'document'), undefined);
  });
});

describe('workspace file uploads against the simulator', () => {
  let sim: Simulator;
  let base: string;
  let workspace: string;
  let registryFile: string;
  const scope = uploadScope('fingerprint1', 'http://sim');

  before(async () => {
    sim = await start();
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.reset();
    base = mkdtempSync(join(tmpdir(), 'pw-uploads-'));
    workspace = join(base, 'ws');
    mkdirSync(join(workspace, 'docs'), { recursive: true });
    writeFileSync(join(workspace, 'docs', 'handbook.pdf'), '%PDF-1.7 handbook');
    writeFileSync(join(workspace, 'docs', 'copy.pdf'), '%PDF-1.7 handbook');
    registryFile = join(base, 'storage', 'files', 'uploads.json');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const deps = (overrides: Partial<UploadDeps> = {}): UploadDeps => ({
    client: clientFor(sim),
    registry: new UploadRegistry(registryFile),
    scope,
    files: { root: workspace, promptDir: workspace },
    ...overrides,
  });

  it('uploads once, reuses the id on the next run and after a restart (a new registry over the same file), and sends the file id', async () => {
    const first = await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps());
    assert.equal(first.uploaded.length, 1);
    const fileId = first.uploaded[0]?.fileId ?? '';
    const sent = (first.request['messages'] as { content: { source: unknown }[] }[])[0]?.content[0]?.source;
    assert.deepEqual(sent, { type: 'file', file_id: fileId });
    // The simulator can count and answer it: the id is real.
    const counted = await clientFor(sim).messages.countTokens(first.request as never);
    assert.ok(counted.input_tokens > 0);

    const again = await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps());
    const restarted = await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps({ registry: new UploadRegistry(registryFile) }));
    assert.deepEqual([again.uploaded.length, again.reused[0]?.fileId], [0, fileId]);
    assert.deepEqual([restarted.uploaded.length, restarted.reused[0]?.fileId], [0, fileId]);
    assert.equal(sim.requestCount('files.upload'), 1);
    const stored = JSON.parse(readFileSync(registryFile, 'utf8')) as { scopes: Record<string, Record<string, { fileId: string; path: string }>> };
    assert.equal(stored.scopes[scope]?.[sha256Of(Buffer.from('%PDF-1.7 handbook'))]?.fileId, fileId);
  });

  it('the same content under two paths is one upload; changed content is a new one', async () => {
    const both = await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf'), doc('docs/copy.pdf')), deps());
    assert.equal(sim.requestCount('files.upload'), 1);
    const ids = (both.request['messages'] as { content: { source: { file_id: string } }[] }[])[0]?.content.slice(0, 2).map((b) => b.source.file_id);
    assert.equal(ids?.[0], ids?.[1]);
    writeFileSync(join(workspace, 'docs', 'handbook.pdf'), '%PDF-1.7 handbook, second edition');
    const changed = await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps());
    assert.equal(changed.uploaded.length, 1);
    assert.notEqual(changed.uploaded[0]?.fileId, ids?.[0]);
  });

  it('another key or base URL does not see the upload', async () => {
    await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps());
    await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps({ scope: uploadScope('fingerprint2', 'http://sim') }));
    assert.equal(sim.requestCount('files.upload'), 2);
  });

  it('an upload that expired on the API is uploaded again, with a notice', async () => {
    const first = await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps());
    const fileId = first.uploaded[0]?.fileId ?? '';
    sim.expireFile(fileId);
    const next = await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps());
    assert.equal(next.uploaded.length, 1);
    assert.notEqual(next.uploaded[0]?.fileId, fileId);
    assert.match(next.notices[0] ?? '', /docs\/handbook\.pdf: the uploaded copy \(file_\w+\) expired or was deleted on the API, so it is uploaded again/);
    // A deleted one too.
    await clientFor(sim).files.delete(next.uploaded[0]?.fileId ?? '');
    const third = await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps());
    assert.equal(third.uploaded.length, 1);
    assert.equal(sim.requestCount('files.upload'), 3);
  });

  it('the size limit and the storage quota are errors before any upload', async () => {
    await assert.rejects(prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps({ maxUploadBytes: 10 })), (e: unknown) => e instanceof WorkspaceFileError && /17 bytes: the Files API takes at most 10 bytes per file/.test(e.message));
    await assert.rejects(
      prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps({ quotaBytes: 1000, storedBytes: async () => 990 })),
      (e: unknown) => e instanceof WorkspaceFileError && /past the 1000 bytes quota/.test(e.message),
    );
    assert.equal(sim.requestCount('files.upload'), 0);
    // The quota measured from files.list: what the key already stored counts.
    await clientFor(sim).files.upload({ file: new File(['x'.repeat(990)], 'big.txt') });
    await assert.rejects(prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps({ quotaBytes: 1000 })), /quota/);
    assert.equal(sim.requestCount('files.upload'), 1);
    // The API's own refusal is said in words too.
    sim.configure({ limits: { storageQuotaBytes: 995 } });
    await assert.rejects(prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps()), (e: unknown) => e instanceof WorkspaceFileError && /storage quota is full/.test(e.message));
    sim.configure({ limits: {} });
  });

  it('only files inside the workspace, of a type the block takes, are uploaded', async () => {
    writeFileSync(join(base, 'secret.pdf'), '%PDF secret');
    await assert.rejects(prepareWorkspaceFiles(requestWith(doc('../secret.pdf')), deps()), WorkspaceFileError);
    symlinkSync(join(base, 'secret.pdf'), join(workspace, 'docs', 'link.pdf'));
    await assert.rejects(prepareWorkspaceFiles(requestWith(doc('docs/link.pdf')), deps()), /outside this prompt's workspace folder/);
    await assert.rejects(prepareWorkspaceFiles(requestWith(doc('/etc/passwd.pdf')), deps()), WorkspaceFileError);
    await assert.rejects(prepareWorkspaceFiles(requestWith(img('docs/handbook.pdf')), deps()), /cannot go in an image block/);
    await assert.rejects(prepareWorkspaceFiles(requestWith(doc('docs/missing.pdf')), deps()), WorkspaceFileError);
    assert.equal(sim.requestCount('files.upload'), 0);
  });

  it('the live count uses known ids from memory and names the files not uploaded yet', async () => {
    const registry = new UploadRegistry(registryFile);
    const hash = sha256Of(Buffer.from('%PDF-1.7 handbook'));
    const before = knownFileIds(requestWith(doc('docs/handbook.pdf')), new Map([['docs/handbook.pdf', hash]]), registry, scope);
    assert.deepEqual(before.missing, ['docs/handbook.pdf']);
    const uploaded = await prepareWorkspaceFiles(requestWith(doc('docs/handbook.pdf')), deps({ registry }));
    const after = knownFileIds(requestWith(doc('docs/handbook.pdf')), new Map([['docs/handbook.pdf', hash]]), registry, scope);
    assert.deepEqual(after.missing, []);
    assert.match(JSON.stringify(after.request), new RegExp(uploaded.uploaded[0]?.fileId ?? 'none'));
  });

  it('formats sizes for messages', () => {
    assert.equal(formatBytes(17), '17 bytes');
    assert.equal(formatBytes(500 * 1024 * 1024), '500 MB');
    assert.equal(formatBytes(1536), '1.5 KB');
  });
});

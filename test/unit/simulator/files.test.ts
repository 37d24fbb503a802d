import assert from 'node:assert/strict';
import { BadRequestError, NotFoundError, toFile } from '@anthropic-ai/sdk';
import { FileNotDownloadableError } from '@anthropic-ai/sdk/resources/files';
import { MODEL, useSimulator } from './simulatorFixture';

describe('simulator: files', () => {
  const fx = useSimulator();

  it('uploads a file and downloads the same bytes', async () => {
    const bytes = Buffer.from('line one\nline two\n\u00e9t\u00e9 \u{1f600}\n', 'utf8');
    const meta = await fx.client.files.upload({ file: await toFile(bytes, 'notes.txt', { type: 'text/plain' }) });
    assert.match(meta.id, /^file_/);
    assert.equal(meta.type, 'file');
    assert.equal(meta.filename, 'notes.txt');
    assert.equal(meta.mime_type, 'text/plain');
    assert.equal(meta.size_bytes, bytes.length);
    assert.equal(meta.downloadable, true);
    assert.ok(!Number.isNaN(Date.parse(meta.created_at)));

    const response = await fx.client.files.download(meta.id);
    assert.equal(response.status, 200);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
    const upload = fx.sim.requests.find((r) => r.endpoint === 'files.upload');
    assert.deepEqual((upload?.body as { files: unknown[] }).files, [{ name: 'file', filename: 'notes.txt', contentType: 'text/plain', size: bytes.length }]);
  });

  it('uploads binary content intact and keeps only the last path component of the name', async () => {
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) % 256));
    const meta = await fx.client.files.upload({ file: await toFile(bytes, 'dir/sub/blob.bin', { type: 'application/octet-stream' }), expires_in_seconds: 3600 });
    assert.equal(meta.filename, 'blob.bin');
    assert.equal(meta.size_bytes, 3000);
    assert.equal(Date.parse(meta.expires_at ?? '') - Date.parse(meta.created_at), 3600_000);
    const response = await fx.client.files.download(meta.id);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
  });

  it('retrieves metadata, lists newest first in cursor pages, and deletes', async () => {
    const ids: string[] = [];
    for (const name of ['a.txt', 'b.txt', 'c.txt']) ids.push((await fx.client.files.upload({ file: await toFile(Buffer.from(name), name) })).id);
    const meta = await fx.client.files.retrieveMetadata(ids[1] ?? '');
    assert.equal(meta.filename, 'b.txt');
    assert.equal(meta.mime_type, 'text/plain');

    const page = await fx.client.files.list({ limit: 2 });
    assert.deepEqual(page.data.map((f) => f.id), [ids[2], ids[1]]);
    assert.ok(page.next_page);
    const all: string[] = [];
    for await (const file of fx.client.files.list({ limit: 2 })) all.push(file.id);
    assert.deepEqual(all, [...ids].reverse());
    const picked = await fx.client.files.list({ ids: [ids[0] ?? ''] });
    assert.deepEqual(picked.data.map((f) => f.id), [ids[0]]);

    const deleted = await fx.client.files.delete(ids[0] ?? '');
    assert.deepEqual({ ...deleted }, { id: ids[0], type: 'file_deleted' });
    await assert.rejects(fx.client.files.retrieveMetadata(ids[0] ?? ''), NotFoundError);
  });

  it('refuses to download a file that is not downloadable', async () => {
    const meta = fx.sim.addFile({ filename: 'upload.pdf', content: '%PDF-1.7', downloadable: false });
    await assert.rejects(fx.client.files.download(meta.id), (e: unknown) => e instanceof FileNotDownloadableError && e instanceof BadRequestError && e.errorCode === 'file_not_downloadable');
    const toolOutput = fx.sim.addFile({ filename: 'chart.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47]), downloadable: true });
    assert.equal(toolOutput.mime_type, 'image/png');
    assert.equal((await fx.client.files.download(toolOutput.id)).status, 200);
  });

  it('lets messages reference an uploaded file and counts its content', async () => {
    const text = 'A document about rivers. '.repeat(40);
    const meta = await fx.client.files.upload({ file: await toFile(Buffer.from(text), 'rivers.txt', { type: 'text/plain' }) });
    const withFile = await fx.client.messages.countTokens({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: meta.id } }, { type: 'text', text: 'Summarise.' }] }],
    });
    const inline = await fx.client.messages.countTokens({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: text } }, { type: 'text', text: 'Summarise.' }] }],
    });
    assert.equal(withFile.input_tokens, inline.input_tokens);
    await assert.rejects(
      fx.client.messages.create({
        model: MODEL,
        max_tokens: 10,
        messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: 'file_missing' } }] }],
      }),
      BadRequestError,
    );
  });

  it('rejects an upload without a file part', async () => {
    const response = await fetch(`${fx.sim.url}/v1/files`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-x', 'anthropic-version': '2026-10-21' },
      body: (() => {
        const form = new FormData();
        form.append('purpose', 'nothing');
        return form;
      })(),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { type: string } };
    assert.equal(body.error.type, 'invalid_request_error');
  });
});

import assert from 'node:assert/strict';
import { BadRequestError, toFile } from '@anthropic-ai/sdk';
import { FileExpiredError, StorageQuotaExceededError } from '@anthropic-ai/sdk/resources/files';
import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { ManualClock, MODEL, clientFor, useSimulator } from './simulatorFixture';
import { start } from '../../simulator/server';

type Block = Record<string, unknown> & { type: string };
const blocks = (message: Message): Block[] => message.content as unknown as Block[];

describe('simulator: server tools', () => {
  const fx = useSimulator();
  const ask = (tools: object[], extra: object = {}) =>
    ({ model: MODEL, max_tokens: 2000, messages: [{ role: 'user' as const, content: 'Compute the table and look up https://example.org/page please' }], tools, ...extra }) as never;

  it('runs code execution in a container: text editor and bash calls, their results, a downloadable produced file', async () => {
    const message = await fx.client.messages.stream(ask([{ type: 'code_execution_20260120', name: 'code_execution' }])).finalMessage();
    const types = blocks(message).map((b) => b.type);
    assert.deepEqual(types, ['server_tool_use', 'text_editor_code_execution_tool_result', 'server_tool_use', 'bash_code_execution_tool_result', 'text']);
    const [edit, , bash, bashResult] = blocks(message);
    assert.equal(edit?.name, 'text_editor_code_execution');
    assert.equal((edit?.input as { command: string }).command, 'create');
    assert.equal(bash?.name, 'bash_code_execution');
    assert.deepEqual(bash?.input, { command: 'python3 /tmp/script.py' });
    assert.equal(bashResult?.tool_use_id, bash?.id);
    const result = bashResult?.content as { type: string; stdout: string; stderr: string; return_code: number; content: { type: string; file_id: string }[] };
    assert.equal(result.type, 'bash_code_execution_result');
    assert.equal(result.stdout, 'wrote 3 rows\n');
    assert.equal(result.return_code, 0);
    const fileId = result.content[0]?.file_id ?? '';
    assert.equal(result.content[0]?.type, 'bash_code_execution_output');
    const downloaded = await (await fx.client.files.download(fileId)).text();
    assert.match(downloaded, /^n,value\n1,\d+\n2,\d+\n3,\d+\n$/);
    assert.equal((await fx.client.files.retrieveMetadata(fileId)).filename, 'output.csv');

    assert.ok(message.container, 'the message names its container');
    assert.match(message.container.id, /^container_/);
    assert.ok(Date.parse(message.container.expires_at) > Date.now());
    assert.deepEqual(message.usage.server_tool_use, { web_search_requests: 0, web_fetch_requests: 0 });
    // The calls' input counts as output: more than the text alone.
    const created = await fx.client.messages.create(ask([{ type: 'code_execution_20260120', name: 'code_execution' }]));
    assert.deepEqual(created.usage.output_tokens, message.usage.output_tokens);
    assert.notEqual(created.container?.id, message.container.id, 'a request without container gets a new one');
  });

  it('reuses the container a request names, and refuses an unknown one before billing', async () => {
    const first = await fx.client.messages.create(ask([{ type: 'code_execution_20260120', name: 'code_execution' }]));
    const again = await fx.client.messages.create(ask([{ type: 'code_execution_20260120', name: 'code_execution' }], { container: first.container?.id }));
    assert.equal(again.container?.id, first.container?.id);
    await assert.rejects(fx.client.messages.create(ask([{ type: 'code_execution_20260120', name: 'code_execution' }], { container: 'container_nope' })), BadRequestError);
  });

  it('the oldest version runs Python as code_execution with stdout, stderr and return code', async () => {
    const message = await fx.client.messages.create(ask([{ type: 'code_execution_20250522', name: 'code_execution' }]));
    const [call, result] = blocks(message);
    assert.equal(call?.name, 'code_execution');
    assert.match(String((call?.input as { code: string }).code), /print\('wrote'/);
    const content = result?.content as { type: string; stdout: string; return_code: number };
    assert.equal(result?.type, 'code_execution_tool_result');
    assert.equal(content.type, 'code_execution_result');
    assert.equal(content.stdout, 'wrote 3 rows\n');
  });

  it('web search: results, citations on the text (streamed as citations_delta), and the search counted in usage', async () => {
    const stream = fx.client.messages.stream(ask([{ type: 'web_search_20260318', name: 'web_search' }]));
    const citations: unknown[] = [];
    stream.on('citation', (citation) => citations.push(citation));
    const message = await stream.finalMessage();
    const [call, result, text] = blocks(message);
    assert.equal(call?.name, 'web_search');
    assert.deepEqual(call?.input, { query: 'Compute the table and look up' });
    const hits = result?.content as { type: string; url: string; title: string; encrypted_content: string }[];
    assert.equal(hits.length, 3);
    assert.equal(hits[0]?.type, 'web_search_result');
    assert.match(hits[0]?.url ?? '', /^https:\/\/example\.com\/simulated\//);
    const cited = text?.citations as { type: string; url: string }[];
    assert.equal(cited.length, 2);
    assert.deepEqual(citations, cited);
    assert.equal(cited[0]?.type, 'web_search_result_location');
    assert.equal(cited[0]?.url, hits[0]?.url);
    assert.deepEqual(message.usage.server_tool_use, { web_search_requests: 1, web_fetch_requests: 0 });
    assert.equal(message.container, null);
  });

  it('web search with max_uses 0 answers with an error result and bills no search', async () => {
    const message = await fx.client.messages.create(ask([{ type: 'web_search_20260318', name: 'web_search', max_uses: 0 }]));
    assert.deepEqual(blocks(message)[1]?.content, { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' });
    assert.deepEqual(message.usage.server_tool_use, { web_search_requests: 0, web_fetch_requests: 0 });
  });

  it('web fetch fetches the URL the user gave and counts it', async () => {
    const message = await fx.client.messages.create(ask([{ type: 'web_fetch_20260318', name: 'web_fetch' }]));
    const [call, result] = blocks(message);
    assert.deepEqual(call?.input, { url: 'https://example.org/page' });
    const fetched = result?.content as { type: string; url: string; content: { type: string } };
    assert.equal(fetched.type, 'web_fetch_result');
    assert.equal(fetched.content.type, 'document');
    assert.deepEqual(message.usage.server_tool_use, { web_search_requests: 0, web_fetch_requests: 1 });
  });

  it('code that ran next to web search returns an encrypted result', async () => {
    const message = await fx.client.messages.create(ask([{ type: 'web_search_20260318', name: 'web_search' }, { type: 'code_execution_20260120', name: 'code_execution' }]));
    const result = blocks(message).find((b) => b.type === 'code_execution_tool_result');
    const content = result?.content as { type: string; encrypted_stdout: string; return_code: number };
    assert.equal(content.type, 'encrypted_code_execution_result');
    assert.match(content.encrypted_stdout, /^Ex/);
  });

  it('a request without server tools is unchanged: no server_tool_use usage, no container', async () => {
    const message = await fx.client.messages.create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    assert.deepEqual(blocks(message).map((b) => b.type), ['text']);
    assert.equal(message.usage.server_tool_use, null);
    assert.equal(message.container, null);
  });
});

describe('simulator: file expiry and storage quota', () => {
  it('a message naming an expired file fails with FileExpiredError (404 file_expired)', async () => {
    const clock = new ManualClock();
    const sim = await start({ now: clock.now });
    try {
      const client = clientFor(sim);
      const meta = await client.files.upload({ file: await toFile(Buffer.from('hello'), 'a.txt', { type: 'text/plain' }), expires_in_seconds: 3600 });
      const request = { model: MODEL, max_tokens: 50, messages: [{ role: 'user' as const, content: [{ type: 'document' as const, source: { type: 'file' as const, file_id: meta.id } }] }] };
      await client.messages.create(request);
      clock.advance(3600_000);
      await assert.rejects(client.messages.create(request), (e: unknown) => e instanceof FileExpiredError && e.errorCode === 'file_expired');
      await assert.rejects(client.messages.countTokens(request), FileExpiredError);
      // expireFile() does the same without a clock.
      const other = await client.files.upload({ file: await toFile(Buffer.from('x'), 'b.txt', { type: 'text/plain' }) });
      sim.expireFile(other.id);
      await assert.rejects(client.files.retrieveMetadata(other.id), FileExpiredError);
    } finally {
      await sim.close();
    }
  });

  it('an upload past the storage quota fails with StorageQuotaExceededError; deleting frees room', async () => {
    const sim = await start({ limits: { storageQuotaBytes: 10 } });
    try {
      const client = clientFor(sim);
      const first = await client.files.upload({ file: await toFile(Buffer.from('123456'), 'a.txt') });
      await assert.rejects(client.files.upload({ file: await toFile(Buffer.from('abcdef'), 'b.txt') }), (e: unknown) => e instanceof StorageQuotaExceededError && e.errorCode === 'storage_quota_exceeded');
      await client.files.delete(first.id);
      await client.files.upload({ file: await toFile(Buffer.from('abcdef'), 'b.txt') });
    } finally {
      await sim.close();
    }
  });
});

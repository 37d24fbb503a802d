import assert from 'node:assert/strict';
import { clientFor } from '../simulator/simulatorFixture';
import { start } from '../../simulator/server';
import { runMessage } from '../../../src/core/run/messageRunner';
import { containerOf, describeCitations, describeServerToolResult, MAX_OUTPUT_CHARS, producedFileIds, safeLinkUrl } from '../../../src/core/run/serverToolResults';
import type { BlockStart } from '../../../src/core/run/streamBlocks';
import { appendTurnsToText } from '../../../src/core/run/conversation';
import { worstCaseCost } from '../../../src/core/pricing/worstCase';
import { BUNDLED_PRICES, costFromUsage, findPrice, serverToolCostSuffix } from '../../../src/core/pricing/priceTable';
import { serverToolCallView } from '../../../src/panel/panelModel';
import { isPanelToHost } from '../../../src/panel/panelMessageGuard';

describe('server tool results for the panel', () => {
  it('only http(s) links without credentials survive', () => {
    assert.equal(safeLinkUrl('https://example.com/a b'), 'https://example.com/a%20b');
    assert.equal(safeLinkUrl('http://example.com'), 'http://example.com/');
    for (const bad of ['javascript:alert(1)', 'command:workbench.action.terminal.new', 'file:///etc/passwd', 'vscode://x', 'https://user:pw@example.com/', 'not a url', 42]) {
      assert.equal(safeLinkUrl(bad), undefined, String(bad));
    }
  });

  it('describes code execution: stdout, stderr, return code, produced files; long output is cut', () => {
    const view = describeServerToolResult({
      type: 'bash_code_execution_tool_result',
      tool_use_id: 'srv_1',
      content: { type: 'bash_code_execution_result', stdout: 'x'.repeat(MAX_OUTPUT_CHARS + 5), stderr: 'warn', return_code: 2, content: [{ type: 'bash_code_execution_output', file_id: 'file_9' }] },
    });
    assert.equal(view.stdout?.length, MAX_OUTPUT_CHARS);
    assert.equal(view.truncated, true);
    assert.deepEqual([view.stderr, view.returnCode, view.fileIds, view.toolUseId], ['warn', 2, ['file_9'], 'srv_1']);
    const encrypted = describeServerToolResult({ type: 'code_execution_tool_result', content: { type: 'encrypted_code_execution_result', encrypted_stdout: 'Ex…', stderr: '', return_code: 0, content: [] } });
    assert.equal(encrypted.encrypted, true);
    assert.equal(encrypted.stdout, undefined, 'the encrypted output is never shown as text');
    const failed = describeServerToolResult({ type: 'text_editor_code_execution_tool_result', content: { type: 'text_editor_code_execution_tool_result_error', error_code: 'file_not_found', error_message: 'no /tmp/x' } });
    assert.equal(failed.error, 'file_not_found: no /tmp/x');
  });

  it('describes search results and the fetched page as links, dropping unsafe ones', () => {
    const search = describeServerToolResult({
      type: 'web_search_tool_result',
      content: [
        { type: 'web_search_result', url: 'https://a.example/', title: '<b>A</b>', page_age: '1 day', encrypted_content: 'E' },
        { type: 'web_search_result', url: 'javascript:alert(1)', title: 'evil', encrypted_content: 'E' },
      ],
    });
    assert.deepEqual(search.links, [{ url: 'https://a.example/', title: '<b>A</b>', note: '1 day' }]);
    assert.equal(describeServerToolResult({ type: 'web_search_tool_result', content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } }).error, 'max_uses_exceeded');
    const fetched = describeServerToolResult({ type: 'web_fetch_tool_result', content: { type: 'web_fetch_result', url: 'https://b.example/p', content: { type: 'document', title: 'Page' } } });
    assert.deepEqual(fetched.links?.[0], { url: 'https://b.example/p', title: 'Page' });
    assert.deepEqual(describeCitations([{ type: 'web_search_result_location', url: 'data:text/html,x', title: 'T', cited_text: 'c' }]), [{ citedText: 'c', title: 'T' }]);
  });

  it('produced files and the container come only from the reply', () => {
    assert.deepEqual(producedFileIds([{ type: 'text', text: 'file_x' }, { type: 'code_execution_tool_result', content: { type: 'code_execution_result', stdout: '', stderr: '', return_code: 0, content: [{ type: 'code_execution_output', file_id: 'file_a' }] } }]), ['file_a']);
    assert.equal(containerOf({ container: { id: 'container_1', expires_at: 'x', skills: null } }), 'container_1');
    assert.equal(containerOf({ container: null }), undefined);
  });

  it('streams a code execution reply from the simulator into typed blocks with results and citations', async () => {
    const sim = await start();
    try {
      const starts: BlockStart[] = [];
      const texts = new Map<number, string>();
      const run = await runMessage(
        clientFor(sim),
        {
          model: 'claude-sonnet-5-5',
          max_tokens: 2000,
          messages: [{ role: 'user', content: 'Search and compute.' }],
          tools: [
            { type: 'web_search_20260318', name: 'web_search' },
            { type: 'code_execution_20260521', name: 'code_execution' },
          ],
        } as never,
        { blockStart: (start) => starts.push(start), append: (index, text) => texts.set(index, (texts.get(index) ?? '') + text) },
      );
      assert.equal(run.status, 'completed');
      const results = starts.filter((s) => s.kind === 'server_tool_result');
      assert.deepEqual(results.map((r) => r.name), ['web_search_tool_result', 'code_execution_tool_result']);
      // The panel describes each result from its text, the block's JSON.
      const views = results.map((r) => describeServerToolResult(JSON.parse(texts.get(r.index) ?? '')));
      assert.equal(views[0]?.links?.length, 3);
      assert.equal(views[1]?.encrypted, true);
      const calls = starts.filter((s) => s.kind === 'server_tool');
      assert.deepEqual(calls.map((c) => c.name), ['web_search', 'code_execution']);
      const cited = starts.filter((s) => s.kind === 'text' && s.citations);
      assert.equal(describeCitations(cited.at(-1)?.citations).length, 2);
      assert.ok(containerOf(run.message));
    } finally {
      await sim.close();
    }
  });

  it('Continue writes the container to reuse into the request, the rest as written', () => {
    const text = '{\n  "request": {\n    "model": "m",\n    "messages": [{ "role": "user", "content": "hi" }]\n  }\n}\n';
    const next = appendTurnsToText(text, [{ role: 'assistant', content: 'ok' }], { tabSize: 2, insertSpaces: true, eol: '\n' }, { container: 'container_1' });
    const parsed = JSON.parse(next) as { request: { container: string; messages: unknown[] } };
    assert.equal(parsed.request.container, 'container_1');
    assert.equal(parsed.request.messages.length, 2);
    assert.ok(next.includes('[{ "role": "user", "content": "hi" }'), 'the earlier message keeps its layout');
  });

  it('prices server tools: the guard names the code execution and web fetch prices, the actual cost says what it includes', () => {
    const price = findPrice(BUNDLED_PRICES, 'claude-sonnet-5-5');
    const worst = worstCaseCost({ request: { max_tokens: 100, tools: [{ type: 'code_execution_20260120', name: 'code_execution' }, { type: 'web_fetch_20260318', name: 'web_fetch' }] }, inputTokens: 1000, price });
    assert.equal(worst.known, false);
    assert.ok(worst.notes.some((n) => /\$0\.05 per container-hour after 1,550 free hours a month.*UNVERIFIED/.test(n)));
    assert.ok(worst.notes.some((n) => /web fetch: the price sheet gives no fee/.test(n)));
    const cost = costFromUsage(price, { input_tokens: 1_000_000, output_tokens: 0, server_tool_use: { web_search_requests: 2, web_fetch_requests: 0 } }, { ranCode: true });
    assert.ok(cost.known);
    assert.ok(Math.abs(cost.usd - 2.02) < 1e-12);
    const suffix = serverToolCostSuffix(cost.notes);
    assert.match(suffix, /includes 2 web searches at \$10 per 1,000 \(UNVERIFIED\)/);
    assert.match(suffix, /plus code execution container time, not reported by the API: \$0\.05 per container-hour/);
    assert.equal(serverToolCostSuffix([]), '');
  });

  it('the panel shows a server tool call as what it does and the code it runs', () => {
    assert.deepEqual(serverToolCallView('bash_code_execution', '{"command":"ls -la"}'), { label: 'bash', code: 'ls -la' });
    assert.deepEqual(serverToolCallView('text_editor_code_execution', '{"command":"create","path":"/tmp/a.py","file_text":"print(1)"}'), { label: 'create /tmp/a.py', code: 'print(1)' });
    assert.deepEqual(serverToolCallView('web_search', '{"query":"q"}'), { label: 'Search: q' });
    assert.equal(serverToolCallView('web_search', '{"query":'), undefined);
  });

  it('the panel may ask to open a link or download a file, with string fields only', () => {
    assert.equal(isPanelToHost({ type: 'openLink', url: 'https://x' }), true);
    assert.equal(isPanelToHost({ type: 'openLink', url: 1 }), false);
    assert.equal(isPanelToHost({ type: 'downloadFile', runId: 'r', fileId: 'file_1' }), true);
    assert.equal(isPanelToHost({ type: 'downloadFile', runId: 'r' }), false);
  });
});

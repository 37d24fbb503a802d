// Running a prompt in the real workbench, as a person would: the ▶ button in the editor title, the
// response streaming into the Prompt Workbench panel (a webview: nested iframes), Stop mid-stream,
// and model output that tries to run script. The extension talks to the local API simulator,
// started here in the mocha process, through the machine-scoped base URL and ANTHROPIC_API_KEY.
import * as assert from 'node:assert/strict';
import type { ConsoleMessage, Frame, Page } from 'playwright-core';
import { replyTextFor } from '../simulator/replyModel';
import type { RecordedRequest, Simulator } from '../simulator/server';
import { editorTitleAction, FAKE_API_KEY, frameWith, quickOpen, screenshot, sentApiKey, useWorkbenchSession, waitUntil } from './workbenchSession';

const API_KEY = FAKE_API_KEY;
const OUTPUT_TOKENS = 800;
const TOKENS_PER_SECOND = 80;

const STREAM_PROMPT = 'stream.prompt.json';
const streamPrompt = {
  name: 'Streaming story',
  description: 'A long reply, so the run can be watched and stopped.',
  expectedOutputTokens: OUTPUT_TOKENS,
  request: {
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    messages: [{ role: 'user', content: 'Tell a long story about a quiet river.' }],
  },
};

const HOSTILE_PROMPT = 'hostile.prompt.json';
const hostilePrompt = {
  name: 'Hostile output',
  request: {
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    messages: [{ role: 'user', content: 'Reply with some markup.' }],
  },
};

/** Model output that would run script if the panel trusted it. */
const HOSTILE_LINES = {
  script: '<script>window.__pwned=1</script>',
  img: '<img src=x onerror="window.__pwned=2">',
  link: '[click](javascript:window.__pwned=3)',
  bold: '<b onclick="window.__pwned=4">bold</b>',
  iframe: 'An inline <iframe src="javascript:parent.__pwned=5"></iframe> frame and <iframe srcdoc="<script>parent.__pwned=6</script>"></iframe> another.',
};
const HOSTILE_REPLY = ['# Hostile output', '', HOSTILE_LINES.script, '', `Some text ${HOSTILE_LINES.img} after an image.`, '', HOSTILE_LINES.link, '', `Raw HTML: ${HOSTILE_LINES.bold}`, '', HOSTILE_LINES.iframe, ''].join('\n');

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

function messagesRequests(sim: Simulator): RecordedRequest[] {
  return sim.requests.filter((r) => r.endpoint === 'messages');
}

/** The Prompt Workbench panel's content frame (the webview's inner iframe). */
function panelFrame(page: Page): Promise<Frame> {
  return frameWith(page, '[data-testid="run-output"]', 60_000);
}

async function runStatus(frame: Frame): Promise<string> {
  return (await frame.locator('[data-testid="run-status"]').innerText()).trim();
}

describe('run panel in the workbench (end-to-end)', function () {
  const simLog: string[] = [];
  const consoleMessages: { type: string; text: string; url: string }[] = [];
  const workbench = useWorkbenchSession({
    simulator: { outputTokens: OUTPUT_TOKENS, tokensPerSecond: TOKENS_PER_SECOND, log: (line) => simLog.push(line) },
    session: (sim) => ({
      env: { ANTHROPIC_API_KEY: API_KEY },
      machineSettings: { 'promptWorkbench.apiBaseUrl': sim.url },
      // No welcome page opening over the prompt, and no chat view: the panel gets the room beside the editor.
      userSettings: { 'workbench.startupEditor': 'none', 'workbench.secondarySideBar.defaultVisibility': 'hidden' },
      files: {
        [STREAM_PROMPT]: `${JSON.stringify(streamPrompt, null, 2)}\n`,
        [HOSTILE_PROMPT]: `${JSON.stringify(hostilePrompt, null, 2)}\n`,
      },
    }),
  });
  before(() => {
    // Console output of the page and of every frame in it, webviews included.
    workbench.session.page.on('console', (message: ConsoleMessage) => consoleMessages.push({ type: message.type(), text: message.text(), url: message.location().url }));
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`\n[simulator]\n${simLog.join('\n')}\n`);
  });

  it('runs from the editor title button, streams the text into the panel, and stops mid-stream', async () => {
    const page = workbench.session.page;
    await quickOpen(page, STREAM_PROMPT);
    const run = editorTitleAction(page, 'Run Prompt');
    await run.waitFor({ timeout: 30_000 });
    await run.click();

    const frame = await panelFrame(page);
    const output = frame.locator('[data-testid="run-output"]');
    await waitUntil('the run to start streaming', async () => (await runStatus(frame)) === 'running' && (await output.innerText()).trim().length > 0);

    // The text grows while the run is going, each sample extending the one before.
    const samples: string[] = [];
    await waitUntil(
      'the output to grow three times',
      async () => {
        const text = squash(await output.innerText());
        if (text !== samples.at(-1)) samples.push(text);
        return samples.length >= 4;
      },
      30_000,
      150,
    );
    for (let i = 1; i < samples.length; i++) {
      const [earlier, later] = [samples[i - 1]!, samples[i]!];
      assert.ok(later.length > earlier.length && later.startsWith(earlier), `streamed text only grows at the end:\n${earlier}\n→ ${later}`);
    }
    assert.equal(await runStatus(frame), 'running', 'still streaming when Stop is pressed');
    await screenshot(page, 'run-streaming');

    await frame.locator('[data-testid="stop-button"]').click();
    await waitUntil('the run to end as cancelled', async () => (await runStatus(frame)) === 'cancelled', 30_000);
    await frame.locator('[data-testid="stop-button"]').waitFor({ state: 'hidden' });
    await screenshot(page, 'run-stopped');

    // The extension really sent the run to the simulator, with the key from the environment.
    const sent = messagesRequests(workbench.sim);
    assert.equal(sent.length, 1, 'one /v1/messages request');
    const request = sent[0]!;
    assert.equal(sentApiKey(request.headers), API_KEY, 'with the key from ANTHROPIC_API_KEY');
    const body = request.body as Record<string, unknown>;
    assert.equal(body['stream'], true);
    assert.deepEqual(body['messages'], streamPrompt.request.messages);
    // Stop closed the HTTP stream before the reply was complete.
    await waitUntil('the simulator to see the stream abandoned', () => workbench.sim.inFlight === 0 && simLog.some((line) => /^POST \/v1\/messages \S+ \(aborted\)/.test(line)), 10_000);

    // The partial text is kept: non-empty, at least what was seen streaming, and a prefix of the full reply.
    const partial = squash(await output.innerText());
    const full = squash(replyTextFor(body, OUTPUT_TOKENS));
    assert.ok(partial.length > 0, 'the partial output is kept');
    assert.ok(partial.length >= samples.at(-1)!.length, 'nothing streamed before Stop was dropped');
    assert.ok(full.startsWith(partial), `the kept text is a prefix of the reply:\n${partial}`);
    assert.ok(partial.length < full.length, 'the run was stopped before the reply was complete');
    assert.match(await frame.locator('[data-testid="partial-note"]').innerText(), /partial output kept/);
  });

  it('shows hostile model output as text and runs none of it', async () => {
    const page = workbench.session.page;
    workbench.sim.reset();
    workbench.sim.configure({ replyText: () => HOSTILE_REPLY, tokensPerSecond: 0 });

    // Back to the prompt's editor group first, so the file opens there and not over the panel.
    await page.locator(`.tab[aria-label*="${STREAM_PROMPT}"]`).first().click();
    await quickOpen(page, HOSTILE_PROMPT, { clickWorkbench: false });
    const frame = await panelFrame(page);
    // Watch the panel's document for CSP violations from here on; the marker shows the listener survived.
    await frame.evaluate(`(() => {
      window.__e2eViolations = [];
      window.__e2eMarker = 'still the same document';
      document.addEventListener('securitypolicyviolation', (e) => window.__e2eViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
    })()`);
    const consoleBefore = consoleMessages.length;

    const run = editorTitleAction(page, 'Run Prompt');
    await run.waitFor({ timeout: 30_000 });
    await run.click();
    await waitUntil('the hostile run to complete', async () => (await runStatus(frame)) === 'completed', 60_000);
    const output = frame.locator('[data-testid="run-output"]');
    await output.locator('.markdown').first().waitFor();
    assert.equal(messagesRequests(workbench.sim).length, 1, 'the hostile run went to the simulator');
    assert.match(await frame.locator('.run-title').innerText(), /Hostile output/);
    await screenshot(page, 'run-hostile-output');

    // Shown as text, character for character.
    const shown = await output.innerText();
    for (const line of Object.values(HOSTILE_LINES)) assert.ok(squash(shown).includes(squash(line)), `shown as text: ${line}\n--- in ---\n${shown}`);

    // Nothing of it became markup in the output.
    const dangerous = await frame.evaluate(`(root => ({
      scripts: root.querySelectorAll('script').length,
      images: root.querySelectorAll('img').length,
      frames: root.querySelectorAll('iframe, frame, object, embed').length,
      bold: root.querySelectorAll('b').length,
      handlers: [...root.querySelectorAll('*')].flatMap(e => [...e.attributes].filter(a => /^on/i.test(a.name)).map(a => e.tagName + ' ' + a.name)),
      javascriptHrefs: [...root.querySelectorAll('[href], [src]')].map(e => e.getAttribute('href') || e.getAttribute('src')).filter(v => /^\\s*javascript:/i.test(v)),
      links: [...root.querySelectorAll('a')].map(a => a.getAttribute('href')),
    }))(document.querySelector('[data-testid="run-output"]'))`);
    assert.deepEqual(dangerous, { scripts: 0, images: 0, frames: 0, bold: 0, handlers: [], javascriptHrefs: [], links: [] });

    // In the whole panel document the scripts are VS Code's own (the acquireVsCodeApi shim it
    // prepends to every webview) and the panel's, loaded from dist/ with the page's nonce.
    const scripts = (await frame.evaluate(`[...document.scripts].map(s => ({ id: s.id, src: s.src, nonce: s.nonce, inHead: s.parentElement === document.head }))`)) as {
      id: string;
      src: string;
      nonce: string;
      inHead: boolean;
    }[];
    const ours = scripts.filter((script) => script.id !== '_vscodeApiScript');
    assert.equal(ours.length, 1, `one script of the panel's own: ${JSON.stringify(scripts)}`);
    assert.match(ours[0]!.src, /\/dist\/webview\.js$/);
    assert.match(ours[0]!.nonce, /^[0-9a-f]{64}$/);
    assert.ok(scripts.filter((script) => script.id === '_vscodeApiScript').every((script) => script.inHead && script.src === ''), 'VS Code\'s shim is the inline script in <head>');
    assert.equal(await frame.evaluate(`document.querySelectorAll('iframe, img[onerror], [onclick], a[href^="javascript:" i]').length`), 0);

    // Clicking the would-be link does nothing either.
    await frame.getByText(HOSTILE_LINES.link, { exact: true }).click();
    await frame.locator('[data-testid="run-status"]').click();

    // None of it ran: not in the panel, its outer frame, or the workbench.
    assert.equal(await frame.evaluate('typeof window.__pwned'), 'undefined');
    assert.equal(await frame.parentFrame()?.evaluate('typeof window.__pwned'), 'undefined');
    assert.equal(await page.evaluate('typeof window.__pwned'), 'undefined');
    assert.equal(page.context().pages().length, 1, 'no window was opened');
    assert.equal(await frame.evaluate('window.__e2eMarker'), 'still the same document');
    assert.deepEqual(await frame.evaluate('window.__e2eViolations'), [], 'no CSP violation: nothing even tried to run');
    const suspicious = consoleMessages.slice(consoleBefore).filter((m) => /pwned|Content Security Policy|Refused to/i.test(m.text));
    assert.deepEqual(suspicious, [], 'no console message about the hostile content');

    // Control, so the checks above could have failed: an inline handler planted by the test itself
    // is refused by the panel's CSP, reported to the listener and logged to the console.
    await frame.evaluate(`(() => {
      const planted = document.createElement('button');
      planted.setAttribute('onclick', 'window.__pwned = "control"');
      document.body.appendChild(planted);
      planted.click();
      planted.remove();
    })()`);
    const violations = await waitUntil('the planted handler to be reported as a CSP violation', async () => {
      const seen = (await frame.evaluate('window.__e2eViolations')) as string[];
      return seen.length > 0 ? seen : undefined;
    }, 10_000);
    assert.match(violations.join('\n'), /script-src/);
    assert.equal(await frame.evaluate('typeof window.__pwned'), 'undefined', 'the CSP blocked the planted handler');
    await waitUntil('the console to report the refused handler', () => consoleMessages.slice(consoleBefore).some((m) => /Content Security Policy/i.test(m.text)), 10_000);
  });
});

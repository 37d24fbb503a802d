// A true extension-host restart with a batch pending (issue 15's proof): the extension installed
// from its .vsix as a user has it, a batch submitted from the plan, then the extension host process
// killed. The workbench page stays and the server starts a new host process ("The remote extension
// host terminated unexpectedly. Restarting..."); that host knows the job only from what the old
// one saved, picks it up while the batch is still processing, polls it to its end and joins its
// results. (This web workbench has no "Developer: Restart Extension Host" command, and with an
// extensionDevelopmentPath a host that exits is not restarted: hence the installed extension.)
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestHost, repoRoot } from '../launcher/hostSetup';
import { installVsix } from '../launcher/vscodeServer';
import { FAKE_API_KEY, frameWith, openPromptForCommands, runFromPalette, useWorkbenchSession, waitUntil, type E2eSession } from './workbenchSession';

const ROWS = 40;
/** Long enough that the batch is still processing when the new host has started and polls it. */
const PROCESSING_MS = 60_000;
const prompt = {
  name: 'Restart tickets',
  variables: { ticket: { description: 'the ticket' } },
  expectedOutputTokens: 8,
  dataset: { path: './restart.csv', keyColumn: 'id' },
  request: { model: 'claude-haiku-5-5', max_tokens: 40, messages: [{ role: 'user', content: 'Classify this ticket: {{ticket}}' }] },
};
const csv = ['id,ticket', ...Array.from({ length: ROWS }, (_, i) => `R${i},restart ticket ${i}`)].join('\n') + '\n';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** How many times an extension host activated Prompt Workbench, from the hosts' logs. */
function activations(session: E2eSession): number {
  const marker = '_doActivateExtension prompt-workbench.prompt-workbench';
  return filesUnder(join(session.server.userDataDir, 'logs'))
    .filter((file) => /exthost\d*\.log$/.test(file))
    .reduce((count, file) => count + readFileSync(file, 'utf8').split(marker).length - 1, 0);
}

/** The pid of this server's extension host: the `--type=extensionHost` child of the server started with its data folder. */
function extensionHostPid(session: E2eSession): number | undefined {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .flatMap((m) => (m ? [{ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }] : []));
  // The server's processes and all their descendants (the host may hang off a child of the server).
  const family = new Set(table.filter((p) => p.args.includes('server-main') && p.args.includes(session.server.userDataDir)).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table) if (family.has(p.ppid) && !family.has(p.pid)) grew = family.add(p.pid) !== undefined;
  }
  return table.find((p) => p.args.includes('--type=extensionHost') && family.has(p.pid))?.pid;
}

describe('a pending Message Batch across a true extension-host restart (end-to-end)', function () {
  this.timeout(420_000);
  const scratch = mkdtempSync(join(tmpdir(), 'pw-restart-'));
  const workbench = useWorkbenchSession({
    simulator: { outputTokens: 8, batchProcessingMs: PROCESSING_MS },
    session: (sim) => {
      const build = spawnSync('npm', ['run', 'build', '--', '--production'], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(build.status, 0, build.stderr);
      const vsix = join(scratch, 'prompt-workbench.vsix');
      const pack = spawnSync(process.execPath, [join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsix], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(pack.status, 0, `${pack.stdout}\n${pack.stderr}`);
      const extensionsDir = join(scratch, 'extensions');
      installVsix(ensureTestHost(), vsix, extensionsDir);
      return {
        extensionDevelopmentPath: null,
        extensionsDir,
        env: { ANTHROPIC_API_KEY: FAKE_API_KEY },
        machineSettings: { 'promptWorkbench.apiBaseUrl': sim.url },
        userSettings: { 'workbench.startupEditor': 'none', 'workbench.secondarySideBar.defaultVisibility': 'hidden' },
        files: { 'restart.prompt.json': `${JSON.stringify(prompt, null, 2)}\n`, 'restart.csv': csv },
      };
    },
    cleanup: () => rmSync(scratch, { recursive: true, force: true }),
  });

  it('a batch submitted, then the extension host restarted, is picked up by the new host, finishes, and its results are joined', async () => {
    const page = workbench.session.page;
    await openPromptForCommands(page, 'restart.prompt.json');
    await runFromPalette(page, 'Prompt Workbench: Run Prompt over Dataset…');
    const plan = await frameWith(page, '[data-action="submitBatch"]', 90_000);
    const submit = plan.locator('[data-action="submitBatch"]');
    await waitUntil('Submit as Batch to be selectable', async () => (await plan.locator('h2').count()) > 0 && (await submit.isEnabled()), 60_000);
    await submit.click();
    await waitUntil('the batch to be created', () => workbench.sim.requestCount('batches.create') === 1, 60_000);
    const createdAt = workbench.sim.requests.find((r) => r.endpoint === 'batches.create')!.time;
    await waitUntil('the plan to say it was submitted', async () => new RegExp(`Submitted ${ROWS} rows`).test(await plan.locator('.state').innerText()), 30_000);

    // The host process goes; the server starts a new one for the same page.
    const activated = activations(workbench.session);
    const pid = await waitUntil('the extension host process', () => extensionHostPid(workbench.session), 10_000);
    const killedAt = workbench.sim.requests.length;
    process.kill(pid, 'SIGKILL');
    await waitUntil('a new extension host to activate Prompt Workbench', () => activations(workbench.session) > activated, 120_000, 250);
    const restarted = extensionHostPid(workbench.session);
    assert.ok(restarted !== undefined && restarted !== pid, `a new host process (was ${pid}, now ${restarted})`);
    assert.equal(workbench.sim.requestCount('batches.results'), 0, 'nothing was joined before the restart');

    // The new host picks the job up from workspace storage and polls it while it is still processing.
    const polled = await waitUntil('the new host to poll the batch', () => workbench.sim.requests.slice(killedAt).find((r) => r.endpoint === 'batches.retrieve'), 90_000, 250);
    assert.ok(polled.time < createdAt + PROCESSING_MS, `picked up ${Math.round((polled.time - createdAt) / 1000)} s after submission, while the batch was still processing`);

    await runFromPalette(page, 'Prompt Workbench: Show Batches');
    const row = page.locator('.pane-body .monaco-list-row', { hasText: 'restart.csv' }).first();
    await waitUntil('the job to end in the Batches view', async () => new RegExp(`ended · ${ROWS} succeeded`).test((await row.textContent()) ?? ''), 180_000, 500);
    assert.equal(workbench.sim.requestCount('batches.results'), 1, 'its results were streamed once, by the new host');
    assert.ok(workbench.sim.requests.slice(killedAt).filter((r) => r.endpoint === 'batches.retrieve').length >= 2, 'polled to its end by the new host');

    // Joined: every row in the job's results file, at batch prices.
    const resultsFile = await waitUntil('the results file', () => readdirSync(workbench.session.workspace).find((name) => name.startsWith('Restart-tickets-') && name.endsWith('.results.jsonl')), 30_000);
    const rows = readFileSync(join(workbench.session.workspace, resultsFile), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; key?: string; status?: string; costUsd?: number; batchId?: string })
      .filter((l) => l.type === 'row');
    assert.equal(rows.length, ROWS);
    assert.deepEqual(new Set(rows.map((r) => r.key)), new Set(Array.from({ length: ROWS }, (_, i) => `R${i}`)));
    assert.ok(rows.every((r) => r.status === 'succeeded' && typeof r.costUsd === 'number' && r.costUsd > 0 && r.batchId));
  });
});

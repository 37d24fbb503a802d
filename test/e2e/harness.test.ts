import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../launcher/hostSetup';

describe('test harness', () => {
  it('exits non-zero when a suite inside the extension host fails', () => {
    const result = spawnSync(
      process.execPath,
      [join(repoRoot, 'out', 'test', 'launcher', 'testHost.js'), 'integration', '--suite', join(repoRoot, 'out', 'test', 'fixtures', 'failingSuite', 'index.js')],
      { encoding: 'utf8', timeout: 170_000 },
    );
    assert.notEqual(result.status, 0, `the launcher must fail; it printed:\n${result.stdout}\n${result.stderr}`);
    assert.notEqual(result.status, null, 'the launcher must exit by itself, not be killed by the timeout');
    assert.match(result.stdout + result.stderr, /fails on purpose|1 failed/);
  });
});

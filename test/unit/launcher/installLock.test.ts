// Two test runs started at once on a fresh machine take turns installing the test host.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withInstallLock } from '../../../test/launcher/hostSetup';

describe('test host install lock', () => {
  let dir: string;
  let lock: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-install-lock-'));
    lock = join(dir, '.install.lock');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the lock, with its pid, while the work runs, and releases it after, also when the work throws', () => {
    const seen = withInstallLock(lock, () => [existsSync(lock), existsSync(join(lock, 'pid'))]);
    assert.deepEqual(seen, [true, true]);
    assert.equal(existsSync(lock), false);
    assert.throws(() => withInstallLock(lock, () => { throw new Error('install failed'); }), /install failed/);
    assert.equal(existsSync(lock), false, 'released after a failure');
  });

  it('waits while a live process holds the lock, and runs once that process lets go', () => {
    // Another "test run" holds the lock, and from its own process marks then releases it later.
    const released = join(dir, 'released');
    mkdirSync(lock);
    const script = `setTimeout(() => { const fs = require('fs'); fs.writeFileSync(${JSON.stringify(released)}, ''); fs.rmSync(${JSON.stringify(lock)}, { recursive: true }); }, 400)`;
    const other = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    writeFileSync(join(lock, 'pid'), String(other.pid));
    const ranAfterRelease = withInstallLock(lock, () => existsSync(released));
    assert.equal(ranAfterRelease, true, 'the work ran only after the other run released the lock');
  });

  it('takes over a lock whose owner died without releasing it', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), dead.stdout);
    assert.equal(withInstallLock(lock, () => 'installed'), 'installed');
    assert.equal(existsSync(lock), false);
  });

  it('takes over a lock that never got a pid once it is older than the stale age', () => {
    mkdirSync(lock);
    assert.equal(withInstallLock(lock, () => 'installed', 0), 'installed');
  });
});

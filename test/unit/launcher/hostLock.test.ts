// The test host's npm installs are pinned: exact versions, and lockfiles with integrity hashes.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockedIntegrity, repoRoot } from '../../../test/launcher/hostSetup';

const lockDir = join(repoRoot, 'test', 'launcher', 'hostLock');

describe('test host pins', () => {
  for (const [folder, name, version] of [
    ['node', 'node', '24.21.0'],
    ['code-server', 'code-server', '4.139.1'],
  ] as const) {
    it(`${name} ${version}: an exact version, and every package of the lockfile has an integrity hash`, () => {
      const manifest = JSON.parse(readFileSync(join(lockDir, folder, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      assert.deepEqual(manifest.dependencies, { [name]: version });
      const lock = JSON.parse(readFileSync(join(lockDir, folder, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; integrity?: string }> };
      assert.equal(lock.packages[`node_modules/${name}`]?.version, version);
      assert.match(lockedIntegrity(join(lockDir, folder, 'package-lock.json'), name) ?? '', /^sha512-[A-Za-z0-9+/]+=*$/);
      const unpinned = Object.entries(lock.packages).filter(([key, entry]) => key !== '' && !/^sha512-/.test(entry.integrity ?? ''));
      assert.deepEqual(unpinned.map(([key]) => key), []);
    });
  }
});

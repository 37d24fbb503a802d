// What `npm start -- [options]` decides from the command line and the shell's environment.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../test/launcher/hostSetup';
import { newcomerExample, newcomerExampleOf, parseStartOptions, StartUsageError } from '../../../test/launcher/startOptions';

const noKey = {};
const withKey = { ANTHROPIC_API_KEY: 'sk-ant-shell-key-0000' };

describe('npm start options', () => {
  it('without a key in the shell, the simulator is used until a key is set in VS Code', () => {
    assert.deepEqual(parseStartOptions([], noKey), { api: 'simulatorWithoutKey', passKey: false, apiBaseUrl: undefined, workspaceTrust: false, port: undefined });
  });

  it('with ANTHROPIC_API_KEY in the shell, the real API is used, and the key stays in the shell unless --pass-key', () => {
    const options = parseStartOptions([], withKey);
    assert.ok(options !== 'help');
    assert.equal(options.api, 'real');
    assert.equal(options.passKey, false);
    const passing = parseStartOptions(['--pass-key'], withKey);
    assert.ok(passing !== 'help');
    assert.equal(passing.passKey, true);
  });

  it('--simulator wins over a key in the shell; --real asks for the real API without one', () => {
    const simulator = parseStartOptions(['--simulator'], withKey);
    assert.ok(simulator !== 'help');
    assert.equal(simulator.api, 'simulatorAlways');
    const real = parseStartOptions(['--real'], noKey);
    assert.ok(real !== 'help');
    assert.equal(real.api, 'real');
  });

  it('takes the port from --port or PORT, and the base URL and trust flags', () => {
    const options = parseStartOptions(['--port', '8123', '--api-base-url', 'http://127.0.0.1:4141', '--workspace-trust'], { PORT: '9000' });
    assert.ok(options !== 'help');
    assert.equal(options.port, 8123);
    assert.equal(options.apiBaseUrl, 'http://127.0.0.1:4141');
    assert.equal(options.workspaceTrust, true);
    const fromEnv = parseStartOptions([], { PORT: '9000' });
    assert.ok(fromEnv !== 'help');
    assert.equal(fromEnv.port, 9000);
  });

  it('refuses contradictions and mistakes with a usage error', () => {
    for (const [argv, env] of [
      [['--simulator', '--real'], noKey],
      [['--pass-key'], noKey],
      [['--pass-key', '--simulator'], withKey],
      [['--port', 'x'], noKey],
      [['--api-base-url', 'file:///etc/passwd'], noKey],
      [['--no-such-flag'], noKey],
    ] as const) {
      assert.throws(() => parseStartOptions(argv, env), StartUsageError, argv.join(' '));
    }
    assert.equal(parseStartOptions(['--help'], noKey), 'help');
  });

  it('opens the plain example first, not whichever example sorts first (a Files API one did)', () => {
    assert.equal(newcomerExampleOf(readdirSync(join(repoRoot, 'examples'))), newcomerExample);
    assert.equal(newcomerExampleOf(['a-upload.prompt.json', newcomerExample, 'notes.md']), newcomerExample);
    assert.equal(newcomerExampleOf(['b.prompt.json', 'a.prompt.json', 'README.md']), 'a.prompt.json');
    assert.equal(newcomerExampleOf(['README.md']), undefined);
  });
});

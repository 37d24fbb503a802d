import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseArgs } from '../../simulator/cli';
import { clientFor } from './simulatorFixture';
import type { Simulator } from '../../simulator/server';

describe('simulator: command line', () => {
  it('parses its options', () => {
    assert.deepEqual(parseArgs(['--port', '5000', '--latency', '200', '--tps', '50', '--quiet']), {
      port: 5000,
      options: { latencyMs: 200, tokensPerSecond: 50 },
      quiet: true,
    });
    assert.equal(parseArgs(['--help']), 'help');
    assert.throws(() => parseArgs(['--tps', 'fast']), /non-negative number/);
    assert.throws(() => parseArgs(['--colour', '1']), /Unknown option/);
  });

  it('prints its URL and the setting to use, serves the SDK, and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, [join(__dirname, '../../simulator/cli.js'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let output = '';
      child.stdout.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          output += chunk;
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match?.[1] && output.includes('Ctrl-C')) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
      });
      assert.match(output, /"promptWorkbench\.apiBaseUrl": "http:\/\/127\.0\.0\.1:\d+"/);

      const client = clientFor({ url } as Simulator);
      const message = await client.messages.create({ model: 'claude-haiku-5-5', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(message.type, 'message');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.match(output, /POST \/v1\/messages 200/);

      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
      assert.match(output, /Simulator stopped/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

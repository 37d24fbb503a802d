// How the extension decides between the simulator npm start offers and the user's key, and how it
// names the key in use.
import { strict as assert } from 'node:assert';
import { chooseApiTarget, describeKey, describeTarget, SIMULATOR_API_KEY, simulatorOffer } from '../../../src/core/api/simulatorOffer';

const api = 'https://api.anthropic.com';

describe('simulator offer', () => {
  it('is read from the environment npm start sets, on loopback only', () => {
    assert.deepEqual(simulatorOffer({ PROMPT_WORKBENCH_SIMULATOR_URL: 'http://127.0.0.1:4141' }), { url: 'http://127.0.0.1:4141', always: false });
    assert.deepEqual(simulatorOffer({ PROMPT_WORKBENCH_SIMULATOR_URL: 'http://localhost:4141/', PROMPT_WORKBENCH_SIMULATOR_USE: 'always' }), { url: 'http://localhost:4141', always: true });
    for (const url of ['https://api.anthropic.com', 'http://10.0.0.2:4141', 'http://user:pw@127.0.0.1:4141', 'not a url', 'https://127.0.0.1:4141']) {
      assert.equal(simulatorOffer({ PROMPT_WORKBENCH_SIMULATOR_URL: url }), undefined, url);
    }
    assert.equal(simulatorOffer({}), undefined);
  });

  it('is used without a key; a key wins unless the simulator is asked for always', () => {
    const offer = { url: 'http://127.0.0.1:4141', always: false };
    const key = { key: 'sk-ant-' + 'api03-abcdefghijklmnop-WXYZ', source: 'secretStorage' as const };
    assert.deepEqual(chooseApiTarget(offer, undefined, api), { kind: 'simulator', baseURL: offer.url, key: SIMULATOR_API_KEY });
    assert.deepEqual(chooseApiTarget(offer, key, api), { kind: 'api', baseURL: api, key: key.key, source: 'secretStorage' });
    assert.equal(chooseApiTarget({ ...offer, always: true }, key, api)?.kind, 'simulator');
    assert.equal(chooseApiTarget(undefined, undefined, api), undefined);
  });

  it('names a key by its source and last four characters only', () => {
    const secret = 'sk-ant-' + 'api03-abcdefghijklmnop-WXYZ';
    const text = describeKey(secret, 'environment');
    assert.equal(text, 'the key from the environment (ANTHROPIC_API_KEY), ending in …WXYZ');
    assert.ok(!text.includes('abcdefgh'));
    assert.equal(describeKey(secret, 'secretStorage'), 'the key from SecretStorage, ending in …WXYZ');
    // A key too short to spare four characters shows none of them.
    assert.equal(describeKey('sk-short', 'secretStorage'), 'the key from SecretStorage');
    assert.match(describeTarget({ kind: 'simulator', baseURL: 'http://127.0.0.1:1', key: SIMULATOR_API_KEY }), /simulator/);
    assert.equal(describeTarget(undefined), 'no API key is set');
  });
});

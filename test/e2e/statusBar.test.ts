import * as assert from 'node:assert/strict';
import { dumpLogOnFailure, quickOpen, startSession, type E2eSession } from './workbenchSession';

describe('workbench (end-to-end)', function () {
  let session: E2eSession | undefined;

  before(async () => {
    session = await startSession();
  });
  afterEach(function () {
    dumpLogOnFailure(session, this);
  });
  after(async () => {
    await session?.close();
  });

  it('shows the Prompt Workbench status bar item when a .prompt.json is opened', async () => {
    const page = session!.page;
    await quickOpen(page, 'hello.prompt.json');
    const item = page.locator('#promptWorkbench\\.cost, [id="prompt-workbench.prompt-workbench.promptWorkbench.cost"]').first();
    await item.waitFor({ timeout: 20_000 });
    assert.match((await item.innerText()).trim(), /\S/);
  });
});

import * as assert from 'node:assert/strict';
import { quickOpen, useWorkbenchSession } from './workbenchSession';

describe('workbench (end-to-end)', function () {
  const workbench = useWorkbenchSession({ simulator: false, activate: false });

  it('shows the Prompt Workbench status bar item when a .prompt.json is opened', async () => {
    const page = workbench.session.page;
    await quickOpen(page, 'hello.prompt.json');
    const item = page.locator('#promptWorkbench\\.cost, [id="prompt-workbench.prompt-workbench.promptWorkbench.cost"]').first();
    await item.waitFor({ timeout: 20_000 });
    assert.match((await item.innerText()).trim(), /\S/);
  });
});

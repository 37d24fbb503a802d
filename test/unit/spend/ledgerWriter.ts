// A second process for the concurrent-writers test: appends `count` ledger lines, one append at a
// time (each its own write), as a second VS Code window would.
import { SpendLedger } from '../../../src/core/spend/spendLedger';

async function main(): Promise<void> {
  const [folder, writer, countText, time] = process.argv.slice(2);
  if (!folder || !writer || !countText || !time) throw new Error('usage: ledgerWriter <folder> <writer> <count> <iso time>');
  const ledger = new SpendLedger({ folder, writer, now: () => Date.parse(time) });
  for (let i = 0; i < Number(countText); i++) {
    await ledger.append({
      keyFingerprint: 'abc123abc123',
      baseUrlHost: 'api.anthropic.com',
      model: 'claude-haiku-5-5',
      promptName: `${writer}-${i}`,
      kind: 'run',
      usage: { inputTokens: 10, outputTokens: 5, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 },
      costUsd: 0.001,
      priceAsOf: '2026-11-25',
      requestId: `req_${writer}_${i}`,
      simulated: false,
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

// Ledger entries and temporary folders for the spend tests.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerCall } from '../../../src/core/spend/spendLedger';

type Entry = Omit<LedgerCall, 'type' | 'time' | 'writer'> & { time?: string };

export function entry(overrides: Partial<Entry> = {}): Entry {
  return {
    keyFingerprint: '0123456789ab',
    baseUrlHost: 'api.anthropic.com',
    model: 'claude-sonnet-5-5',
    promptName: 'Classify',
    kind: 'run',
    usage: { inputTokens: 1_000, outputTokens: 200, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 },
    costUsd: 0.004,
    priceAsOf: '2026-11-25',
    requestId: 'req_1',
    simulated: false,
    ...overrides,
  };
}

export async function tempFolder(): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), 'pw-ledger-'));
}


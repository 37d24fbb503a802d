import * as vscode from 'vscode';
import { SpendRefusedError, type BilledJob, type BilledJobHandle, type SpendGate } from '../core/spend/spendGate';

/** What the gate and the user said about a job: go ahead with its handle, refused (why), or declined. */
export type SpendConsent = { kind: 'open'; handle: BilledJobHandle } | { kind: 'refused'; message: string } | { kind: 'declined' };

/** A modal question with one button: the yes a job over the confirm threshold needs. */
export function askModal(button: string): (message: string) => Promise<boolean> {
  return async (message) => (await vscode.window.showWarningMessage(message, { modal: true }, button)) === button;
}

/**
 * The editor's one way into the spend gate for a billed job: assess the worst case against the
 * spend cap and the monthly budget, ask the user when the gate wants a yes, then open the job. The
 * open re-checks (another window may have spent meanwhile), so its refusal is a refusal too.
 */
export async function openWithConsent(gate: SpendGate, job: BilledJob, confirm: (message: string) => Promise<boolean>): Promise<SpendConsent> {
  const decision = await gate.assess(job);
  if (decision.kind === 'refuse') return { kind: 'refused', message: decision.message };
  if (decision.kind === 'confirm' && !(await confirm(decision.message))) return { kind: 'declined' };
  try {
    return { kind: 'open', handle: await gate.open(job, { confirmed: decision.kind === 'confirm' }) };
  } catch (error) {
    if (!(error instanceof SpendRefusedError)) throw error;
    return { kind: 'refused', message: error.message };
  }
}

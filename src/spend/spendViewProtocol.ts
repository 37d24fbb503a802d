// Every message between the host and the spend view, both directions. Both sides switch on
// `type` exhaustively; the host checks what it receives at run time (a webview is a browser page).
import type { SpendReport } from '../core/spend/spendReport';

export type HostToSpendView = { type: 'report'; report: SpendReport };

export type SpendViewToHost = { type: 'ready' } | { type: 'exportCsv' } | { type: 'openSettings' };

const viewMessageTypes: readonly SpendViewToHost['type'][] = ['ready', 'exportCsv', 'openSettings'];

/** A message from the view, or undefined for anything else (never trusted as typed). */
export function asSpendViewMessage(value: unknown): SpendViewToHost | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  return viewMessageTypes.find((t) => t === type) !== undefined ? { type: type as SpendViewToHost['type'] } : undefined;
}

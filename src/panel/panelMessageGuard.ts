// The webview is a page: whatever it posts arrives as plain JSON, and a bug (or an old page
// restored after an update) can send anything. The host checks each message against the
// protocol before acting on it. Pure (no `vscode`), so the unit tests drive it directly.
import type { ErrorAction } from '../core/api/runError';
import type { PanelToHost } from '../protocol';

type Fields = Record<string, unknown>;

const errorActions: ReadonlySet<string> = new Set<ErrorAction>(['retry', 'setKey', 'chooseModel', 'openSettings']);

const isString = (value: unknown): value is string => typeof value === 'string';
const hasStrings = (message: Fields, ...keys: string[]): boolean => keys.every((key) => isString(message[key]));

function isToolResult(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Fields;
  return isString(result['toolUseId']) && isString(result['content']) && typeof result['isError'] === 'boolean';
}

/** Whether `value` is a message the panel may send, with every field of the right type. */
export function isPanelToHost(value: unknown): value is PanelToHost {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const message = value as Fields;
  const type = message['type'] as PanelToHost['type'] | undefined;
  switch (type) {
    case 'ready':
    case 'listHistory':
      return true;
    case 'stop':
    case 'retry':
      return hasStrings(message, 'runId');
    case 'continue':
      return hasStrings(message, 'runId', 'message') && (message['mode'] === 'inPlace' || message['mode'] === 'newFile');
    case 'submitToolResults':
      return hasStrings(message, 'runId') && Array.isArray(message['results']) && message['results'].every(isToolResult);
    case 'openRun':
    case 'rerun':
      return hasStrings(message, 'recordId');
    case 'compareRuns':
      return hasStrings(message, 'leftRecordId', 'rightRecordId');
    case 'errorAction':
      return hasStrings(message, 'runId', 'action') && errorActions.has(message['action'] as string);
    case 'openLink':
      return hasStrings(message, 'url');
    case 'downloadFile':
      return hasStrings(message, 'runId', 'fileId');
    default: {
      // A new message type must be added here too: this line stops compiling until it is.
      const unhandled: undefined = type;
      void unhandled;
      return false;
    }
  }
}

/** A short, safe description of a rejected message for the log: its type only, never its content. */
export function describeRejectedMessage(value: unknown): string {
  if (typeof value !== 'object' || value === null) return `a ${value === null ? 'null' : typeof value}`;
  const type = (value as Fields)['type'];
  return isString(type) ? `type "${type.slice(0, 40)}"` : 'a message without a type';
}

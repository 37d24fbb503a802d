import type * as vscode from 'vscode';
import type { KeyRedactor } from '../core/api/keyRedaction';

const writers = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);

/**
 * The log channel with every line passed through the key redactor first: strings are redacted,
 * an Error becomes its redacted message (its stack would repeat the message, key included).
 */
export function redactingLog(channel: vscode.LogOutputChannel, redactor: KeyRedactor): vscode.LogOutputChannel {
  const clean = (arg: unknown): unknown => {
    if (typeof arg === 'string') return redactor.redact(arg);
    if (arg instanceof Error) return redactor.errorText(arg);
    if (typeof arg === 'object' && arg !== null) return redactor.redactDeep(arg);
    return arg;
  };
  return new Proxy(channel, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      if (!writers.has(property)) return value.bind(target);
      return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args.map(clean));
    },
  });
}

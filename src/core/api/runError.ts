// What the user is told about a failed run, and what they can do about it. Produced by
// describeApiError, shown by the panel and the error notification. No imports, so the browser
// bundle can share it through src/protocol.ts.

export type ErrorAction = 'retry' | 'setKey' | 'chooseModel' | 'openSettings';

export interface RunErrorView {
  /** Short title, e.g. "Rate limited". */
  title: string;
  /** What happened and what to do next. */
  message: string;
  requestId?: string;
  /** Seconds until a retry can succeed (429), for a countdown. */
  retryAfterSeconds?: number;
  /** The request field the API named, e.g. "messages.0.content". */
  fieldPath?: string;
  actions: ErrorAction[];
}

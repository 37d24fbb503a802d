// What the user is told about a failed run, and what they can do about it. Produced by
// describeApiError, shown by the panel and the error notification. No imports, so the browser
// bundle can share it.

export type ErrorAction = 'retry' | 'setKey' | 'chooseModel' | 'openSettings';

export interface RunErrorView {
  /** Short title, e.g. "Rate limited". */
  title: string;
  /** What happened and what to do next. */
  message: string;
  requestId?: string;
  /** Seconds until a retry can succeed (429), as the API said. */
  retryAfterSeconds?: number;
  /**
   * When a retry can succeed, in milliseconds since the epoch (set by the host when the error
   * arrives): an absolute time, so the countdown is right after the panel reloads.
   */
  retryAt?: number;
  /** The request field the API named, e.g. "messages.0.content". */
  fieldPath?: string;
  actions: ErrorAction[];
}

/** The one label of each action, in the panel and on the error notification alike. */
export function errorActionLabel(action: ErrorAction): string {
  switch (action) {
    case 'retry':
      return 'Retry';
    case 'setKey':
      return 'Set API key';
    case 'chooseModel':
      return 'Choose model';
    case 'openSettings':
      return 'Open settings';
    default: {
      const unknown: never = action;
      return String(unknown);
    }
  }
}

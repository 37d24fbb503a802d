// The one redactor every error message passes through before it is shown, logged or written to
// history. It removes the keys it has been told about (the stored key, ANTHROPIC_API_KEY) and
// anything shaped like an Anthropic key or a credential header value. Why both: fetch (undici)
// repeats an invalid header value inside its error text ("Headers.append: "Bearer sk-ant-…\nxyz"
// is an invalid header value."), so a key with a stray newline or control character ends up in the
// message of the error the SDK throws, split across lines where no key pattern alone would find it.

export const REDACTED = '[redacted]';

/** An Anthropic key (sk-ant-api03-…, sk-ant-admin01-…) and a shorter stand-in for one, up to any separator. */
const KEY_SHAPED = /sk-ant-[A-Za-z0-9_-]+/g;
/** A credential header value, as fetch and HTTP libraries quote it: Bearer …, x-api-key: …. */
const CREDENTIAL_VALUE = /\b(Bearer|x-api-key["']?\s*[:=])\s*("[^"]*"|'[^']*'|[^\s"',;)}\]]+)/gi;
/** fetch's own wording when it refuses a header value; the value may hold anything. */
const INVALID_HEADER_VALUE = /("(?:[^"\\]|\\.)*")(\s+is an invalid header value)/g;
/** Known keys shorter than this are not searched for: redacting "abc" everywhere helps no one. */
const MIN_KEY_LENGTH = 8;
/** Fragments of a key split by a control character or whitespace are redacted from this length on. */
const MIN_FRAGMENT_LENGTH = 6;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every form in which a known key can appear in text: as is, JSON-escaped, and its fragments. */
function keyForms(keys: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const key of keys) {
    if (key.length < MIN_KEY_LENGTH) continue;
    forms.add(key);
    forms.add(key.trim());
    forms.add(JSON.stringify(key).slice(1, -1));
    for (const fragment of key.split(/[\s\p{Cc}\u2028\u2029]+/u)) {
      if (fragment.length >= MIN_FRAGMENT_LENGTH) forms.add(fragment);
    }
  }
  // Longest first, so a fragment never leaves part of the whole key behind.
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

export interface RedactionOptions {
  /** Also redact what is shaped like a key or a credential value (default true). Off, only the known keys go. */
  shapes?: boolean;
}

/** `text` with every known key, every key-shaped string and every credential header value replaced by [redacted]. */
export function redactKeys(text: string, keys: readonly string[] = [], options: RedactionOptions = {}): string {
  let redacted = text;
  const forms = keyForms(keys);
  if (forms.length > 0) redacted = redacted.replace(new RegExp(forms.map(escapeRegExp).join('|'), 'g'), REDACTED);
  if (options.shapes === false) return redacted;
  return redacted
    .replace(INVALID_HEADER_VALUE, `"${REDACTED}"$2`)
    .replace(CREDENTIAL_VALUE, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(KEY_SHAPED, REDACTED);
}

/** Every string inside a JSON-like value redacted (history records, error views). Keys of objects too. */
export function redactKeysDeep<T>(value: T, keys: readonly string[] = [], options: RedactionOptions = {}): T {
  const visit = (item: unknown): unknown => {
    if (typeof item === 'string') return redactKeys(item, keys, options);
    if (Array.isArray(item)) return item.map(visit);
    if (typeof item === 'object' && item !== null) {
      return Object.fromEntries(Object.entries(item).map(([name, child]) => [redactKeys(name, keys, options), visit(child)]));
    }
    return item;
  };
  return visit(value) as T;
}

/** The text of an error for a message or a log line: name, message and cause, redacted. */
export function redactedErrorText(error: unknown, keys: readonly string[] = []): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? ` (cause: ${cause.message})` : '';
    return redactKeys(`${error.message}${causeText}`, keys);
  }
  return redactKeys(String(error), keys);
}

/**
 * Holds the keys currently in play (the stored key, the environment's) so code that shows or logs
 * text can redact synchronously. The editor glue tells it whenever it reads a key.
 */
export class KeyRedactor {
  private readonly keys = new Set<string>();

  constructor(initial: Iterable<string | undefined> = []) {
    for (const key of initial) this.remember(key);
  }

  /** Adds a key to redact from now on (keys are never forgotten: an old key in a late error is still a key). */
  remember(key: string | undefined): void {
    if (key && key.length >= MIN_KEY_LENGTH) this.keys.add(key);
  }

  redact(text: string): string {
    return redactKeys(text, [...this.keys]);
  }

  redactDeep<T>(value: T): T {
    return redactKeysDeep(value, [...this.keys]);
  }

  errorText(error: unknown): string {
    return redactedErrorText(error, [...this.keys]);
  }
}

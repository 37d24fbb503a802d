// How long the API asks us to wait before retrying, read the way the SDK reads it
// (../shared/anthropic-api.md §3.2, SDK client.ts retryRequest): `retry-after-ms` as milliseconds,
// otherwise `retry-after` as seconds or an HTTP date. A wait is used only when it is more than 0
// and at most 2^31-1 ms (what one timer can hold); zero, negative, a date in the past or an
// unreadable value is no wait at all, and the caller's own backoff applies, as in the SDK. So a
// `retry-after: 0` neither retries at once in a loop nor tells the user "retry in 0 s".
import { responseHeader } from './responseHeaders';

const longestWaitMs = 2 ** 31 - 1;

/** The wait in ms the headers ask for, or undefined when they ask for none that can be honoured. */
export function retryAfterMs(headers: unknown, now = Date.now()): number | undefined {
  let wait: number | undefined;
  const ms = responseHeader(headers, 'retry-after-ms');
  // parseFloat, as the SDK: "1500ms" reads as 1500; "0" leaves the field to retry-after.
  if (ms) {
    const value = parseFloat(ms);
    if (!Number.isNaN(value)) wait = value;
  }
  const after = responseHeader(headers, 'retry-after');
  if (after && !wait) {
    const seconds = parseFloat(after);
    wait = Number.isNaN(seconds) ? Date.parse(after) - now : seconds * 1000;
  }
  return wait !== undefined && wait > 0 && wait <= longestWaitMs ? wait : undefined;
}

/** The same wait in whole seconds, rounded up (a 200 ms wait is "1 s", never "0 s"). */
export function retryAfterSeconds(headers: unknown, now = Date.now()): number | undefined {
  const wait = retryAfterMs(headers, now);
  return wait === undefined ? undefined : Math.ceil(wait / 1000);
}

// Turns whatever a run threw into a message that says what to do next. Works on the SDK's error
// shape (status, error body, headers, requestID) without loading the SDK, so it is cheap to test.
import type { ErrorAction, RunErrorView } from './runError';
import { isNoApiKeyError } from './noApiKeyError';
import { retryAfterSeconds } from './retryAfter';

interface ErrorLike {
  name?: string;
  message?: string;
  status?: number;
  requestID?: string | null;
  headers?: unknown;
  /** `error.details.error_code` (the SDK's APIError.errorCode). */
  errorCode?: string | null;
  error?: { type?: string; error?: { type?: string; message?: string; details?: { paths?: string[]; error_code?: string } }; message?: string };
}

function apiBody(error: ErrorLike): { type?: string; message?: string; paths?: string[] } {
  // APIError.error is the parsed body: {type:'error', error:{type, message, details}, request_id}.
  const inner = error.error?.error;
  if (inner) return { type: inner.type, message: inner.message, paths: inner.details?.paths };
  return { type: error.error?.type, message: error.error?.message };
}

/** The request field an invalid_request_error names, from details.paths or a "field: …" message. */
function fieldPath(message: string | undefined, paths: string[] | undefined): string | undefined {
  if (paths?.[0]) return paths[0];
  const match = message?.match(/^([a-z_]+(?:\.[a-z0-9_]+)*)\s*:/i);
  return match?.[1];
}

/** Ends `text` with a full stop when it has none, so the advice that follows does not run on ("model: x Check…"). */
function sentence(text: string): string {
  return !text || /[.!?]$/.test(text) ? text : `${text}.`;
}

function view(title: string, message: string, actions: ErrorAction[], extra: Partial<RunErrorView> = {}): RunErrorView {
  return { title, message, actions, ...extra };
}

/** A clear, actionable description of an error from a run; `partial` says whether output was kept. */
export function describeApiError(error: unknown, options: { partial?: boolean; model?: string } = {}): RunErrorView {
  const e = (error ?? {}) as ErrorLike;
  const body = apiBody(e);
  const requestId = e.requestID ?? undefined;
  const withId = (extra: Partial<RunErrorView> = {}): Partial<RunErrorView> => (requestId ? { requestId, ...extra } : extra);
  const kept = options.partial ? ' The partial output is kept.' : '';
  const apiMessage = body.message ?? '';

  if (isNoApiKeyError(e)) return view('No API key', `${e.message ?? 'No API key is set.'}`, ['setKey']);
  if (e.name === 'APIConnectionTimeoutError') {
    return view('Request timed out', `The API did not answer in time.${kept} Check your connection, or retry.`, ['retry'], withId());
  }
  if (e.name === 'APIConnectionError') {
    const detail = (e.message ?? 'connection failed').replace(/\.$/, '');
    return view('Network error', `Could not reach the API (${detail}).${kept} Check your connection and the promptWorkbench.apiBaseUrl setting, then retry.`, ['retry', 'openSettings'], withId());
  }
  // fetch reports a connection dropped mid-body as a TypeError "terminated" (its cause: ECONNRESET).
  if (e.status === undefined && (e.message === 'terminated' || /ECONNRESET|socket hang up/.test(String((e as { cause?: unknown }).cause ?? '')))) {
    return view('Connection lost', `The connection to the API dropped in the middle of the response.${kept} Retry to run it again.`, ['retry'], withId());
  }

  // An `error` event inside a 200 stream: status is undefined, the type is in the body.
  if (e.status === undefined && body.type) {
    const what = body.type === 'overloaded_error' ? 'The API is overloaded' : `The stream failed (${body.type})`;
    return view('Stream interrupted', `${what}: ${apiMessage || 'no message'}.${kept} Retry to run it again.`, ['retry'], withId());
  }

  switch (e.status) {
    case 400:
      return view('Invalid request', `${apiMessage || 'The API rejected the request.'}${requestId ? ` (request ${requestId})` : ''}`, [], withId(fieldPath(apiMessage, body.paths) ? { fieldPath: fieldPath(apiMessage, body.paths) } : {}));
    case 401:
      return view('API key rejected', 'The API did not accept the key. Set a valid key with "Prompt Workbench: Set API Key".', ['setKey'], withId());
    case 402:
      return view('Billing problem', `${sentence(apiMessage || 'The organisation cannot be billed.')} Check billing in the Anthropic Console.`, [], withId());
    case 403:
      return view('Permission denied', `${sentence(apiMessage || 'This key may not use this resource.')} Check the key's workspace and permissions in the Anthropic Console.`, ['setKey'], withId());
    case 404:
      return view(
        'Not found',
        `${sentence(apiMessage || 'The API did not find what was asked for.')}${options.model ? ` Check the model id "${options.model}" and choose another model.` : ' Choose another model.'}`,
        ['chooseModel'],
        withId(),
      );
    case 413:
      return view('Request too large', `${sentence(apiMessage || 'The request body is too large.')} Shorten the prompt or use the Files API for large documents.`, [], withId());
    case 429: {
      // A spend limit is a 429 too, but waiting a moment does not lift it (sheet §4.2).
      const code = e.errorCode ?? e.error?.error?.details?.error_code;
      if (code === 'enforced_spend_limit_reached') {
        return view(
          'Monthly spend limit reached',
          `Your organization has reached the monthly spend limit of its API usage tier, so the API refuses every request until the limit is raised or the month turns; retrying will not help.${kept} Raise the spend limit, or move up a usage tier, in the Anthropic Console (Settings → Limits).`,
          [],
          withId(),
        );
      }
      if (code === 'contract_spend_limit_reached') {
        return view(
          'Contract spend limit reached',
          `Your organization has reached the spend limit in its contract, so the API refuses requests; retrying will not help.${kept} Ask your Anthropic account team to raise it.`,
          [],
          withId(),
        );
      }
      const wait = retryAfterSeconds(e.headers);
      return view(
        'Rate limited',
        `${sentence(apiMessage || 'A rate limit was exceeded.')}${wait !== undefined ? ` Retry in ${wait} s.` : ' Wait a moment, then retry.'}`,
        ['retry'],
        withId(wait !== undefined ? { retryAfterSeconds: wait } : {}),
      );
    }
    case 529:
      return view('API overloaded', `Anthropic's API is overloaded right now (not your rate limit).${kept} Retry, or try another model.`, ['retry', 'chooseModel'], withId());
    case 504:
      return view('Gateway timeout', `The API gateway timed out.${kept} Retry; long outputs should stream (they do here).`, ['retry'], withId());
    default:
      if (e.status !== undefined && e.status >= 500) {
        return view('API error', `The API failed (${e.status}${apiMessage ? `: ${apiMessage.replace(/\.$/, '')}` : ''}).${kept} Retry.`, ['retry'], withId());
      }
      return view('Run failed', `${sentence(e.message ?? String(error))}${kept}`, ['retry'], withId());
  }
}

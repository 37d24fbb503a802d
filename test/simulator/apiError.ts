// The API's error vocabulary (fact sheet §4.1): every failure the simulator reports is one of these,
// serialised as {"type":"error","error":{type,message,details?},"request_id":"req_..."}.
import { randomBytes } from 'node:crypto';

export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

const STATUS_BY_TYPE: Record<ApiErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  // 413 and its type string are from 2025 docs; the SDK's ErrorType union does not list it (sheet §4.1).
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** An error the simulator answers with, as the real API would. */
export class SimulatedApiError extends Error {
  readonly status: number;
  constructor(
    readonly type: ApiErrorType,
    message: string,
    /** `error.details`, present only for errors with a stable `error_code` (sheet §4.1). */
    readonly details?: { error_code: string; [key: string]: unknown },
    /** Extra response headers, e.g. retry-after on a 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = STATUS_BY_TYPE[type];
  }

  body(requestId: string | null): ErrorBody {
    return {
      type: 'error',
      error: { type: this.type, message: this.message, ...(this.details ? { details: this.details } : {}) },
      request_id: requestId,
    };
  }
}

export interface ErrorBody {
  type: 'error';
  error: { type: ApiErrorType; message: string; details?: { error_code: string; [key: string]: unknown } };
  request_id: string | null;
}

export function invalidRequest(message: string, errorCode?: string): SimulatedApiError {
  return new SimulatedApiError('invalid_request_error', message, errorCode ? { error_code: errorCode } : undefined);
}

export function notFound(message: string, errorCode?: string): SimulatedApiError {
  return new SimulatedApiError('not_found_error', message, errorCode ? { error_code: errorCode } : undefined);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random id in the API's style: a prefix and base62 characters (e.g. req_011C…, msg_01…). */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const byte of bytes) out += BASE62[byte % 62];
  return out;
}

export const newRequestId = (): string => newId('req_011C', 20);

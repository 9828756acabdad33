/**
 * One error type for the whole system. Every failure a caller can act on carries a code
 * from a closed set; the HTTP layer and the CLI map codes to statuses and exit codes in
 * one place each (see `httpStatusOf` and `exitCodeOf`).
 */
export type ErrorCode =
  | 'invalid_input'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'config_invalid'
  | 'unavailable'
  | 'internal';

/** One problem with one field of the input: where (a JSON-pointer-like path) and what was expected. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class KizunaError extends Error {
  readonly code: ErrorCode;
  readonly issues: readonly FieldIssue[];
  constructor(code: ErrorCode, message: string, options: { issues?: FieldIssue[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'KizunaError';
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

const httpStatus: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  config_invalid: 500,
  unavailable: 503,
  internal: 500,
};

const exitCodes: Record<ErrorCode, number> = {
  invalid_input: 2,
  unauthenticated: 3,
  forbidden: 3,
  not_found: 4,
  conflict: 5,
  payload_too_large: 2,
  unsupported_media_type: 2,
  rate_limited: 6,
  config_invalid: 78,
  unavailable: 75,
  internal: 1,
};

export function httpStatusOf(code: ErrorCode): number {
  return httpStatus[code];
}

export function exitCodeOf(code: ErrorCode): number {
  return exitCodes[code];
}

/** Shorthand for the most common failure: one or more fields are wrong. */
export function invalidInput(issues: FieldIssue[], message?: string): KizunaError {
  const summary = message ?? issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ');
  return new KizunaError('invalid_input', summary, { issues });
}

export function notFound(what: string, id: string): KizunaError {
  return new KizunaError('not_found', `${what} ${id} was not found in this workspace`);
}

/** Converts zod issues (v4) into our field issues, paths joined with dots. */
export function issuesFromZod(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

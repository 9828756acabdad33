import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type ErrorCode, type FieldIssue, httpStatusOf, KizunaError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';

/** RFC 9457 problem details, plus our code and the failing field paths. */
export const ZProblem = z
  .object({
    type: z.string().openapi({ example: 'urn:kizuna:problem:invalid_input' }),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .openapi('Problem');

const TITLES: Record<ErrorCode, string> = {
  invalid_input: 'Invalid input',
  unauthenticated: 'Authentication required',
  forbidden: 'Not allowed for this key',
  not_found: 'Not found',
  conflict: 'Conflict',
  payload_too_large: 'Request body too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Too many requests',
  config_invalid: 'Server misconfigured',
  unavailable: 'Temporarily unavailable',
  internal: 'Internal error',
};

export function problemResponse(
  c: Context,
  code: ErrorCode,
  detail: string,
  errors: readonly FieldIssue[] = [],
  headers: Record<string, string> = {},
): Response {
  const status = httpStatusOf(code);
  return c.body(JSON.stringify({ type: `urn:kizuna:problem:${code}`, title: TITLES[code], status, detail, code, errors }), status as 400, {
    'content-type': 'application/problem+json',
    ...headers,
  });
}

/** The one place where thrown errors become HTTP responses. */
export function handleError(logger: Logger) {
  return (error: Error, c: Context): Response => {
    if (error instanceof KizunaError) return problemResponse(c, error.code, error.message, error.issues);
    if (error instanceof HTTPException) {
      const status = error.status;
      if (status === 413)
        return problemResponse(c, 'payload_too_large', error.message || 'the request body is larger than the server accepts');
      if (status === 400) {
        const malformed = /json/i.test(error.message);
        return problemResponse(c, 'invalid_input', malformed ? 'the request body is not valid JSON' : error.message, [
          { path: 'body', message: malformed ? 'expected a JSON document' : error.message },
        ]);
      }
      // Every error is problem+json, including those middleware raise as HTTPException.
      const byStatus: Partial<Record<number, ErrorCode>> = {
        401: 'unauthenticated',
        403: 'forbidden',
        404: 'not_found',
        415: 'unsupported_media_type',
        429: 'rate_limited',
        503: 'unavailable',
      };
      return problemResponse(c, byStatus[status] ?? 'internal', error.message || 'the request could not be handled');
    }
    // A value the validators let through but PostgreSQL refuses (a NUL in text, a year 0, an index
    // entry too long) is still the caller's input: answer 4xx, never 500.
    const sqlState = (error as { code?: unknown }).code;
    if (typeof sqlState === 'string' && (sqlState.startsWith('22') || sqlState === '54000')) {
      return problemResponse(c, 'invalid_input', `a value cannot be stored: ${error.message}`, [{ path: 'body', message: error.message }]);
    }
    if (sqlState === '23505')
      return problemResponse(c, 'conflict', 'this conflicts with data written at the same moment; retry the request');
    logger.error({ err: error, path: c.req.path }, 'request failed');
    return problemResponse(c, 'internal', 'an unexpected error happened; it has been logged');
  };
}

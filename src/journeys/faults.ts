import { createHash } from 'node:crypto';
import { LiquidError } from 'liquidjs';
import { KizunaError } from '../platform/errors.ts';

/**
 * Why a journey node failed for a contact. A `contact` fault (a template or list deleted since,
 * a field that no longer exists, a bad Liquid render) will fail the same way every time: the
 * enrolment fails with the reason. A `system` fault (a lost connection, a serialization failure,
 * an unexpected exception) may pass: the enrolment stays where it is and is retried with backoff.
 */
export type FaultKind = 'contact' | 'system';

/** System faults in a row after which the enrolment fails (the 8th attempt is about two hours after the first). */
export const MAX_NODE_ATTEMPTS = 8;
const FIRST_RETRY_MS = 60_000;
const LONGEST_RETRY_MS = 3_600_000;

/** Our errors say what the input or the workspace got wrong, except the few that say the system is busy or broken. */
const SYSTEM_CODES: ReadonlySet<string> = new Set(['internal', 'unavailable', 'rate_limited']);

/**
 * SQLSTATE classes that say the data itself is wrong (22 data exception: a value out of range or
 * not of its type; 23 integrity constraint violation): the same row fails the same way on every
 * retry. Every other database error (40 serialization or deadlock, 08 connection, 53 resources,
 * 57 operator intervention) may pass.
 */
const DATA_SQLSTATE_CLASSES: ReadonlySet<string> = new Set(['22', '23']);

/** Classifies an error thrown by a node: every error is one or the other, unknown ones are system faults. */
export function classifyFault(error: unknown): FaultKind {
  if (error instanceof KizunaError) return SYSTEM_CODES.has(error.code) ? 'system' : 'contact';
  if (error instanceof LiquidError) return 'contact';
  const sqlstate = (error as { code?: unknown } | null)?.code;
  if (typeof sqlstate === 'string' && /^[0-9A-Z]{5}$/.test(sqlstate) && DATA_SQLSTATE_CLASSES.has(sqlstate.slice(0, 2))) return 'contact';
  return 'system';
}

/**
 * How long to wait before attempt `attempt + 1`, after `attempt` failures: 1 minute, doubling,
 * at most an hour, plus up to 10% of jitter decided by `seed` (the enrolment), so a batch that
 * failed together does not come back all at once, yet the same retry is always at the same time.
 * @example retryDelayMs({ attempt: 3, seed: enrolmentId }) // 4 minutes, plus up to 24 seconds
 */
export function retryDelayMs({ attempt, seed }: { attempt: number; seed: string }): number {
  const base = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
  const jitter = createHash('sha256').update(`${seed}:${attempt}`).digest().readUInt32BE(0) / 2 ** 32;
  return Math.round(base * (1 + 0.1 * jitter));
}

/** The message kept for a fault (first line of the error, bounded). */
export function faultMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message || (error as Error)?.name || 'unknown error').slice(0, 500);
}

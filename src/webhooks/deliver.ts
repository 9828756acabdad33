import { type Kysely, sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { type OutboundAnswer, type OutboundPolicy, OutboundRefusedError, outboundError, postOutbound } from '../platform/net/outbound.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The wait after the nth failed attempt; after the last one the delivery has failed (≈ 1 day in all). */
export const RETRY_DELAYS_MS: readonly number[] = [30 * SECOND, 2 * MINUTE, 10 * MINUTE, HOUR, 6 * HOUR, 8 * HOUR, 8 * HOUR];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** How long a claimed delivery is hidden from other workers: well past the request timeout. */
export const LEASE_MS = 60 * SECOND;
const TIMEOUT_MS = 10 * SECOND;

/** `final`: not worth retrying (the policy refused the address). */
type Outcome = { status: number; error?: undefined } | { status: number | null; error: string; final?: boolean };

interface Claimed {
  id: string;
  attempts: number;
  payload: Record<string, unknown>;
  next_attempt_at: Date;
  url: string;
  secret: string;
  /** The rotated-out secret while its grace lasts: it signs beside `secret`. */
  previous_secret: string | null;
}

/**
 * What a failed attempt makes of a delivery: due again after the backoff, or failed for good.
 * @param attempts the attempts made so far, this one included.
 */
export function afterFailure(attempts: number, now: Date): { status: 'pending'; nextAttemptAt: Date } | { status: 'failed' } {
  if (attempts >= MAX_ATTEMPTS) return { status: 'failed' };
  return { status: 'pending', nextAttemptAt: new Date(now.getTime() + RETRY_DELAYS_MS[attempts - 1]!) };
}

/**
 * Sends the webhook deliveries that are due, each once, signed per Standard Webhooks. Any number
 * of workers may run this at once: a claim hides a delivery for LEASE_MS, and a worker that dies
 * mid-request leaves it due again when the lease ends (receivers dedupe on webhook-id).
 * @returns how many requests were made.
 * Requests go only where the outbound policy allows (a refused address fails like a network error).
 * @example await drainDueWebhooks(db, clock, createOutboundPolicy(config.outboundAllow), { workspaceId })
 */
export async function drainDueWebhooks(
  db: Kysely<DB>,
  clock: Clock,
  outbound: OutboundPolicy,
  { workspaceId, limit = 20 }: { workspaceId?: string; limit?: number } = {},
): Promise<number> {
  const claimed = await claimDueWebhooks(db, clock.now(), { workspaceId, limit });
  await Promise.all(claimed.map(async (delivery) => record(db, delivery, await send(delivery, clock.now(), outbound), clock.now())));
  return claimed.length;
}

/**
 * Claims due deliveries of active endpoints with FOR UPDATE SKIP LOCKED and moves their due time
 * to the end of a lease, in one statement (its own short transaction): the requests that follow
 * hold no lock and no connection.
 */
export async function claimDueWebhooks(
  db: Kysely<DB>,
  now: Date,
  { workspaceId, limit, id, dueBy = now }: { workspaceId?: string; limit: number; id?: string; dueBy?: Date },
): Promise<Claimed[]> {
  const only = sql`${workspaceId ? sql`AND d.workspace_id = ${workspaceId}` : sql``} ${id ? sql`AND d.id = ${id}` : sql``}`;
  const { rows } = await sql<Claimed>`
    WITH due AS (
      SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.active
      WHERE d.status = 'pending' AND d.next_attempt_at <= ${dueBy} ${only}
      ORDER BY d.next_attempt_at LIMIT ${limit}
      FOR UPDATE OF d SKIP LOCKED)
    UPDATE webhook_deliveries d SET next_attempt_at = ${new Date(now.getTime() + LEASE_MS)}
    FROM due, webhook_endpoints e
    WHERE d.id = due.id AND e.id = d.endpoint_id
    RETURNING d.id, d.attempts, d.payload, d.next_attempt_at, e.url, e.secret,
      CASE WHEN e.previous_secret_until > ${now} THEN e.previous_secret END AS previous_secret`.execute(db);
  return rows;
}

/** One POST; never throws: a refusal, a network failure or a timeout is an outcome like a 500. */
async function send(delivery: Claimed, now: Date, outbound: OutboundPolicy): Promise<Outcome> {
  const { type, timestamp, data } = delivery.payload;
  try {
    const { status, snippet } = await postSignedWebhook(outbound, delivery.url, {
      id: delivery.id,
      now,
      body: JSON.stringify({ type, timestamp, data }),
      // The rotated-out secret signs too while its grace lasts: a receiver still on it verifies.
      secrets: [delivery.secret, delivery.previous_secret],
    });
    if (status >= 200 && status < 300) return { status };
    return { status, error: `HTTP ${status}${snippet ? `: ${snippet}` : ''}` };
  } catch (error) {
    return { status: null, error: outboundError(error), final: error instanceof OutboundRefusedError };
  }
}

/**
 * POSTs a Standard Webhooks request under the outbound policy: `webhook-id`, `webhook-timestamp`
 * and one `webhook-signature` per secret given (space-separated), with our user agent. A redirect
 * is an answer (it could carry the signed body elsewhere); see postOutbound for what rejects.
 */
export function postSignedWebhook(
  outbound: OutboundPolicy,
  url: string,
  { id, now, body, secrets }: { id: string; now: Date; body: string; secrets: readonly (string | null)[] },
): Promise<OutboundAnswer> {
  return postOutbound(outbound, url, {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Kizuna-Webhooks/1',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': secrets
        .filter((secret): secret is string => Boolean(secret))
        .map((secret) => new Webhook(secret).sign(id, now, body))
        .join(' '),
    },
    timeoutMs: TIMEOUT_MS,
  });
}

/**
 * Sends one delivery now, once (a test event), and fails it at once when the attempt fails
 * instead of retrying it for a day. The caller queues it a lease ahead (`next_attempt_at` = now +
 * LEASE_MS), so workers leave it alone; it is claimed here like any other all the same.
 * @returns false when it is no longer pending.
 */
export async function deliverOnce(db: Kysely<DB>, clock: Clock, outbound: OutboundPolicy, id: string): Promise<boolean> {
  const now = clock.now();
  const [delivery] = await claimDueWebhooks(db, now, { limit: 1, id, dueBy: new Date(now.getTime() + LEASE_MS) });
  if (!delivery) return false;
  await record(db, delivery, await send(delivery, clock.now(), outbound), clock.now(), { retry: false });
  return true;
}

async function record(db: Kysely<DB>, delivery: Claimed, outcome: Outcome, now: Date, { retry = true } = {}): Promise<void> {
  const attempts = delivery.attempts + 1;
  if (outcome.error === undefined) {
    // Delivered is delivered, even if this worker's lease ran out meanwhile.
    await db
      .updateTable('webhook_deliveries')
      .set({ status: 'delivered', attempts, last_status: outcome.status, last_error: null, delivered_at: now })
      .where('id', '=', delivery.id)
      .where('status', '=', 'pending')
      .execute();
    return;
  }
  const next = retry && !outcome.final ? afterFailure(attempts, now) : ({ status: 'failed' } as const);
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: next.status,
      attempts,
      last_status: outcome.status,
      last_error: outcome.error.slice(0, 1000),
      ...(next.status === 'pending' ? { next_attempt_at: next.nextAttemptAt } : {}),
    })
    .where('id', '=', delivery.id)
    .where('status', '=', 'pending')
    // Only while the lease is ours: a worker that took over after it ran out records its own attempt.
    .where('next_attempt_at', '=', delivery.next_attempt_at)
    .execute();
}

import { randomBytes, randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { DB, WebhookDeliveriesTable, WebhookEndpointsTable } from '../platform/db/schema.ts';
import { KizunaError, notFound } from '../platform/errors.ts';
import type { OutboundPolicy } from '../platform/net/outbound.ts';
import { decodeCursor, encodeCursor, type Page } from '../platform/pagination.ts';
import { parseInput } from '../platform/parse-input.ts';
import { deliverOnce, LEASE_MS } from './deliver.ts';
import { SIGNAL_KINDS } from './signal-kinds.ts';

export const ZWebhookInput = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .max(2000)
      .openapi({ description: 'Where each signal is POSTed as JSON, signed per Standard Webhooks.' }),
    description: z.string().trim().max(500).nullable().optional(),
    kinds: z
      .array(z.enum(SIGNAL_KINDS, { error: `expected one of ${SIGNAL_KINDS.join(', ')}` }))
      .min(1, 'subscribe to at least one signal kind')
      .max(SIGNAL_KINDS.length)
      .openapi({ description: 'The signal kinds this endpoint receives, e.g. ["handoff.assigned"].' }),
    active: z.boolean().optional().openapi({ description: 'An inactive endpoint is sent nothing (default true).' }),
  })
  .strict()
  .openapi('WebhookInput');
export const ZWebhookPatch = ZWebhookInput.partial().strict().openapi('WebhookPatch');

export const ZWebhook = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    kinds: z.array(z.string()),
    active: z.boolean(),
    previousSecretUntil: z
      .string()
      .nullable()
      .openapi({ description: 'After a rotation: until when the old secret still signs beside the new one.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Webhook');
export type Webhook = z.infer<typeof ZWebhook>;

export const ZWebhookWithSecret = ZWebhook.extend({
  secret: z.string().openapi({ description: 'The signing secret (whsec_…): shown on creation and rotation only, never again.' }),
}).openapi('WebhookWithSecret');
export type WebhookWithSecret = z.infer<typeof ZWebhookWithSecret>;

export const ZWebhookDelivery = z
  .object({
    id: z.uuid().openapi({ description: 'The webhook-id header: the same on every attempt.' }),
    signalId: z.string().nullable().openapi({ description: 'The signal it carries; null for a test event.' }),
    kind: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable().openapi({ description: 'While pending: when the next attempt is due.' }),
    lastStatus: z.number().int().nullable().openapi({ description: 'The HTTP status of the last answer, if any.' }),
    lastError: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
  })
  .openapi('WebhookDelivery');
export type WebhookDelivery = z.infer<typeof ZWebhookDelivery>;

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Registers an endpoint; the result carries its signing secret, which no later read shows. */
export async function createWebhook(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<WebhookWithSecret> {
  const parsed = parseInput(ZWebhookInput, input);
  const now = clock.now();
  const row = await db
    .insertInto('webhook_endpoints')
    .values({
      id: randomUUID(),
      workspace_id: workspaceId,
      url: parsed.url,
      description: parsed.description ?? null,
      secret: newSecret(),
      kinds: [...new Set(parsed.kinds)],
      active: parsed.active ?? true,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...toWebhook(row), secret: row.secret };
}

export async function listWebhooks(db: Kysely<DB>, workspaceId: string): Promise<Webhook[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toWebhook);
}

export async function getWebhook(db: Kysely<DB>, workspaceId: string, id: string): Promise<Webhook> {
  return toWebhook(await loadEndpoint(db, workspaceId, id));
}

/**
 * Changes an endpoint's url, description, kinds or active flag. Deactivating it gives up its
 * pending deliveries (marked failed), so turning it back on later does not replay a backlog.
 */
export async function updateWebhook(db: Kysely<DB>, workspaceId: string, id: string, input: unknown, clock: Clock): Promise<Webhook> {
  const { kinds, ...parsed } = parseInput(ZWebhookPatch, input);
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('webhook_endpoints')
      .set({ ...parsed, ...(kinds ? { kinds: [...new Set(kinds)] } : {}), updated_at: clock.now() })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('webhook', id);
    if (parsed.active === false) {
      await tx
        .updateTable('webhook_deliveries')
        .set({ status: 'failed', last_error: 'not sent: the endpoint was deactivated' })
        .where('endpoint_id', '=', id)
        .where('status', '=', 'pending')
        .execute();
    }
    return toWebhook(row);
  });
}

/** Deletes an endpoint and its deliveries (pending ones are never sent). */
export async function deleteWebhook(db: Kysely<DB>, workspaceId: string, id: string): Promise<void> {
  const result = await db.deleteFrom('webhook_endpoints').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw notFound('webhook', id);
}

/** How long a rotated secret signs beside the new one unless the rotation says otherwise. */
export const ROTATION_GRACE_HOURS = 24;

/**
 * Replaces the signing secret. The old one keeps signing beside it for `graceHours` (24 by
 * default; 0 stops it at once), so receivers can switch without refusing requests meanwhile.
 */
export async function rotateWebhookSecret(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  clock: Clock,
  { graceHours = ROTATION_GRACE_HOURS }: { graceHours?: number } = {},
): Promise<WebhookWithSecret> {
  const now = clock.now();
  const until = graceHours > 0 ? new Date(now.getTime() + graceHours * 3_600_000) : null;
  const row = await db
    .updateTable('webhook_endpoints')
    .set((eb) => ({
      previous_secret: until ? eb.ref('secret') : null,
      previous_secret_until: until,
      secret: newSecret(),
      updated_at: now,
    }))
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('webhook', id);
  return { ...toWebhook(row), secret: row.secret };
}

/** The kind of a test event: no signal has it, so no subscription receives it unasked. */
export const TEST_EVENT_KIND = 'webhook.test';

/**
 * Sends a test event to an endpoint now, signed with its secret like every delivery, and returns
 * the delivery with the receiver's answer (delivered, or failed with the status or error). It is
 * tried once, not retried, and is listed with the endpoint's deliveries.
 */
export async function sendTestWebhook(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  clock: Clock,
  outbound: OutboundPolicy,
): Promise<WebhookDelivery> {
  const endpoint = await loadEndpoint(db, workspaceId, id);
  if (!endpoint.active) throw new KizunaError('conflict', `webhook ${id} is inactive; activate it to send a test event`);
  const now = clock.now();
  const deliveryId = randomUUID();
  await db
    .insertInto('webhook_deliveries')
    .values({
      id: deliveryId,
      workspace_id: workspaceId,
      endpoint_id: id,
      signal_id: null,
      kind: TEST_EVENT_KIND,
      payload: JSON.stringify({
        type: TEST_EVENT_KIND,
        timestamp: now.toISOString(),
        data: { webhookId: id, message: 'A test event from Kizuna: this endpoint receives and can verify our signed webhooks.' },
      }),
      // A lease ahead: a worker draining meanwhile leaves it to this request (deliverOnce).
      next_attempt_at: new Date(now.getTime() + LEASE_MS),
      last_status: null,
      last_error: null,
      created_at: now,
      delivered_at: null,
    })
    .execute();
  await deliverOnce(db, clock, outbound, deliveryId);
  return toDelivery(await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirstOrThrow());
}

/** An endpoint's deliveries, newest first, a page at a time. */
export async function listWebhookDeliveries(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  { limit, cursor }: { limit: number; cursor?: string },
): Promise<Page<WebhookDelivery>> {
  await loadEndpoint(db, workspaceId, id);
  const after = decodeCursor(cursor);
  let query = db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', id);
  if (after) query = query.where(sql<boolean>`(created_at, id) < (${new Date(String(after.value))}::timestamptz, ${after.id}::uuid)`);
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toDelivery),
    nextCursor: rows.length > limit && last ? encodeCursor({ value: last.created_at.toISOString(), id: last.id }) : null,
  };
}

async function loadEndpoint(db: Kysely<DB>, workspaceId: string, id: string): Promise<Selectable<WebhookEndpointsTable>> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('webhook', id);
  return row;
}

// The secret is left out on purpose: only creation and rotation return it.
function toWebhook(row: Selectable<WebhookEndpointsTable>): Webhook {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    kinds: row.kinds,
    active: row.active,
    previousSecretUntil: row.previous_secret_until?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: row.id,
    signalId: row.signal_id,
    kind: row.kind,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    lastStatus: row.last_status,
    lastError: row.last_error,
    payload: row.payload,
    createdAt: row.created_at.toISOString(),
    deliveredAt: row.delivered_at?.toISOString() ?? null,
  };
}

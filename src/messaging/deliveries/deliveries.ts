import { z } from '@hono/zod-openapi';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB, DeliveriesTable, DeliveryChannel } from '../../platform/db/schema.ts';
import { notFound } from '../../platform/errors.ts';
import { newestFirst, type Page } from '../../platform/pagination.ts';
import { parseInput } from '../../platform/parse-input.ts';
import type { SendKind } from '../compliance/suppression.ts';

/** Content given inline instead of a template (system mail such as a double opt-in confirmation). */
export interface InlineEmail {
  subject: string;
  html: string;
  text: string;
}

/** A message to queue for one contact. */
export interface NewDelivery {
  workspaceId: string;
  contactId: string;
  channel: DeliveryChannel;
  kind: SendKind;
  /** campaign:<id>, journey:<id>, api, test, system:<what>. */
  source: string;
  /** Queuing the same key twice queues one message. */
  dedupeKey?: string;
  campaignId?: string;
  templateId?: string;
  templateVersion?: number;
  variant?: string;
  topic?: string;
  priority?: number;
  content?: InlineEmail | Record<string, unknown>;
  context?: { event?: Record<string, unknown>; journey?: Record<string, unknown> };
  dueAt: Date;
}

/**
 * Queues messages; a delivery whose dedupe key is already queued (or sent) is left as it is.
 * One statement for the whole list.
 * @returns how many were queued (duplicates not counted).
 */
export async function enqueueDeliveries(db: Kysely<DB>, items: readonly NewDelivery[], now: Date): Promise<number> {
  if (items.length === 0) return 0;
  // One JSON parameter for the whole list: a multi-row VALUES of thousands of parameters parses slowly.
  const rows = items.map((d) => ({
    workspace_id: d.workspaceId,
    contact_id: d.contactId,
    channel: d.channel,
    kind: d.kind,
    campaign_id: d.campaignId ?? null,
    source: d.source,
    dedupe_key: d.dedupeKey ?? null,
    template_id: d.templateId ?? null,
    template_version: d.templateVersion ?? null,
    variant: d.variant ?? null,
    topic: d.topic ?? null,
    priority: d.priority ?? 0,
    content: d.content ?? null,
    context: d.context ?? null,
    due_at: d.dueAt.toISOString(),
  }));
  const result = await sql`
    INSERT INTO deliveries (id, workspace_id, contact_id, channel, kind, campaign_id, source, dedupe_key, template_id,
      template_version, variant, topic, priority, content, context, status, due_at, created_at)
    SELECT gen_random_uuid(), d.workspace_id, d.contact_id, d.channel, d.kind, d.campaign_id, d.source, d.dedupe_key, d.template_id,
      d.template_version, d.variant, d.topic, d.priority, d.content, d.context, 'queued', d.due_at, ${now}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS d(workspace_id uuid, contact_id uuid, channel text, kind text,
      campaign_id uuid, source text, dedupe_key text, template_id uuid, template_version int, variant text, topic text,
      priority smallint, content jsonb, context jsonb, due_at timestamptz)
    ON CONFLICT (workspace_id, dedupe_key) DO NOTHING`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

const STATUSES = [
  'queued',
  'sending',
  'deferred',
  'sent',
  'failed',
  'skipped',
  'bounced',
  'soft_bounced',
  'opened',
  'clicked',
  'unsubscribed',
  'complained',
] as const;

export const ZDelivery = z
  .object({
    id: z.uuid(),
    contactId: z.string().nullable(),
    channel: z.enum(['email', 'sms', 'webhook']),
    kind: z.enum(['marketing', 'transactional']),
    campaignId: z.string().nullable(),
    source: z.string(),
    templateId: z.string().nullable(),
    templateVersion: z.number().nullable(),
    variant: z.string().nullable(),
    topic: z.string().nullable(),
    to: z.string().nullable(),
    status: z.enum(STATUSES),
    dueAt: z.string(),
    attempts: z.number(),
    reason: z.string().nullable().openapi({ description: 'skipped: the policy that stopped it; deferred: why it waits.' }),
    error: z.string().nullable(),
    messageId: z.string().nullable(),
    providerResponse: z.string().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    openedAt: z.string().nullable().openapi({ description: 'First open by a person (machine opens excluded).' }),
    machineOpenedAt: z.string().nullable(),
    clickedAt: z.string().nullable(),
    bouncedAt: z.string().nullable(),
    complainedAt: z.string().nullable(),
    unsubscribedAt: z.string().nullable(),
  })
  .openapi('Delivery');
export type Delivery = z.infer<typeof ZDelivery>;

export const ZDeliveryQuery = z.object({
  contactId: z.uuid().optional(),
  campaignId: z.uuid().optional(),
  status: z.enum(STATUSES).optional(),
  channel: z.enum(['email', 'sms', 'webhook']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});

/** Deliveries newest first, by contact, campaign, status or channel. */
export async function listDeliveries(db: Kysely<DB>, workspaceId: string, query: unknown): Promise<Page<Delivery>> {
  const q = parseInput(ZDeliveryQuery, query);
  let select = db.selectFrom('deliveries').selectAll().where('workspace_id', '=', workspaceId);
  if (q.contactId) select = select.where('contact_id', '=', q.contactId);
  if (q.campaignId) select = select.where('campaign_id', '=', q.campaignId);
  if (q.status) select = select.where('status', '=', q.status);
  if (q.channel) select = select.where('channel', '=', q.channel);
  return newestFirst(select, q, toDelivery);
}

export async function getDelivery(db: Kysely<DB>, workspaceId: string, id: string): Promise<Delivery> {
  const row = await db.selectFrom('deliveries').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('delivery', id);
  return toDelivery(row);
}

/** Cancels queued or deferred messages (of a campaign, say): they become skipped with reason cancelled. */
export async function cancelPendingDeliveries(
  db: Kysely<DB>,
  workspaceId: string,
  where: { campaignId: string },
  now: Date,
): Promise<number> {
  const result = await sql`
    UPDATE deliveries SET status = 'skipped', reason = 'cancelled', due_at = ${now}
    WHERE workspace_id = ${workspaceId} AND campaign_id = ${where.campaignId} AND status IN ('queued', 'deferred')`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export function toDelivery(row: Selectable<DeliveriesTable>): Delivery {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    id: row.id,
    contactId: row.contact_id,
    channel: row.channel,
    kind: row.kind,
    campaignId: row.campaign_id,
    source: row.source,
    templateId: row.template_id,
    templateVersion: row.template_version,
    variant: row.variant,
    topic: row.topic,
    to: row.to_address,
    status: row.status,
    dueAt: row.due_at.toISOString(),
    attempts: row.attempts,
    reason: row.reason,
    error: row.error,
    messageId: row.message_id,
    providerResponse: row.provider_response,
    createdAt: row.created_at.toISOString(),
    sentAt: iso(row.sent_at),
    openedAt: iso(row.opened_at),
    machineOpenedAt: iso(row.machine_opened_at),
    clickedAt: iso(row.clicked_at),
    bouncedAt: iso(row.bounced_at),
    complainedAt: iso(row.complained_at),
    unsubscribedAt: iso(row.unsubscribed_at),
  };
}

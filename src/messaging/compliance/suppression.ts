import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB, Frequency, SuppressionReason, SuppressionsTable } from '../../platform/db/schema.ts';
import { invalidInput, notFound } from '../../platform/errors.ts';
import { newestFirst, type Page } from '../../platform/pagination.ts';
import { parseInput } from '../../platform/parse-input.ts';
import { type ComplianceDeps, complianceUnitOfWork, recordComplianceEvent } from './compliance-event.ts';

export const SUPPRESSION_REASONS = ['hard_bounce', 'complaint', 'unsubscribe', 'manual'] as const;

export type SendKind = 'marketing' | 'transactional';
/** Why a message may not go to a recipient. */
export type BlockReason = 'no_email' | 'hard_bounce' | 'complaint' | 'manual' | 'unsubscribe' | 'topic_opt_out';
export interface Recipient {
  contactId: string;
  email: string | null;
}
export type SendDecision =
  | { contactId: string; email: string; allowed: true; frequency: Frequency }
  | { contactId: string; email: string | null; allowed: false; reason: BlockReason };

// Hard bounces and complaints stop every message; the rest stop marketing only.
const BLOCKS_TRANSACTIONAL: ReadonlySet<string> = new Set(['complaint', 'hard_bounce']);
const ORDER: readonly BlockReason[] = ['complaint', 'hard_bounce', 'manual', 'unsubscribe'];

/**
 * The send-time policy for a batch of recipients, in one query: every marketing and
 * transactional send asks this first. Hard bounces and complaints block both kinds; manual and
 * unsubscribe suppressions and a topic opt-out block marketing only.
 * @example const decisions = await checkSendPolicy(tx, ws, [{ contactId, email }], { kind: 'marketing', topic: 'newsletter' })
 */
export async function checkSendPolicy(
  tx: Kysely<DB>,
  workspaceId: string,
  recipients: readonly Recipient[],
  { kind, topic }: { kind: SendKind; topic?: string },
): Promise<SendDecision[]> {
  if (recipients.length === 0) return [];
  const emails = recipients.map((r) => r.email?.trim().toLowerCase() || null);
  const { rows } = await sql<{
    n: string;
    reasons: string[] | null;
    topic_id: string | null;
    subscribed: boolean | null;
    frequency: Frequency | null;
  }>`
    WITH r AS (
      SELECT * FROM unnest(${recipients.map((r) => r.contactId)}::uuid[], ${emails}::text[]) WITH ORDINALITY AS r (contact_id, email, n)
    )
    SELECT r.n,
      (SELECT array_agg(DISTINCT s.reason) FROM suppressions s
        WHERE s.workspace_id = ${workspaceId} AND s.lifted_at IS NULL AND (s.email = r.email OR s.contact_id = r.contact_id)) AS reasons,
      t.id AS topic_id,
      coalesce((SELECT tp.subscribed FROM topic_preferences tp WHERE tp.contact_id = r.contact_id AND tp.topic_id = t.id), t.default_subscribed) AS subscribed,
      cp.frequency
    FROM r
    LEFT JOIN subscription_topics t ON t.workspace_id = ${workspaceId} AND t.key = ${topic ?? null}
    LEFT JOIN contact_preferences cp ON cp.contact_id = r.contact_id AND cp.workspace_id = ${workspaceId}
    ORDER BY r.n`.execute(tx);
  if (topic !== undefined && rows[0]?.topic_id === null)
    throw invalidInput([{ path: 'topic', message: `no subscription topic "${topic}" in this workspace` }]);
  return recipients.map(({ contactId }, i): SendDecision => {
    const email = emails[i] ?? null;
    if (!email) return { contactId, email, allowed: false, reason: 'no_email' };
    const reasons = new Set(rows[i]?.reasons ?? []);
    const blocking = ORDER.find((reason) => reasons.has(reason) && (kind === 'marketing' || BLOCKS_TRANSACTIONAL.has(reason)));
    if (blocking) return { contactId, email, allowed: false, reason: blocking };
    if (kind === 'marketing' && topic !== undefined && rows[i]?.subscribed === false)
      return { contactId, email, allowed: false, reason: 'topic_opt_out' };
    return { contactId, email, allowed: true, frequency: rows[i]?.frequency ?? 'all' };
  });
}

export const ZSuppressionInput = z
  .object({
    email: z.email({ error: 'expected an email address' }).max(320),
    reason: z.enum(SUPPRESSION_REASONS, { error: `expected one of ${SUPPRESSION_REASONS.join(', ')}` }).default('manual'),
    detail: z.string().trim().max(1000).optional().openapi({ description: 'Why, for the record (a ticket, the bounce text).' }),
  })
  .strict()
  .openapi('SuppressionInput');

export const ZSuppression = z
  .object({
    id: z.uuid(),
    email: z.string(),
    contactId: z.string().nullable(),
    reason: z.enum(SUPPRESSION_REASONS),
    source: z.string(),
    detail: z.string().nullable(),
    createdAt: z.string(),
    liftedAt: z.string().nullable(),
    liftedBy: z.string().nullable(),
  })
  .openapi('Suppression');
export type Suppression = z.infer<typeof ZSuppression>;

export const ZSuppressionQuery = z.object({
  email: z.string().optional().openapi({ description: 'Only this address.' }),
  reason: z.enum(SUPPRESSION_REASONS).optional(),
  active: z.enum(['true', 'false']).optional().openapi({ description: 'true: only not lifted; false: only lifted.' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});

export interface SuppressOptions {
  workspaceId: string;
  email: string;
  /** Defaults to the workspace's contact with this address, if any. */
  contactId?: string | null;
  reason: SuppressionReason;
  /** Where it came from: `one_click`, `preference_center`, `api`, `dsn`, `arf`… */
  source: string;
  detail?: string | null;
  ip?: string;
  /** Extra event properties (topic, deliveryId). */
  properties?: Record<string, unknown>;
}

/**
 * Suppresses an address (a no-op returning the active row when one with this reason exists) and
 * writes the contact's event: `Unsubscribed` for an unsubscribe, else `Email Suppressed`.
 */
export async function suppress(db: Kysely<DB>, options: SuppressOptions, deps: ComplianceDeps): Promise<Suppression> {
  return complianceUnitOfWork(db, deps, (tx, now) => suppressIn(tx, options, now));
}

/** `suppress` inside a caller's unit of work. */
export async function suppressIn(tx: Kysely<DB>, options: SuppressOptions, now: Date): Promise<Suppression> {
  const email = options.email.trim().toLowerCase();
  const { workspaceId, reason } = options;
  const active = await tx
    .selectFrom('suppressions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('email', '=', email)
    .where('reason', '=', reason)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
  if (active) return toSuppression(active);
  const contactId =
    options.contactId !== undefined
      ? await existingContact(tx, workspaceId, options.contactId)
      : ((
          await tx.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).where('email', '=', email).executeTakeFirst()
        )?.id ?? null);
  const row = await tx
    .insertInto('suppressions')
    .values({
      id: randomUUID(),
      workspace_id: workspaceId,
      email,
      contact_id: contactId,
      reason,
      source: options.source,
      detail: options.detail ?? null,
      created_at: now,
      lifted_at: null,
      lifted_by: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (contactId) {
    await recordComplianceEvent(tx, {
      workspaceId,
      contactId,
      name: reason === 'unsubscribe' ? 'Unsubscribed' : 'Email Suppressed',
      properties: { reason, source: options.source, ...options.properties },
      ip: options.ip,
      at: now,
    });
  }
  return toSuppression(row);
}

/** Lifts one suppression whatever its reason: for an admin (re-subscribing lifts unsubscribes only). */
export async function liftSuppression(
  db: Kysely<DB>,
  { workspaceId, id, by }: { workspaceId: string; id: string; by: string },
  deps: ComplianceDeps,
): Promise<Suppression> {
  return complianceUnitOfWork(db, deps, async (tx, now) => {
    const row = await tx
      .updateTable('suppressions')
      .set({ lifted_at: now, lifted_by: by })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('lifted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('active suppression', id);
    if (row.contact_id && (await existingContact(tx, workspaceId, row.contact_id))) {
      await recordComplianceEvent(tx, {
        workspaceId,
        contactId: row.contact_id,
        name: 'Email Suppression Lifted',
        properties: { reason: row.reason, by },
        at: now,
      });
    }
    return toSuppression(row);
  });
}

/** Lifts the address's unsubscribe suppressions (a confirmed re-subscription); never a bounce or complaint. */
export async function liftUnsubscribes(tx: Kysely<DB>, workspaceId: string, email: string, by: string, now: Date): Promise<number> {
  const lifted = await tx
    .updateTable('suppressions')
    .set({ lifted_at: now, lifted_by: by })
    .where('workspace_id', '=', workspaceId)
    .where('email', '=', email.toLowerCase())
    .where('reason', '=', 'unsubscribe')
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
  return Number(lifted.numUpdatedRows);
}

/** Active suppressions of an address or a contact. */
export async function activeSuppressions(
  db: Kysely<DB>,
  workspaceId: string,
  { email, contactId }: { email: string | null; contactId: string },
): Promise<Suppression[]> {
  const rows = await db
    .selectFrom('suppressions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('lifted_at', 'is', null)
    .where((eb) => eb.or([eb('contact_id', '=', contactId), ...(email ? [eb('email', '=', email.toLowerCase())] : [])]))
    .orderBy('created_at')
    .execute();
  return rows.map(toSuppression);
}

/** Suppressions newest first, by address, reason and whether lifted. */
export async function listSuppressions(db: Kysely<DB>, workspaceId: string, query: unknown): Promise<Page<Suppression>> {
  const q = parseInput(ZSuppressionQuery, query);
  let select = db.selectFrom('suppressions').selectAll().where('workspace_id', '=', workspaceId);
  if (q.email) select = select.where('email', '=', q.email.trim().toLowerCase());
  if (q.reason) select = select.where('reason', '=', q.reason);
  if (q.active) select = select.where('lifted_at', q.active === 'true' ? 'is' : 'is not', null);
  return newestFirst(select, q, toSuppression);
}

/** Suppresses an address from the admin API. */
export async function createSuppression(db: Kysely<DB>, workspaceId: string, input: unknown, deps: ComplianceDeps): Promise<Suppression> {
  const parsed = parseInput(ZSuppressionInput, input);
  return suppress(db, { workspaceId, email: parsed.email, reason: parsed.reason, source: 'api', detail: parsed.detail }, deps);
}

async function existingContact(tx: Kysely<DB>, workspaceId: string, contactId: string | null): Promise<string | null> {
  if (!contactId) return null;
  const row = await tx
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  return row?.id ?? null;
}

function toSuppression(row: Selectable<SuppressionsTable>): Suppression {
  return {
    id: row.id,
    email: row.email,
    contactId: row.contact_id,
    reason: row.reason,
    source: row.source,
    detail: row.detail,
    createdAt: row.created_at.toISOString(),
    liftedAt: row.lifted_at?.toISOString() ?? null,
    liftedBy: row.lifted_by,
  };
}

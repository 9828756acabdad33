import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { type Kysely, type Selectable, sql } from 'kysely';
import { getSendingSettings } from '../messaging/deliveries/sending-settings.ts';
import type { DB, OwnerNotificationKind, OwnerNotificationsTable } from '../platform/db/schema.ts';
import { newestFirst, type Page, ZPageQuery } from '../platform/pagination.ts';
import { composeOwnerMail, type OwnerNotificationFacts, ZOwnerNotificationFacts } from './owner-notification-mail.ts';

/** One owner email to queue, in the transaction of its cause. */
export interface OwnerNotificationInput {
  contactId: string;
  /** The owner's address (contacts.owner, handoffs.owner). */
  to: string;
  kind: OwnerNotificationKind;
  facts: OwnerNotificationFacts;
  /** Deterministic per cause: queuing it again (a retried transaction, a replayed step) adds nothing. */
  idempotencyKey: string;
}

/** An owner mail can reach; PostgreSQL reads its source alike (the SLA breach statement filters with it). */
export const OWNER_ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** Whether an owner is someone mail can reach: owners are free text, sales users are addresses. */
export function isMailableOwner(owner: string | null | undefined): owner is string {
  return Boolean(owner && OWNER_ADDRESS.test(owner));
}

/**
 * Queues owner emails in the caller's transaction; the worker sends them (sendDueOwnerNotifications).
 * Owners that are no address are left out, and nothing is queued where the workspace turned
 * owner emails off (sending settings). @returns how many were queued (not queued before).
 */
export async function queueOwnerNotifications(
  tx: Kysely<DB>,
  workspaceId: string,
  items: readonly OwnerNotificationInput[],
  now: Date,
): Promise<number> {
  const mailable = items.filter((i) => isMailableOwner(i.to));
  if (mailable.length === 0) return 0;
  if (!(await getSendingSettings(tx, workspaceId)).ownerEmails) return 0;
  const queued = await tx
    .insertInto('owner_notifications')
    .values(
      mailable.map((i) => ({
        id: randomUUID(),
        workspace_id: workspaceId,
        contact_id: i.contactId,
        to_email: i.to,
        kind: i.kind,
        facts: JSON.stringify(i.facts),
        subject: null,
        text: null,
        html: null,
        idempotency_key: i.idempotencyKey,
        next_attempt_at: now,
        sent_at: null,
        last_error: null,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .execute();
  return queued.length;
}

/** The contact part of owner emails: who, which company, which stage, the current scores. */
export async function loadContactFacts(
  tx: Kysely<DB>,
  workspaceId: string,
  contactIds: readonly string[],
): Promise<Map<string, OwnerNotificationFacts['contact']>> {
  if (contactIds.length === 0) return new Map();
  const ids = sql<string>`ANY(${[...contactIds]}::uuid[])`;
  const [contacts, scores] = await Promise.all([
    tx
      .selectFrom('contacts')
      .select(['id', 'email', 'first_name', 'last_name', 'name_order', 'company_name', 'lifecycle_stage'])
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', ids)
      .execute(),
    tx
      .selectFrom('contact_scores as s')
      .innerJoin('scoring_models as m', 'm.id', 's.model_id')
      .select(['s.contact_id', 'm.name', 's.score', 's.band'])
      .where('s.workspace_id', '=', workspaceId)
      .where('s.contact_id', '=', ids)
      .orderBy('m.name')
      .execute(),
  ]);
  return new Map(
    contacts.map((c) => [
      c.id,
      {
        id: c.id,
        email: c.email,
        firstName: c.first_name,
        lastName: c.last_name,
        nameOrder: c.name_order,
        company: c.company_name,
        stage: c.lifecycle_stage,
        scores: scores.filter((s) => s.contact_id === c.id).map((s) => ({ model: s.name, score: s.score, band: s.band })),
      },
    ]),
  );
}

/** Where an owner opens the contact: its record under the server's public URL (the API until the web UI lands). */
export function contactUrlOf(publicUrl: string | undefined, contactId: string | null): string | undefined {
  return publicUrl && contactId ? `${publicUrl}/api/contacts/${contactId}` : undefined;
}

export const ZOwnerNotification = z
  .object({
    id: z.string(),
    contactId: z.string().nullable(),
    to: z.string(),
    kind: z.enum(['handoff.assigned', 'handoff.sla_breached', 'owner.notified']),
    status: z.enum(['queued', 'sending', 'sent', 'failed']),
    /** What went out; before it is sent, what would go out now. */
    subject: z.string(),
    text: z.string(),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    sentAt: z.string().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('OwnerNotification');
export type OwnerNotification = z.infer<typeof ZOwnerNotification>;

export const ZOwnerNotificationQuery = ZPageQuery.extend({
  owner: z.string().optional().openapi({ description: 'Only the emails to this owner (their address).' }),
  contactId: z.uuid().optional(),
  status: z.enum(['queued', 'sending', 'sent', 'failed']).optional(),
});

/** The owner emails of a workspace, newest first: what was sent to whom, and what still waits or failed. */
export async function listOwnerNotifications(
  db: Kysely<DB>,
  workspaceId: string,
  query: z.infer<typeof ZOwnerNotificationQuery>,
  { publicUrl }: { publicUrl?: string } = {},
): Promise<Page<OwnerNotification>> {
  let select = db.selectFrom('owner_notifications').selectAll().where('workspace_id', '=', workspaceId);
  if (query.owner) select = select.where('to_email', '=', query.owner);
  if (query.contactId) select = select.where('contact_id', '=', query.contactId);
  if (query.status) select = select.where('status', '=', query.status);
  const { locale, timezone } = await db
    .selectFrom('workspaces')
    .select(['locale', 'timezone'])
    .where('id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  return newestFirst(select, query, (row: Selectable<OwnerNotificationsTable>) => {
    const mail =
      row.subject !== null && row.text !== null
        ? { subject: row.subject, text: row.text }
        : composeOwnerMail(row.kind, ZOwnerNotificationFacts.parse(row.facts), {
            locale,
            timeZone: timezone,
            contactUrl: contactUrlOf(publicUrl, row.contact_id),
          });
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    return {
      id: row.id,
      contactId: row.contact_id,
      to: row.to_email,
      kind: row.kind,
      status: row.status,
      subject: mail.subject,
      text: mail.text,
      attempts: row.attempts,
      nextAttemptAt: row.status === 'queued' ? row.next_attempt_at.toISOString() : null,
      sentAt: iso(row.sent_at),
      lastError: row.last_error,
      createdAt: row.created_at.toISOString(),
    };
  });
}

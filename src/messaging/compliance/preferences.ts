import { z } from '@hono/zod-openapi';
import { type Kysely, sql } from 'kysely';
import type { DB, Frequency } from '../../platform/db/schema.ts';
import { invalidInput, notFound } from '../../platform/errors.ts';
import { parseInput } from '../../platform/parse-input.ts';
import { type ComplianceDeps, complianceUnitOfWork, recordComplianceEvent } from './compliance-event.ts';
import { activeSuppressions, type Suppression, suppressIn, ZSuppression } from './suppression.ts';

export const FREQUENCIES = ['all', 'weekly', 'monthly'] as const;

export const ZContactPreferences = z
  .object({
    contactId: z.uuid(),
    email: z.string().nullable(),
    locale: z.enum(['ja', 'en']).openapi({ description: 'The language of the preference page: the contact’s, else the workspace’s.' }),
    unsubscribed: z.boolean().openapi({ description: 'Unsubscribed from all marketing; only a confirmed double opt-in undoes it.' }),
    frequency: z.enum(FREQUENCIES),
    topics: z.array(
      z.object({ key: z.string(), nameJa: z.string(), nameEn: z.string(), description: z.string().nullable(), subscribed: z.boolean() }),
    ),
    suppressions: z.array(ZSuppression).openapi({ description: 'The active suppressions of the contact or its address.' }),
  })
  .openapi('ContactPreferences');
export type ContactPreferences = z.infer<typeof ZContactPreferences>;

export const ZPreferencesUpdate = z
  .object({
    frequency: z.enum(FREQUENCIES, { error: `expected one of ${FREQUENCIES.join(', ')}` }).optional(),
    topics: z
      .record(z.string(), z.boolean({ error: 'expected true (subscribed) or false' }))
      .optional()
      .openapi({ description: 'Topic key → subscribed, e.g. {"newsletter": false}. Topics not named keep their choice.' }),
  })
  .strict()
  .openapi('PreferencesUpdate');
export type PreferencesUpdate = z.infer<typeof ZPreferencesUpdate>;

/** A contact's topics (choice or the topic's default), frequency, and whether unsubscribed or suppressed. */
export async function getPreferences(db: Kysely<DB>, workspaceId: string, contactId: string): Promise<ContactPreferences> {
  const contact = await db
    .selectFrom('contacts')
    .innerJoin('workspaces', 'workspaces.id', 'contacts.workspace_id')
    .leftJoin('contact_preferences', 'contact_preferences.contact_id', 'contacts.id')
    .select(['contacts.email', 'contacts.locale', 'workspaces.locale as workspace_locale', 'contact_preferences.frequency'])
    .where('contacts.workspace_id', '=', workspaceId)
    .where('contacts.id', '=', contactId)
    .executeTakeFirst();
  if (!contact) throw notFound('contact', contactId);
  const topics = await db
    .selectFrom('subscription_topics as t')
    .leftJoin('topic_preferences as p', (join) => join.onRef('p.topic_id', '=', 't.id').on('p.contact_id', '=', contactId))
    .select([
      't.key',
      't.name_ja',
      't.name_en',
      't.description',
      sql<boolean>`coalesce(p.subscribed, t.default_subscribed)`.as('subscribed'),
    ])
    .where('t.workspace_id', '=', workspaceId)
    .orderBy('t.created_at')
    .orderBy('t.key')
    .execute();
  const suppressions = await activeSuppressions(db, workspaceId, { email: contact.email, contactId });
  return {
    contactId,
    email: contact.email,
    locale: (contact.locale ?? contact.workspace_locale).toLowerCase().startsWith('ja') ? 'ja' : 'en',
    unsubscribed: suppressions.some((s) => s.reason === 'unsubscribe'),
    frequency: contact.frequency ?? 'all',
    topics: topics.map((t) => ({ key: t.key, nameJa: t.name_ja, nameEn: t.name_en, description: t.description, subscribed: t.subscribed })),
    suppressions,
  };
}

/**
 * Changes topic choices and the frequency; each topic turned off writes `Unsubscribed` with its
 * topic, each turned on `Subscribed`. Does not undo an unsubscribe from all (see requestOptIn).
 */
export async function updatePreferences(
  db: Kysely<DB>,
  { workspaceId, contactId, input, source, ip }: { workspaceId: string; contactId: string; input: unknown; source: string; ip?: string },
  deps: ComplianceDeps,
): Promise<ContactPreferences> {
  const update = parseInput(ZPreferencesUpdate, input);
  const before = await getPreferences(db, workspaceId, contactId);
  const known = new Map(before.topics.map((t) => [t.key, t]));
  const unknown = Object.keys(update.topics ?? {}).filter((key) => !known.has(key));
  if (unknown.length > 0) throw invalidInput(unknown.map((key) => ({ path: `topics.${key}`, message: 'no such topic in this workspace' })));
  await complianceUnitOfWork(db, deps, async (tx, now) => {
    for (const [key, subscribed] of Object.entries(update.topics ?? {})) {
      await setTopic(tx, { workspaceId, contactId, key, subscribed, source, ip, now, changed: known.get(key)?.subscribed !== subscribed });
    }
    if (update.frequency && update.frequency !== before.frequency)
      await setFrequency(tx, workspaceId, contactId, update.frequency, source, now, ip);
  });
  return getPreferences(db, workspaceId, contactId);
}

/**
 * Unsubscribes from all marketing at once (the one-click POST, the page's button): an
 * `unsubscribe` suppression of the address and an `Unsubscribed` event.
 */
export async function unsubscribeAll(
  db: Kysely<DB>,
  options: { workspaceId: string; contactId: string; email: string; source: string; ip?: string; deliveryId?: string },
  deps: ComplianceDeps,
): Promise<Suppression> {
  const { workspaceId, contactId, email, source, ip, deliveryId } = options;
  return complianceUnitOfWork(db, deps, async (tx, now) => {
    await markUnsubscribed(tx, workspaceId, deliveryId, now);
    return suppressIn(
      tx,
      { workspaceId, contactId, email, reason: 'unsubscribe', source, ip, properties: deliveryId ? { deliveryId } : {} },
      now,
    );
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The delivery whose link was used is counted as an unsubscribe in its campaign's report. */
async function markUnsubscribed(tx: Kysely<DB>, workspaceId: string, deliveryId: string | undefined, now: Date): Promise<void> {
  if (!deliveryId || !UUID.test(deliveryId)) return;
  await sql`
    UPDATE deliveries SET
      unsubscribed_at = coalesce(unsubscribed_at, ${now}),
      status = CASE WHEN status IN ('sent', 'opened', 'clicked') THEN 'unsubscribed' ELSE status END
    WHERE workspace_id = ${workspaceId} AND id = ${deliveryId}`.execute(tx);
}

/**
 * Opts out of one topic (a one-click POST from a message sent for that topic). A topic deleted
 * since the message went out leaves nothing to opt out of, so the address is unsubscribed from all.
 */
export async function unsubscribeTopic(
  db: Kysely<DB>,
  options: { workspaceId: string; contactId: string; email: string; topic: string; source: string; ip?: string; deliveryId?: string },
  deps: ComplianceDeps,
): Promise<void> {
  const { workspaceId, contactId, topic, source, ip } = options;
  const exists = await db
    .selectFrom('subscription_topics')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('key', '=', topic)
    .executeTakeFirst();
  const contact = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  if (!exists || !contact) {
    await unsubscribeAll(db, options, deps);
    return;
  }
  await complianceUnitOfWork(db, deps, async (tx, now) => {
    await markUnsubscribed(tx, workspaceId, options.deliveryId, now);
    await setTopic(tx, { workspaceId, contactId, key: topic, subscribed: false, source, ip, now, changed: true });
  });
}

/** Stores one topic choice; `changed` choices write `Unsubscribed`/`Subscribed` with the topic. */
export async function setTopic(
  tx: Kysely<DB>,
  o: { workspaceId: string; contactId: string; key: string; subscribed: boolean; source: string; ip?: string; now: Date; changed: boolean },
): Promise<void> {
  const topic = await tx
    .selectFrom('subscription_topics')
    .select('id')
    .where('workspace_id', '=', o.workspaceId)
    .where('key', '=', o.key)
    .executeTakeFirstOrThrow();
  await tx
    .insertInto('topic_preferences')
    .values({
      workspace_id: o.workspaceId,
      contact_id: o.contactId,
      topic_id: topic.id,
      subscribed: o.subscribed,
      source: o.source,
      updated_at: o.now,
    })
    .onConflict((oc) =>
      oc.columns(['contact_id', 'topic_id']).doUpdateSet({ subscribed: o.subscribed, source: o.source, updated_at: o.now }),
    )
    .execute();
  if (!o.changed) return;
  await recordComplianceEvent(tx, {
    workspaceId: o.workspaceId,
    contactId: o.contactId,
    name: o.subscribed ? 'Subscribed' : 'Unsubscribed',
    properties: { topic: o.key, source: o.source },
    ip: o.ip,
    at: o.now,
  });
}

async function setFrequency(
  tx: Kysely<DB>,
  workspaceId: string,
  contactId: string,
  frequency: Frequency,
  source: string,
  now: Date,
  ip?: string,
) {
  await tx
    .insertInto('contact_preferences')
    .values({ contact_id: contactId, workspace_id: workspaceId, frequency, source, updated_at: now })
    .onConflict((oc) => oc.column('contact_id').doUpdateSet({ frequency, source, updated_at: now }))
    .execute();
  await recordComplianceEvent(tx, { workspaceId, contactId, name: 'Preferences Updated', properties: { frequency, source }, ip, at: now });
}

import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { normalizeDomain } from '../companies/normalize-domain.ts';
import { resolveCompanies } from '../companies/resolve-companies.ts';
import { applyContactWrite } from '../contacts/apply-contact-write.ts';
import { canonicalEmail } from '../contacts/cleansing/normalize-email.ts';
import type { ContactInput } from '../contacts/contact-schema.ts';
import { loadWriteContext, type WriteContext } from '../contacts/contacts.ts';
import { type PreparedContact, prepareContact } from '../contacts/prepare-contact.ts';
import { upsertContacts, writtenContactId } from '../contacts/upsert-contacts.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { withConflictRetry } from '../platform/db/with-conflict-retry.ts';
import { ensureEventPartitions, type PartitionCache } from './event-partitions.ts';
import type { SegmentCall } from './event-schema.ts';
import { correctEventTime } from './event-time.ts';
import { contactByAnonymousId, contactByEmail, contactByUserId, linkAnonymousId, USER_ID_SOURCE } from './identity.ts';
import { insertEvent } from './insert-event.ts';
import { mergeContacts } from './merge-contacts.ts';
import { touchFromContext } from './touch.ts';
import { traitsToContact } from './traits-to-contact.ts';

export interface IngestResult {
  /** Calls stored by this request. */
  stored: number;
  /** Calls whose messageId had been stored before (a client's retry): answered, not stored again. */
  duplicates: number;
}

/**
 * Stores validated calls in one transaction: each messageId once, the sender's identity
 * resolved to a contact (created, or merged when a call proves two contacts are one person),
 * identify traits applied to the contact, group traits to its company, first/last seen and
 * marketing touches kept current, and the visitor's earlier anonymous events attached.
 */
export async function ingestEvents(
  db: Kysely<DB>,
  { workspaceId, calls, partitions }: { workspaceId: string; calls: SegmentCall[]; partitions: PartitionCache },
  clock: Clock,
): Promise<IngestResult> {
  const receivedAt = clock.now();
  const timed = calls.map((call) => ({ call, occurredAt: correctEventTime(call, receivedAt), messageId: call.messageId ?? randomUUID() }));
  await ensureEventPartitions(
    db,
    timed.map((t) => t.occurredAt),
    partitions,
  );
  const context = await loadWriteContext(db, workspaceId);
  const identities = identityLocks(calls);
  return withConflictRetry(() =>
    db.transaction().execute(async (tx) => {
      // Requests that touch the same people take their locks in one order: no deadlocks, no two
      // transactions creating one person, no anonymous event slipping past a concurrent identify.
      for (const key of identities) await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(tx);
      const result: IngestResult = { stored: 0, duplicates: 0 };
      for (const { call, occurredAt, messageId } of timed) {
        const fresh = await tx
          .insertInto('event_message_ids')
          .values({ workspace_id: workspaceId, message_id: messageId, received_at: receivedAt })
          .onConflict((oc) => oc.doNothing())
          .returning('message_id')
          .executeTakeFirst();
        if (!fresh) {
          result.duplicates++;
          continue;
        }
        const contactId = await resolveCall(tx, context, call, clock);
        await insertEvent(tx, {
          workspaceId,
          messageId,
          type: call.type,
          name: call.type === 'track' ? call.event! : (call.name ?? null),
          contactId: contactId ?? null,
          anonymousId: call.anonymousId,
          userId: call.userId,
          properties: propertiesOf(call),
          traits: call.traits,
          context: call.context,
          occurredAt,
          receivedAt,
          sentAt: call.sentAt ? new Date(call.sentAt) : null,
        });
        if (contactId) await touchContact(tx, contactId, call, occurredAt);
        result.stored++;
      }
      return result;
    }),
  );
}

/** Every identity the calls mention, as sorted lock keys (workspace-agnostic hashing is fine: a collision only serialises). */
function identityLocks(calls: SegmentCall[]): string[] {
  const keys = new Set<string>();
  for (const call of calls) {
    if (call.userId) keys.add(`u:${call.userId}`);
    if (call.anonymousId) keys.add(`a:${call.anonymousId}`);
    if (call.previousId) keys.add(`u:${call.previousId}`).add(`a:${call.previousId}`);
    const email = call.traits?.email;
    if (typeof email === 'string') keys.add(`e:${canonicalEmail(email)}`);
  }
  return [...keys].sort();
}

/** The contact a call belongs to (creating or merging contacts as the call proves), or undefined while anonymous. */
async function resolveCall(tx: Kysely<DB>, context: WriteContext, call: SegmentCall, clock: Clock): Promise<string | undefined> {
  const { workspaceId } = context;
  if (call.type === 'alias') return resolveAlias(tx, workspaceId, call, clock);
  const write = call.type === 'identify' ? preparedTraits(context, call.traits ?? {}) : emptyWrite();
  const email = write.email ?? undefined;
  if (!call.userId && !email) {
    // A visitor known only by a cookie: their traits reach the contact the cookie was tied to, if any.
    const known = await contactByAnonymousId(tx, workspaceId, call.anonymousId);
    if (known && call.type === 'identify') await applyContactWrite(tx, workspaceId, known, write, clock);
    return known;
  }
  // One identify naming a userId and an email that belong to two contacts proves they are one person.
  const [byUser, byEmail] = [await contactByUserId(tx, workspaceId, call.userId), await contactByEmail(tx, workspaceId, email)];
  if (byUser && byEmail && byUser !== byEmail) {
    await mergeContacts(
      tx,
      { workspaceId, winnerId: byUser, loserId: byEmail, reason: `identify: userId ${call.userId} has email ${email}` },
      clock,
    );
  }
  if (call.userId) write.externalIds = { ...write.externalIds, [USER_ID_SOURCE]: call.userId };
  const [outcome] = await upsertContacts(tx, workspaceId, [{ index: 0, prepared: write }], clock);
  const contactId = writtenContactId(outcome);
  await linkAnonymousId(tx, workspaceId, call.anonymousId, contactId, clock);
  if (call.type === 'group') await applyGroup(tx, workspaceId, contactId, call, clock);
  return contactId;
}

async function resolveAlias(tx: Kysely<DB>, workspaceId: string, call: SegmentCall, clock: Clock): Promise<string> {
  const previous =
    (await contactByUserId(tx, workspaceId, call.previousId)) ?? (await contactByAnonymousId(tx, workspaceId, call.previousId));
  const current = await contactByUserId(tx, workspaceId, call.userId);
  if (previous && current && previous !== current) {
    await mergeContacts(
      tx,
      { workspaceId, winnerId: current, loserId: previous, reason: `alias: ${call.previousId} is ${call.userId}` },
      clock,
    );
  }
  const write = emptyWrite();
  write.externalIds = { [USER_ID_SOURCE]: call.userId! };
  const target = current ?? previous;
  if (target && !current) {
    // The earlier identity's contact takes the new userId.
    await tx
      .insertInto('contact_external_ids')
      .values({ workspace_id: workspaceId, source: USER_ID_SOURCE, external_id: call.userId!, contact_id: target })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  const contactId = target ?? writtenContactId((await upsertContacts(tx, workspaceId, [{ index: 0, prepared: write }], clock))[0]);
  if (!previous) await linkAnonymousId(tx, workspaceId, call.previousId, contactId, clock);
  await linkAnonymousId(tx, workspaceId, call.anonymousId, contactId, clock);
  return contactId;
}

/** Group calls describe the contact's company: matched by domain or name, created when new, linked. */
async function applyGroup(tx: Kysely<DB>, workspaceId: string, contactId: string, call: SegmentCall, clock: Clock): Promise<void> {
  const traits = call.traits ?? {};
  const name = typeof traits.name === 'string' ? traits.name : null;
  const domain = normalizeDomain(
    typeof traits.website === 'string' ? traits.website : typeof traits.domain === 'string' ? traits.domain : null,
  );
  const [companyId] = await resolveCompanies(tx, workspaceId, [{ name, domain }], clock);
  if (!companyId) return;
  const employees = Number(traits.employees);
  await tx
    .updateTable('companies')
    .set((eb) => ({
      industry: typeof traits.industry === 'string' ? traits.industry : eb.ref('industry'),
      employee_count: Number.isInteger(employees) && employees >= 0 ? employees : eb.ref('employee_count'),
      domain: eb.fn.coalesce('domain', eb.val(domain)),
      updated_at: clock.now(),
    }))
    .where('id', '=', companyId)
    .execute();
  await tx.updateTable('contacts').set({ company_id: companyId }).where('id', '=', contactId).execute();
}

/** first/last seen, and the first and latest marketing touch. */
async function touchContact(tx: Kysely<DB>, contactId: string, call: SegmentCall, occurredAt: Date): Promise<void> {
  const touch =
    call.type === 'page' || call.type === 'screen' || call.type === 'track' ? touchFromContext(call.context, occurredAt) : undefined;
  const touchJson = touch ? JSON.stringify(touch) : null;
  await sql`
    UPDATE contacts SET
      first_seen_at = least(coalesce(first_seen_at, ${occurredAt}), ${occurredAt}),
      last_seen_at = greatest(coalesce(last_seen_at, ${occurredAt}), ${occurredAt}),
      first_touch = CASE WHEN ${touchJson}::jsonb IS NOT NULL AND (first_touch IS NULL OR (first_touch->>'at')::timestamptz > ${occurredAt}) THEN ${touchJson}::jsonb ELSE first_touch END,
      last_touch = CASE WHEN ${touchJson}::jsonb IS NOT NULL AND (last_touch IS NULL OR (last_touch->>'at')::timestamptz <= ${occurredAt}) THEN ${touchJson}::jsonb ELSE last_touch END
    WHERE id = ${contactId}`.execute(tx);
}

/**
 * Identify traits as a contact write. A trait the contact cannot take as it is (an invalid phone
 * or email, a custom value of the wrong type) moves to the raw traits bag instead of failing the call.
 */
function preparedTraits(context: WriteContext, traits: Record<string, unknown>): PreparedContact {
  const { input, raw } = traitsToContact(traits, context.customFields);
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = prepareContact(input, { defaultRegion: context.defaultRegion, customFields: context.customFields });
    if (result.ok) return { ...result.value, traits: raw };
    for (const issue of result.issues) {
      const field = issue.path.split('.')[0] as keyof ContactInput;
      raw[field] = input[field];
      delete input[field];
    }
  }
  return { ...emptyWrite(), traits: raw };
}

function emptyWrite(): PreparedContact {
  return { fields: {}, externalIds: {}, custom: {}, company: {}, warnings: [] };
}

function propertiesOf(call: SegmentCall): Record<string, unknown> {
  const properties = { ...(call.properties ?? {}) };
  if (call.type === 'page' && call.category) properties.category ??= call.category;
  if (call.type === 'group') properties.groupId = call.groupId;
  if (call.type === 'alias') properties.previousId = call.previousId;
  return properties;
}

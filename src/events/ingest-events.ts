import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { normalizeDomain } from '../companies/normalize-domain.ts';
import { resolveCompanies } from '../companies/resolve-companies.ts';
import { applyContactWrite } from '../contacts/apply-contact-write.ts';
import { canonicalEmail } from '../contacts/cleansing/normalize-email.ts';
import type { ContactInput } from '../contacts/contact-schema.ts';
import { loadWriteContext, type WriteContext } from '../contacts/contacts.ts';
import { type PreparedContact, prepareContact } from '../contacts/prepare-contact.ts';
import { upsertContacts, writtenContactId } from '../contacts/upsert-contacts.ts';
import type { Clock } from '../platform/clock.ts';
import { anyOf } from '../platform/db/any-of.ts';
import type { DB } from '../platform/db/schema.ts';
import { withConflictRetry } from '../platform/db/with-conflict-retry.ts';
import { claimMessageIds, createEventBatch, lockIdentities } from './event-batch.ts';
import { ensureEventPartitions, type PartitionCache } from './event-partitions.ts';
import type { SegmentCall } from './event-schema.ts';
import { correctEventTime } from './event-time.ts';
import { contactByAnonymousId, contactByEmail, contactByUserId, linkAnonymousId, USER_ID_SOURCE } from './identity.ts';
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
      await lockIdentities(tx, identities);
      const fresh = await claimMessageIds(
        tx,
        workspaceId,
        timed.map((t) => t.messageId),
        receivedAt,
      );
      const batch = createEventBatch(tx, workspaceId, receivedAt);
      await introduceUsers(
        tx,
        workspaceId,
        timed.filter((t) => fresh.has(t.messageId)).map((t) => t.call),
        clock,
      );
      const known = createIdentityCache(tx, workspaceId, calls);
      const result: IngestResult = { stored: 0, duplicates: 0 };
      const stored = new Set<string>();
      for (const { call, occurredAt, messageId } of timed) {
        if (!fresh.has(messageId) || stored.has(messageId)) {
          result.duplicates++;
          continue;
        }
        stored.add(messageId);
        let contactId = await known.simple(call);
        if (contactId === false) {
          // Identify, group, alias, or a first sight of a userId: may create, merge or link contacts,
          // so this request's collected events are written first and the cache is refreshed after.
          await batch.flush();
          contactId = await resolveCall(tx, context, call, clock);
          known.invalidate();
        }
        batch.add(
          {
            message_id: messageId,
            type: call.type,
            name: call.type === 'track' ? call.event! : (call.name ?? null),
            contact_id: contactId ?? null,
            anonymous_id: call.anonymousId ?? null,
            user_id: call.userId ?? null,
            properties: propertiesOf(call),
            traits: call.traits ?? null,
            context: call.context ?? {},
            occurred_at: occurredAt,
            sent_at: call.sentAt ? new Date(call.sentAt) : null,
          },
          call.type === 'page' || call.type === 'screen' || call.type === 'track' ? touchFromContext(call.context, occurredAt) : undefined,
        );
        result.stored++;
      }
      await batch.flush();
      return result;
    }),
  );
}

/**
 * Before the calls are walked one by one: every userId that page/track/screen calls bring for
 * the first time gets its contact in one batch write, and each cookie those calls pair with a
 * userId is tied to that contact (the last pairing in the request wins). What is left for the
 * per-call path is identify, group and alias.
 */
async function introduceUsers(tx: Kysely<DB>, workspaceId: string, calls: SegmentCall[], clock: Clock): Promise<void> {
  const simple = calls.filter((c) => c.userId && (c.type === 'page' || c.type === 'screen' || c.type === 'track'));
  if (simple.length === 0) return;
  const userIds = [...new Set(simple.map((c) => c.userId!))];
  const owners = new Map(
    (
      await tx
        .selectFrom('contact_external_ids')
        .select(['external_id', 'contact_id'])
        .where('workspace_id', '=', workspaceId)
        .where('source', '=', USER_ID_SOURCE)
        .where('external_id', '=', anyOf(userIds, 'text'))
        .execute()
    ).map((r) => [r.external_id, r.contact_id]),
  );
  const unknown = userIds.filter((u) => !owners.has(u));
  if (unknown.length) {
    const writes = unknown.map((userId, index) => ({ index, prepared: { ...emptyWrite(), externalIds: { [USER_ID_SOURCE]: userId } } }));
    const outcomes = await upsertContacts(tx, workspaceId, writes, clock);
    for (const [i, outcome] of outcomes.entries()) owners.set(unknown[i]!, writtenContactId(outcome));
  }
  const pairs = new Map<string, string>();
  for (const call of simple) if (call.anonymousId) pairs.set(call.anonymousId, owners.get(call.userId!)!);
  if (pairs.size === 0) return;
  const linked = new Map(
    (
      await tx
        .selectFrom('contact_anonymous_ids')
        .select(['anonymous_id', 'contact_id'])
        .where('workspace_id', '=', workspaceId)
        .where('anonymous_id', '=', anyOf([...pairs.keys()], 'text'))
        .execute()
    ).map((r) => [r.anonymous_id, r.contact_id]),
  );
  for (const [anonymousId, contactId] of pairs) {
    if (linked.get(anonymousId) !== contactId) await linkAnonymousId(tx, workspaceId, anonymousId, contactId, clock);
  }
}

/**
 * Who page/track/screen calls belong to, from two lookups per request instead of several
 * statements per call. `simple` answers false when the call needs the full path (identify,
 * group, alias, an unknown userId, or a cookie not yet tied to its userId's contact).
 */
function createIdentityCache(tx: Kysely<DB>, workspaceId: string, calls: SegmentCall[]) {
  const userIds = [...new Set(calls.flatMap((c) => (c.userId ? [c.userId] : [])))];
  const anonymousIds = [...new Set(calls.flatMap((c) => (c.anonymousId ? [c.anonymousId] : [])))];
  let users: Map<string, string> | undefined;
  let cookies: Map<string, string> | undefined;
  const load = async () => {
    users = new Map();
    cookies = new Map();
    if (userIds.length) {
      const rows = await tx
        .selectFrom('contact_external_ids')
        .select(['external_id', 'contact_id'])
        .where('workspace_id', '=', workspaceId)
        .where('source', '=', USER_ID_SOURCE)
        .where('external_id', '=', anyOf(userIds, 'text'))
        .execute();
      for (const row of rows) users.set(row.external_id, row.contact_id);
    }
    if (anonymousIds.length) {
      const rows = await tx
        .selectFrom('contact_anonymous_ids')
        .select(['anonymous_id', 'contact_id'])
        .where('workspace_id', '=', workspaceId)
        .where('anonymous_id', '=', anyOf(anonymousIds, 'text'))
        .execute();
      for (const row of rows) cookies.set(row.anonymous_id, row.contact_id);
    }
  };
  return {
    async simple(call: SegmentCall): Promise<string | undefined | false> {
      if (call.type !== 'page' && call.type !== 'screen' && call.type !== 'track') return false;
      if (!users || !cookies) await load();
      if (!call.userId) return call.anonymousId ? cookies!.get(call.anonymousId) : undefined;
      const contactId = users!.get(call.userId);
      if (!contactId) return false;
      if (call.anonymousId && cookies!.get(call.anonymousId) !== contactId) return false;
      return contactId;
    },
    invalidate() {
      users = undefined;
      cookies = undefined;
    },
  };
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
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', companyId)
    .execute();
  await tx
    .updateTable('contacts')
    .set({ company_id: companyId })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .execute();
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

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
import { anyOf } from '../platform/db/any-of.ts';
import { contactChangesOf, noteContactChange, noteEventsAdded } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { withConflictRetry } from '../platform/db/with-conflict-retry.ts';
import { KizunaError } from '../platform/errors.ts';
import { unitOfWork } from '../segments/membership.ts';
import { claimMessageIds, createEventBatch, type EventBatch, lockIdentities } from './event-batch.ts';
import { ensureEventPartitions, type PartitionCache } from './event-partitions.ts';
import type { SegmentCall } from './event-schema.ts';
import { correctEventTime } from './event-time.ts';
import { contactByAnonymousId, contactByEmail, contactByUserId, linkAnonymousId, USER_ID_SOURCE } from './identity.ts';
import { createIdentityPlan, emptyWrite, type IdentityPlan, type StoredIdentities } from './identity-plan.ts';
import { mergeContacts } from './merge-contacts.ts';
import { isVisit, touchFromContext } from './touch.ts';
import { traitsToContact } from './traits-to-contact.ts';

export interface IngestResult {
  /** Calls stored by this request. */
  stored: number;
  /** Calls whose messageId had been stored before (a client's retry): answered, not stored again. */
  duplicates: number;
  /** Per call, in order: whether this request stored it. */
  fresh: boolean[];
}

export interface IngestOptions {
  /**
   * Resolve every call on its own instead of planning runs of calls together: the reference
   * behaviour the planned path must match (tests compare the two).
   */
  oneByOne?: boolean;
}

interface TimedCall {
  call: SegmentCall;
  occurredAt: Date;
  messageId: string;
}

/**
 * Stores validated calls in one transaction: each messageId once, the sender's identity
 * resolved to a contact (created, or merged when a call proves two contacts are one person),
 * identify traits applied to the contact, group traits to its company, first/last seen and
 * marketing touches kept current, and the visitor's earlier anonymous events attached.
 * Runs of calls are planned in memory and written in a fixed number of statements
 * (`createIdentityPlan`); a call that changes identities in ways the plan cannot foresee
 * (merges, aliases, groups) is handled on its own between runs, in call order.
 */
export async function ingestEvents(
  db: Kysely<DB>,
  {
    workspaceId,
    calls,
    arrivals,
    partitions,
  }: {
    workspaceId: string;
    calls: SegmentCall[];
    /** When each call's request arrived (it may have waited to be grouped); clock skew is corrected from it. Default: now. */
    arrivals?: readonly Date[];
    partitions: PartitionCache;
  },
  clock: Clock,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const receivedAt = clock.now();
  const timed = calls.map((call, i) => ({
    call,
    occurredAt: correctEventTime(call, arrivals?.[i] ?? receivedAt),
    messageId: call.messageId ?? randomUUID(),
  }));
  await ensureEventPartitions(
    db,
    timed.map((t) => t.occurredAt),
    partitions,
  );
  const context = await loadWriteContext(db, workspaceId);
  const identities = identityLocks(calls);
  // Traits are cleansed once, not on every attempt or lookup.
  const traits = new Map<SegmentCall, PreparedContact>();
  const traitsOf = (call: SegmentCall) => {
    const prepared = traits.get(call) ?? preparedTraits(context, call.traits ?? {});
    traits.set(call, prepared);
    return prepared;
  };
  return withConflictRetry(() =>
    unitOfWork(db, clock, async (tx) => {
      // Requests that touch the same people take their locks in one order: no deadlocks, no two
      // transactions creating one person, no anonymous event slipping past a concurrent identify.
      await lockIdentities(tx, identities);
      const claimed = await claimMessageIds(
        tx,
        workspaceId,
        timed.map((t) => t.messageId),
        receivedAt,
      );
      // A messageId repeated inside the request is stored once too.
      const fresh = timed.map((t) => claimed.delete(t.messageId));
      const todo = timed.filter((_, i) => fresh[i]);
      const batch = createEventBatch(tx, workspaceId, receivedAt);
      for (let start = 0; start < todo.length; ) {
        // A run plans at most RUN_CALLS calls, so its lookups stay bounded however often a run ends early.
        const rest = todo.slice(start, start + RUN_CALLS);
        const plan = createIdentityPlan(
          options.oneByOne ? EMPTY_IDENTITIES : await storedIdentities(tx, workspaceId, rest, traitsOf),
          traitsOf,
        );
        let planned = 0;
        if (!options.oneByOne) while (planned < rest.length && plan.plan(rest[planned]!.call)) planned++;
        await writePlan(tx, workspaceId, plan, rest.slice(0, planned), batch, clock);
        start += planned;
        if (planned < rest.length) {
          const alone = rest[planned]!;
          const contactId = await resolveCall(tx, context, alone.call, traitsOf, clock);
          addEvent(batch, alone, contactId);
          // Written now: the next run may attach this event (its cookie) or merge its contact.
          await batch.flush();
          start++;
        }
      }
      return { stored: todo.length, duplicates: timed.length - todo.length, fresh };
    }),
  );
}

const RUN_CALLS = 1000;

const EMPTY_IDENTITIES: StoredIdentities = { users: new Map(), emails: new Map(), cookies: new Map() };

/** Who the run's userIds, emails and cookies belong to now: three lookups for the whole run. */
async function storedIdentities(
  tx: Kysely<DB>,
  workspaceId: string,
  run: TimedCall[],
  traitsOf: (call: SegmentCall) => PreparedContact,
): Promise<StoredIdentities> {
  const userIds = new Set<string>();
  const emails = new Set<string>();
  const anonymousIds = new Set<string>();
  for (const { call } of run) {
    if (call.userId) userIds.add(call.userId);
    if (call.anonymousId) anonymousIds.add(call.anonymousId);
    const email = call.type === 'identify' ? traitsOf(call).email : undefined;
    if (email) emails.add(email);
  }
  const [users, byEmail, cookies] = await Promise.all([
    userIds.size
      ? tx
          .selectFrom('contact_external_ids')
          .select(['external_id as key', 'contact_id'])
          .where('workspace_id', '=', workspaceId)
          .where('source', '=', USER_ID_SOURCE)
          .where('external_id', '=', anyOf([...userIds], 'text'))
          .execute()
      : [],
    emails.size
      ? tx
          .selectFrom('contacts')
          .select(['email as key', 'id as contact_id'])
          .where('workspace_id', '=', workspaceId)
          .where('email', '=', anyOf([...emails], 'text'))
          .execute()
      : [],
    anonymousIds.size
      ? tx
          .selectFrom('contact_anonymous_ids')
          .select(['anonymous_id as key', 'contact_id'])
          .where('workspace_id', '=', workspaceId)
          .where('anonymous_id', '=', anyOf([...anonymousIds], 'text'))
          .execute()
      : [],
  ]);
  const toMap = (rows: { key: string | null; contact_id: string }[]) => new Map(rows.map((r) => [r.key!, r.contact_id]));
  return { users: toMap(users), emails: toMap(byEmail), cookies: toMap(cookies) };
}

/**
 * Writes a planned run: its contact writes in one upsert, its cookie links with their earlier
 * anonymous events attached, then its events and what they say about first/last seen and touches.
 */
async function writePlan(tx: Kysely<DB>, workspaceId: string, plan: IdentityPlan, run: TimedCall[], batch: EventBatch, clock: Clock) {
  const writes = plan.writes();
  if (writes.length) {
    const outcomes = await upsertContacts(
      tx,
      workspaceId,
      writes.map((w, index) => ({ index, prepared: w.prepared })),
      clock,
    );
    for (const [index, { person }] of writes.entries()) {
      const contactId = writtenContactId(outcomes[index]);
      if (person.contactId && person.contactId !== contactId)
        throw new KizunaError('internal', `identity plan wrote contact ${contactId} for a call planned on contact ${person.contactId}`);
      person.contactId = contactId;
    }
  }
  const links = plan.links().filter((l) => !plan.wasLinked(l.anonymousId, l.person.contactId!));
  if (links.length) {
    const now = clock.now();
    const rows = links.map((l) => ({ anonymous_id: l.anonymousId, contact_id: l.person.contactId!, attach_to: l.firstPerson.contactId! }));
    await sql`
      INSERT INTO contact_anonymous_ids (workspace_id, anonymous_id, contact_id, created_at)
      SELECT ${workspaceId}, v.anonymous_id, v.contact_id, ${now} FROM json_to_recordset(${JSON.stringify(rows)}::json) AS v(anonymous_id text, contact_id uuid)
      ON CONFLICT (workspace_id, anonymous_id) DO UPDATE SET contact_id = excluded.contact_id`.execute(tx);
    // The `= ANY` keeps the partial index on anonymous events in play; the join says whose they become.
    const { rows: attached } = await sql<{ contact_id: string; occurred_at: Date; context: Record<string, unknown>; type: string }>`
      UPDATE events AS e SET contact_id = v.attach_to
      FROM json_to_recordset(${JSON.stringify(rows)}::json) AS v(anonymous_id text, attach_to uuid)
      WHERE e.workspace_id = ${workspaceId} AND e.contact_id IS NULL
        AND e.anonymous_id = ANY(${rows.map((r) => r.anonymous_id)}::text[]) AND e.anonymous_id = v.anonymous_id
      RETURNING e.contact_id, e.occurred_at, e.context, e.type`.execute(tx);
    for (const event of attached) {
      noteContactChange(tx, workspaceId, event.contact_id, ['event:*']);
      noteEventsAdded(tx, event.contact_id, [event.occurred_at]);
    }
    for (const event of attached)
      batch.see(event.contact_id, event.occurred_at, isVisit(event.type) ? touchFromContext(event.context, event.occurred_at) : undefined);
  }
  const people = plan.people();
  for (const [i, timed] of run.entries()) addEvent(batch, timed, people[i]?.contactId);
  await batch.flush();
}

function addEvent(batch: EventBatch, { call, occurredAt, messageId }: TimedCall, contactId: string | undefined): void {
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
    isVisit(call.type) ? touchFromContext(call.context, occurredAt) : undefined,
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
async function resolveCall(
  tx: Kysely<DB>,
  context: WriteContext,
  call: SegmentCall,
  traitsOf: (call: SegmentCall) => PreparedContact,
  clock: Clock,
): Promise<string | undefined> {
  const { workspaceId } = context;
  if (call.type === 'alias') return resolveAlias(tx, workspaceId, call, clock);
  const write: PreparedContact = call.type === 'identify' ? { ...traitsOf(call) } : emptyWrite();
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
  noteContactChange(tx, workspaceId, contactId, ['company']);
  contactChangesOf(tx)?.noteCompany(workspaceId, companyId);
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

function propertiesOf(call: SegmentCall): Record<string, unknown> {
  const properties = { ...(call.properties ?? {}) };
  if (call.type === 'page' && call.category) properties.category ??= call.category;
  if (call.type === 'group') properties.groupId = call.groupId;
  if (call.type === 'alias') properties.previousId = call.previousId;
  return properties;
}

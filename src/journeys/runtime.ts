import { createHash } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { listCustomFields } from '../contacts/custom-fields.ts';
import { lifecycleInForce } from '../lifecycle/lifecycle.ts';
import { enqueueDeliveries, type NewDelivery } from '../messaging/deliveries/deliveries.ts';
import type { Clock } from '../platform/clock.ts';
import { noteContactChange } from '../platform/db/contact-changes.ts';
import type { DB, JourneyEnrolmentsTable } from '../platform/db/schema.ts';
import { KizunaError, notFound } from '../platform/errors.ts';
import { localDate } from '../platform/time-zone.ts';
import { eventSelectorPredicate, matchesQuery } from '../segments/compile.ts';
import { FieldCatalog, snake } from '../segments/fields.ts';
import { unitOfWork } from '../segments/membership.ts';
import { runActionNode } from './actions.ts';
import { atLocalTime, dateOccurrence, dateScanWindow, dueDateOccurrences, shiftDate } from './date-trigger.ts';
import { conditionWakeKeys, durationMs, type EventSelector, type JourneyDefinition, type JourneyNode } from './definition.ts';
import { classifyFault, faultMessage, MAX_NODE_ATTEMPTS, retryDelayMs } from './faults.ts';
import { loadJourneyVersion } from './journeys.ts';

type Enrolment = Selectable<JourneyEnrolmentsTable>;
const NO_ID = '00000000-0000-0000-0000-000000000000';
/** Nodes one enrolment may run in one go before it must wait (a guard; validation forbids cycles without waits). */
const MAX_STEPS_AT_ONCE = 100;
/** How often a wait on a condition re-checks it besides the contact's signals and events (field changes have none). */
export const CONDITION_RECHECK_MS = 15 * 60_000;

interface Step {
  enrolmentId: string;
  journeyId: string;
  nodeId: string;
  outcome: string;
  detail?: Record<string, unknown>;
}

/** What a batch of enrolments writes, flushed in a few statements at the end. */
class Batch {
  steps: Step[] = [];
  deliveries: NewDelivery[] = [];
  /** Business time for the modules actions call: the batch's moment. */
  readonly clock: Clock;
  constructor(
    readonly tx: Kysely<DB>,
    readonly workspaceId: string,
    readonly now: Date,
  ) {
    this.clock = { now: () => now };
  }
  step(e: Pick<Enrolment, 'id' | 'journey_id'>, nodeId: string, outcome: string, detail?: Record<string, unknown>) {
    this.steps.push({ enrolmentId: e.id, journeyId: e.journey_id, nodeId, outcome, detail });
  }
  async flush(): Promise<void> {
    if (this.deliveries.length) await enqueueDeliveries(this.tx, this.deliveries, this.now);
    // One parameter for all the steps: a multi-row VALUES of thousands of parameters parses slowly.
    if (this.steps.length)
      await sql`
        INSERT INTO journey_steps (workspace_id, enrolment_id, journey_id, node_id, outcome, detail, at)
        SELECT ${this.workspaceId}, s.enrolment_id, s.journey_id, s.node_id, s.outcome, coalesce(s.detail, '{}'), ${this.now}
        FROM jsonb_to_recordset(${JSON.stringify(
          this.steps.map((s) => ({
            enrolment_id: s.enrolmentId,
            journey_id: s.journeyId,
            node_id: s.nodeId,
            outcome: s.outcome,
            detail: s.detail,
          })),
        )}::jsonb) AS s(enrolment_id uuid, journey_id uuid, node_id text, outcome text, detail jsonb)`.execute(this.tx);
    this.steps = [];
    this.deliveries = [];
  }
}

/**
 * Enrols contacts in a published, active journey under its re-entry policy: `once` never again,
 * `after_exit` when no enrolment of theirs is active, `every_time` up to `maxConcurrent` at once
 * (and once per event key). New enrolments start at the start node now.
 * @returns the enrolment ids created, and why the others were not enrolled.
 */
export async function enrolContacts(
  tx: Kysely<DB>,
  {
    workspaceId,
    journeyId,
    contactIds,
    eventKey,
    context = {},
    now,
    source,
    conditions,
  }: {
    workspaceId: string;
    journeyId: string;
    contactIds: readonly string[];
    eventKey?: string | null;
    context?: Record<string, unknown>;
    now: Date;
    source: string;
    /** The workspace's time zone and fields, when the caller has them (the inbox): enrolWhen needs them. */
    conditions?: { timeZone: string; catalog: FieldCatalog };
  },
): Promise<{ enrolled: { contactId: string; enrolmentId: string }[]; skipped: { contactId: string; reason: string }[] }> {
  const journey = await tx
    .selectFrom('journeys')
    .select(['id', 'status', 'published_version'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', journeyId)
    .executeTakeFirst();
  if (!journey) throw notFound('journey', journeyId);
  if (journey.status !== 'active' || journey.published_version === null)
    throw new KizunaError('conflict', `journey ${journeyId} is ${journey.status}: only an active journey enrols contacts`);
  const definition = await loadJourneyVersion(tx, journeyId, journey.published_version);
  const { policy, maxConcurrent } = definition.reentry;
  // Two enrolments of one contact at once (two inbox workers, a worker and the API) would both
  // see none and both enrol: the re-entry check holds a lock per journey and contact, in order.
  await sql`
    SELECT pg_advisory_xact_lock(hashtext(${`journey:${journeyId}`}), hashtext(t.id))
    FROM (SELECT DISTINCT unnest(${contactIds}::text[]) AS id ORDER BY 1) t`.execute(tx);
  const existing = await tx
    .selectFrom('journey_enrolments')
    .select(['contact_id', 'status', 'event_key'])
    .where('journey_id', '=', journeyId)
    .where('contact_id', 'in', contactIds.length ? [...contactIds] : ['00000000-0000-0000-0000-000000000000'])
    .execute();
  const known = new Set(
    (
      await tx
        .selectFrom('contacts')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('id', 'in', contactIds.length ? [...contactIds] : ['00000000-0000-0000-0000-000000000000'])
        .execute()
    ).map((r) => r.id),
  );
  // Who may enter: the journey's condition on the contact as it is now.
  const admitted = definition.enrolWhen ? await holdingContacts(tx, workspaceId, definition.enrolWhen, [...known], now, conditions) : known;
  // A date trigger enrols once per occurrence whatever the policy: the occurrence is the key.
  const keyed = policy === 'every_time' || definition.trigger.type === 'date';
  const enrolled: { contactId: string; enrolmentId: string }[] = [];
  const skipped: { contactId: string; reason: string }[] = [];
  const batch = new Batch(tx, workspaceId, now);
  const rows = [];
  for (const contactId of new Set(contactIds)) {
    if (!known.has(contactId)) {
      skipped.push({ contactId, reason: 'no such contact' });
      continue;
    }
    if (!admitted.has(contactId)) {
      skipped.push({ contactId, reason: 'does not meet the enrolment condition (enrolWhen)' });
      continue;
    }
    const mine = existing.filter((e) => e.contact_id === contactId);
    const active = mine.filter((e) => e.status === 'active').length;
    const reason =
      policy === 'once' && mine.length > 0
        ? 'already enrolled once (re-entry: once)'
        : policy === 'after_exit' && active > 0
          ? 'still in the journey (re-entry: after exit)'
          : policy === 'every_time' && active >= maxConcurrent
            ? `already in the journey ${active} time(s) (maxConcurrent ${maxConcurrent})`
            : keyed && eventKey && mine.some((e) => e.event_key === eventKey)
              ? `already enrolled for ${eventKey}`
              : undefined;
    if (reason) {
      skipped.push({ contactId, reason });
      continue;
    }
    const id = crypto.randomUUID();
    rows.push({
      id,
      workspace_id: workspaceId,
      journey_id: journeyId,
      version: journey.published_version,
      contact_id: contactId,
      status: 'active' as const,
      node_id: definition.start,
      wake_at: now,
      wait_deadline: null,
      event_key: keyed ? (eventKey ?? null) : null,
      context: JSON.stringify(context),
      entered_at: now,
    });
    enrolled.push({ contactId, enrolmentId: id });
    batch.step({ id, journey_id: journeyId }, definition.start, 'entered', { source });
  }
  if (rows.length) await tx.insertInto('journey_enrolments').values(rows).execute();
  await batch.flush();
  return { enrolled, skipped };
}

/** How often a journey with a date trigger looks for occurrences that came round. */
export const DATE_SCAN_MS = 5 * 60_000;

/**
 * Enrols the contacts whose date came round (date triggers): every few minutes per journey, the
 * occurrences since its last scan (at most a day back: a journey paused for a month does not
 * greet every birthday it missed), each enrolled once, keyed by the occurrence.
 * @returns how many contacts were enrolled.
 */
export async function enrolDueDates(db: Kysely<DB>, clock: Clock, options: { journeyIds?: readonly string[] } = {}): Promise<number> {
  return unitOfWork(db, clock, (tx) => enrolDueDatesIn(tx, clock.now(), options));
}

/** `enrolDueDates` inside an open unit of work. */
export async function enrolDueDatesIn(
  tx: Kysely<DB>,
  now: Date,
  { journeyIds, every = DATE_SCAN_MS }: { journeyIds?: readonly string[]; every?: number } = {},
): Promise<number> {
  const { rows: due } = await sql<{ id: string; workspace_id: string; version: number; since: Date; timezone: string }>`
    SELECT j.id, j.workspace_id, j.published_version AS version, w.timezone,
      greatest(coalesce(j.date_scanned_at, v.published_at), ${new Date(now.getTime() - 86_400_000)}::timestamptz) AS since
    FROM journeys j
    JOIN journey_versions v ON v.journey_id = j.id AND v.version = j.published_version
    JOIN workspaces w ON w.id = j.workspace_id
    WHERE j.status = 'active' AND v.definition -> 'trigger' ->> 'type' = 'date'
      AND (j.date_scanned_at IS NULL OR j.date_scanned_at <= ${new Date(now.getTime() - every)})
      ${journeyIds ? sql`AND j.id = ANY(${journeyIds}::uuid[])` : sql``}
    FOR UPDATE OF j SKIP LOCKED`.execute(tx);
  let enrolled = 0;
  for (const journey of due) {
    const definition = await loadJourneyVersion(tx, journey.id, journey.version);
    const trigger = definition.trigger;
    if (trigger.type !== 'date') continue;
    const since = new Date(journey.since);
    const column = trigger.field.startsWith('custom.') ? sql`c.custom ->> ${trigger.field.slice(7)}` : sql.ref(`c.${snake(trigger.field)}`);
    // Only the contacts whose date can fall in the window are read (a few days of a year), not
    // every contact with the field set; values not written as YYYY-MM-DD… are all read and parsed.
    const text = sql`(${column})::text`;
    const scan = dateScanWindow(trigger, since, now);
    const { rows } = await sql<{ id: string; timezone: string | null; value: string | Date }>`
      SELECT c.id, c.timezone, ${column} AS value FROM contacts c
      WHERE c.workspace_id = ${journey.workspace_id} AND ${column} IS NOT NULL
        AND (${text} !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' OR ${
          'monthDays' in scan
            ? sql`substr(${text}, 6, 5) = ANY(${scan.monthDays}::text[])`
            : sql`substr(${text}, 1, 10) BETWEEN ${scan.from} AND ${scan.to}`
        })`.execute(tx);
    const byKey = new Map<string, string[]>();
    for (const contact of rows)
      for (const key of dueDateOccurrences(contact.value, contact.timezone ?? journey.timezone, trigger, since, now))
        byKey.set(key, [...(byKey.get(key) ?? []), contact.id]);
    for (const [eventKey, contactIds] of byKey) {
      const result = await enrolContacts(tx, {
        workspaceId: journey.workspace_id,
        journeyId: journey.id,
        contactIds,
        eventKey,
        context: { date: { field: trigger.field, occurrence: eventKey.slice(5) } },
        now,
        source: `date:${trigger.field}`,
      });
      enrolled += result.enrolled.length;
    }
    await tx.updateTable('journeys').set({ date_scanned_at: now }).where('id', '=', journey.id).execute();
  }
  return enrolled;
}

/**
 * Builds a condition's query. Conditions are checked on publish, so one that no longer compiles
 * refers to something deleted since (a custom field): the journey's fault, not the system's.
 */
function compiled<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    const message = faultMessage(error).replace(/ \(definitions are checked before compiling\)$/, '');
    throw new KizunaError('invalid_input', `${message} (deleted since the journey was published?)`, { cause: error });
  }
}

/** The contacts among `contactIds` for whom a condition holds at `now`. */
async function holdingContacts(
  tx: Kysely<DB>,
  workspaceId: string,
  condition: NonNullable<JourneyDefinition['enrolWhen']>,
  contactIds: string[],
  now: Date,
  known?: { timeZone: string; catalog: FieldCatalog },
): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set();
  const { timeZone, catalog } = known ?? {
    timeZone: (await tx.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow()).timezone,
    catalog: new FieldCatalog(await listCustomFields(tx, workspaceId)),
  };
  const { rows } = await compiled(() => matchesQuery([condition], { workspaceId, timeZone, catalog, now, contactIds })).execute(tx);
  return new Set(rows.filter((r) => r.matches === '1').map((r) => r.id));
}

/**
 * Runs every enrolment that is due: from its node on, executes nodes until one makes it wait
 * (wait, wait_for) or it ends. Claimed with FOR UPDATE SKIP LOCKED and run in one unit of work,
 * so several workers share the work and a step's side effects (a queued message, a tag) commit
 * together with the move: a crash before the commit repeats the step with the same delivery key,
 * which queues nothing twice.
 * @returns how many enrolments were run.
 */
export async function advanceDueEnrolments(
  db: Kysely<DB>,
  clock: Clock,
  options: { workspaceId?: string; limit?: number } = {},
): Promise<number> {
  const claimed: Claimed[] = [];
  try {
    return await unitOfWork(db, clock, (tx) => advanceDueIn(tx, clock.now(), { ...options, claimed }));
  } catch (error) {
    if (claimed.length === 0) throw error;
    // The batch failed as a whole (writing the states, the connection): its rows would be claimed
    // first again on the next tick and fail again. Each runs again alone, so that one that cannot
    // be written holds back nobody; one that fails alone too is put off like a node's system
    // fault, and the error goes up to the worker loop, which logs it and polls on.
    let failure: unknown;
    for (const e of claimed) {
      try {
        await unitOfWork(db, clock, (tx) => advanceDueIn(tx, clock.now(), { ids: [e.id] }));
      } catch (alone) {
        failure = alone;
        await deferBatch(db, [e], alone, clock.now()).catch(() => {});
      }
    }
    if (failure !== undefined) throw failure;
    return claimed.length;
  }
}

type Claimed = Pick<Enrolment, 'id' | 'journey_id' | 'workspace_id' | 'node_id' | 'attempts'>;

/** Puts off enrolments that could not be advanced (a retry with backoff; failed after the last attempt), with a step saying why. */
async function deferBatch(db: Kysely<DB>, claimed: Claimed[], error: unknown, now: Date): Promise<void> {
  const reason = faultMessage(error);
  const rows = claimed.map((e) => {
    const attempt = e.attempts + 1;
    const giveUp = attempt >= MAX_NODE_ATTEMPTS;
    const retryAt = new Date(now.getTime() + retryDelayMs({ attempt, seed: e.id }));
    return { ...e, attempt, giveUp, retryAt: giveUp ? null : retryAt.toISOString() };
  });
  await db.transaction().execute(async (tx) => {
    await sql`
      UPDATE journey_enrolments j SET attempts = u.attempt, last_error = ${reason}, wake_at = u.retry_at,
        status = CASE WHEN u.give_up THEN 'failed' ELSE j.status END,
        ended_at = CASE WHEN u.give_up THEN ${now}::timestamptz END,
        end_reason = CASE WHEN u.give_up THEN ${`${reason} (gave up after ${MAX_NODE_ATTEMPTS} attempts)`} END
      FROM jsonb_to_recordset(${JSON.stringify(rows.map((r) => ({ id: r.id, attempt: r.attempt, give_up: r.giveUp, retry_at: r.retryAt })))}::jsonb)
        AS u(id uuid, attempt int, give_up boolean, retry_at timestamptz)
      WHERE j.id = u.id AND j.status = 'active'`.execute(tx);
    await sql`
      INSERT INTO journey_steps (workspace_id, enrolment_id, journey_id, node_id, outcome, detail, at)
      SELECT s.workspace_id, s.id, s.journey_id, s.node_id, s.outcome, s.detail, ${now}
      FROM jsonb_to_recordset(${JSON.stringify(
        rows.map((r) => ({
          ...r,
          outcome: r.giveUp ? 'failed' : 'retrying',
          detail: { reason, attempt: r.attempt, ...(r.retryAt ? { retryAt: r.retryAt } : {}) },
        })),
      )}::jsonb) AS s(workspace_id uuid, id uuid, journey_id uuid, node_id text, outcome text, detail jsonb)`.execute(tx);
  });
}

/** `advanceDueEnrolments` inside an open unit of work (the simulation runs it in a transaction it rolls back). */
export async function advanceDueIn(
  tx: Kysely<DB>,
  now: Date,
  {
    workspaceId,
    limit = 200,
    journeyIds,
    ids,
    claimed,
  }: { workspaceId?: string; limit?: number; journeyIds?: readonly string[]; ids?: readonly string[]; claimed?: Claimed[] } = {},
): Promise<number> {
  // One JSON document for the batch: PGlite hands rows back one by one, slower than it runs the query.
  const { rows: docs } = await sql<{
    doc:
      | (Omit<Enrolment, 'wake_at' | 'wait_deadline' | 'entered_at' | 'ended_at'> & { wake_at: string; wait_deadline: string | null })[]
      | null;
  }>`
    SELECT json_agg(to_jsonb(e)) AS doc FROM (
      SELECT * FROM journey_enrolments
      WHERE status = 'active' AND wake_at <= ${now} ${workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``}
        ${journeyIds ? sql`AND journey_id = ANY(${journeyIds}::uuid[])` : sql``} ${ids ? sql`AND id = ANY(${ids}::uuid[])` : sql``}
      ORDER BY wake_at LIMIT ${limit}
      FOR UPDATE SKIP LOCKED) e`.execute(tx);
  const rows = (docs[0]?.doc ?? []).map(
    (e) =>
      ({ ...e, wake_at: new Date(e.wake_at), wait_deadline: e.wait_deadline ? new Date(e.wait_deadline) : null }) as unknown as Enrolment,
  );
  claimed?.push(...rows);
  const byWorkspace = new Map<string, Enrolment[]>();
  for (const row of rows) byWorkspace.set(row.workspace_id, [...(byWorkspace.get(row.workspace_id) ?? []), row]);
  for (const [ws, enrolments] of byWorkspace) await runEnrolments(tx, ws, enrolments, now);
  return rows.length;
}

async function runEnrolments(tx: Kysely<DB>, workspaceId: string, enrolments: Enrolment[], now: Date): Promise<void> {
  const batch = new Batch(tx, workspaceId, now);
  const ctx = await workspaceContext(tx, workspaceId, enrolments);
  const cursors: Cursor[] = [];
  for (const e of enrolments) {
    const definition = await loadJourneyVersion(tx, e.journey_id, e.version);
    cursors.push({
      e,
      nodes: new Map(definition.nodes.map((n) => [n.id, n])),
      nodeId: e.node_id,
      last: e.node_id,
      waitingFor: e.waiting_for,
      deadline: e.wait_deadline,
      steps: e.steps,
      attempts: e.attempts,
      lastError: e.last_error,
    });
  }
  // Round by round, every enrolment at the same node of the same version runs that node together:
  // one query for a branch, one statement for a tag, whatever the batch size.
  let live = cursors;
  for (let round = 0; round < MAX_STEPS_AT_ONCE && live.length > 0; round++) {
    const groups = new Map<string, Cursor[]>();
    for (const c of live) {
      if (c.nodeId === undefined) {
        finish(batch, c, 'completed', 'end of journey');
        continue;
      }
      const node = c.nodes.get(c.nodeId);
      if (!node) {
        finish(batch, c, 'failed', `node ${c.nodeId} is not in version ${c.e.version}`);
        continue;
      }
      c.last = node.id;
      c.steps++;
      // Woken at the node it was parked on: the wait is over (a wait_for's timeout). A wait on a
      // condition runs its node again instead: it re-checks the condition, then times out or waits on.
      if (c.waitingFor === node.id && !(node.type === 'wait_for' && node.condition)) {
        c.waitingFor = null;
        c.deadline = null;
        batch.step(c.e, node.id, node.type === 'wait_for' ? 'timed_out' : 'passed');
        c.nodeId = node.type === 'wait_for' ? node.next.timedOut : node.type === 'wait' ? node.next : undefined;
        continue;
      }
      const key = `${c.e.journey_id}:${c.e.version}:${node.id}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    for (const group of groups.values()) await runGroup(batch, ctx, group, group[0]!.nodes.get(group[0]!.nodeId!)!);
    live = live.filter((c) => !c.done);
  }
  for (const c of live) finish(batch, c, 'failed', `more than ${MAX_STEPS_AT_ONCE} steps without a wait`);
  await writeStates(tx, cursors, now);
  await batch.flush();
}

/**
 * Runs a node for a group in a savepoint. A node that throws (a branch on a field deleted since, a
 * lost connection) does not fail the batch: otherwise the same oldest rows would be claimed and
 * fail again on every tick. The group is run again one contact at a time, so that one faulty
 * contact holds back nobody else; each faulty one then fails or is retried (`fault`).
 */
async function runGroup(batch: Batch, ctx: WorkspaceContext, group: Cursor[], node: JourneyNode): Promise<void> {
  const error = await tryNode(batch, ctx, group, node);
  if (error === undefined) {
    for (const c of group) c.attempts = 0;
    return;
  }
  if (group.length > 1) for (const c of group) await runGroup(batch, ctx, [c], node);
  else fault(batch, group[0]!, node, error);
}

/** Runs the node and queues its messages; on an error, rolls back all it did and gives the error back. */
async function tryNode(batch: Batch, ctx: WorkspaceContext, group: Cursor[], node: JourneyNode): Promise<unknown> {
  const { tx } = batch;
  const marks = { steps: batch.steps.length, deliveries: batch.deliveries.length };
  const saved = group.map((c) => ({ ...c }));
  await sql`SAVEPOINT journey_node`.execute(tx);
  try {
    await runNode(batch, ctx, group, node);
    // Queued inside the savepoint: a failure to queue is the node's, and retried as the node.
    if (batch.deliveries.length > marks.deliveries) await enqueueDeliveries(tx, batch.deliveries.splice(marks.deliveries), batch.now);
    await sql`RELEASE SAVEPOINT journey_node`.execute(tx);
    return undefined;
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT journey_node`.execute(tx);
    batch.steps.length = marks.steps;
    batch.deliveries.length = marks.deliveries;
    for (const [i, c] of group.entries()) Object.assign(c, saved[i]);
    return error ?? new Error('a node threw nothing');
  }
}

/**
 * A contact fault fails the enrolment with the reason; a system fault leaves it at the node, to
 * run again after a backoff as the same step (so a send queues under the same delivery key), and
 * fails it after the last attempt.
 */
function fault(batch: Batch, c: Cursor, node: JourneyNode, error: unknown): void {
  const reason = `node ${node.id}: ${faultMessage(error)}`;
  if (classifyFault(error) === 'contact') {
    finish(batch, c, 'failed', reason);
    return;
  }
  const attempt = c.attempts + 1;
  c.attempts = attempt;
  c.lastError = reason;
  if (attempt >= MAX_NODE_ATTEMPTS) {
    finish(batch, c, 'failed', `${reason} (gave up after ${attempt} attempts)`);
    return;
  }
  const retryAt = new Date(batch.now.getTime() + retryDelayMs({ attempt, seed: c.e.id }));
  batch.step(c.e, node.id, 'retrying', { reason, attempt, retryAt: retryAt.toISOString() });
  c.nodeId = node.id;
  c.steps--;
  c.done = { status: 'active', wakeAt: retryAt };
}

/** One enrolment while it runs: where it is, and how it stopped (parked at a wait, or ended). */
interface Cursor {
  e: Enrolment;
  nodes: Map<string, JourneyNode>;
  /** The next node to run; undefined: the journey ends (completed). */
  nodeId: string | undefined;
  last: string;
  waitingFor: string | null;
  /** The timeout of the wait_for it is parked at. */
  deadline: Date | null;
  steps: number;
  /** System faults in a row at this node. */
  attempts: number;
  lastError: string | null;
  done?: { status: 'completed' | 'exited' | 'failed'; reason: string } | { status: 'active'; wakeAt: Date };
}

function finish(batch: Batch, c: Cursor, status: 'completed' | 'exited' | 'failed', reason: string): void {
  batch.step(c.e, c.last, status, { reason });
  c.done = { status, reason };
}

function park(c: Cursor, nodeId: string, wakeAt: Date, deadline: Date | null = null): void {
  c.waitingFor = nodeId;
  c.nodeId = nodeId;
  c.deadline = deadline;
  c.done = { status: 'active', wakeAt };
}

/** Every enrolment's new state in one statement. */
async function writeStates(tx: Kysely<DB>, cursors: Cursor[], now: Date): Promise<void> {
  if (cursors.length === 0) return;
  const rows = cursors.map((c) => {
    const done = c.done!;
    const active = done.status === 'active';
    return {
      id: c.e.id,
      status: done.status,
      node_id: active ? c.nodeId : c.last,
      wake_at: active ? done.wakeAt.toISOString() : null,
      waiting_for: active ? c.waitingFor : null,
      wait_deadline: active && c.waitingFor ? (c.deadline?.toISOString() ?? null) : null,
      steps: c.steps,
      attempts: c.attempts,
      last_error: c.lastError,
      ended_at: active ? null : now.toISOString(),
      end_reason: active ? null : done.reason,
    };
  });
  await sql`
    UPDATE journey_enrolments j SET status = u.status, node_id = u.node_id, wake_at = u.wake_at, waiting_for = u.waiting_for,
      wait_deadline = u.wait_deadline, steps = u.steps, attempts = u.attempts, last_error = u.last_error, ended_at = u.ended_at,
      end_reason = u.end_reason
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS u(
      id uuid, status text, node_id text, wake_at timestamptz, waiting_for text, wait_deadline timestamptz, steps int, attempts int,
      last_error text, ended_at timestamptz, end_reason text)
    WHERE j.id = u.id`.execute(tx);
}

interface WorkspaceContext {
  timeZone: string;
  catalog: FieldCatalog;
  templates: Map<string, number | null>;
  contacts: () => Promise<Map<string, Record<string, unknown>>>;
}

async function workspaceContext(tx: Kysely<DB>, workspaceId: string, enrolments: Enrolment[]): Promise<WorkspaceContext> {
  const ws = await tx.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow();
  const ids = [...new Set(enrolments.map((e) => e.contact_id))];
  let contacts: Promise<Map<string, Record<string, unknown>>> | undefined;
  return {
    timeZone: ws.timezone,
    catalog: new FieldCatalog(await listCustomFields(tx, workspaceId)),
    templates: new Map(),
    // Time zones and date fields for time-of-day and date waits: the whole batch in one query, when first needed.
    contacts: () => {
      contacts ??= sql<{ doc: Record<string, unknown>[] | null }>`
        SELECT json_agg(to_jsonb(c)) AS doc FROM contacts c WHERE c.id = ANY(${ids}::uuid[])`
        .execute(tx)
        .then(({ rows }) => new Map((rows[0]?.doc ?? []).map((c) => [String(c.id), c])));
      return contacts;
    },
  };
}

/** Runs one node for every enrolment of `group` (all at that node of the same journey version). */
async function runNode(batch: Batch, ctx: WorkspaceContext, group: Cursor[], node: JourneyNode): Promise<void> {
  const { tx, now } = batch;
  switch (node.type) {
    case 'send': {
      const version = node.channel === 'email' ? await templateVersion(batch, ctx, node.templateId!) : null;
      for (const c of group) {
        const delivery = sendStep(batch, node, c, version);
        if (typeof delivery === 'string') batch.step(c.e, node.id, 'skipped', { reason: delivery });
        else batch.step(c.e, node.id, 'sent', { channel: node.channel, dedupeKey: delivery.dedupeKey });
        c.nodeId = node.next;
      }
      return;
    }
    case 'wait': {
      const contacts = node.duration && !node.businessHours ? new Map<string, Record<string, unknown>>() : await ctx.contacts();
      for (const c of group) {
        const wakeAt = waitUntil(ctx.timeZone, contacts, node, c.e, now);
        if (wakeAt === null || wakeAt <= now) {
          const skip = wakeAt !== null && node.untilDate?.ifPast !== undefined;
          batch.step(c.e, node.id, 'passed', {
            reason: wakeAt === null ? 'no date to wait for' : 'already past',
            ...(skip ? { to: node.untilDate!.ifPast } : {}),
          });
          c.nodeId = skip ? node.untilDate!.ifPast : node.next;
        } else {
          batch.step(c.e, node.id, 'waiting', { until: wakeAt.toISOString() });
          park(c, node.id, wakeAt);
        }
      }
      return;
    }
    case 'wait_for': {
      if (node.condition) return waitForCondition(batch, ctx, group, node);
      const wakeAt = new Date(now.getTime() + durationMs(node.timeout));
      for (const c of group) {
        batch.step(c.e, node.id, 'waiting', { until: wakeAt.toISOString() });
        park(c, node.id, wakeAt, wakeAt);
      }
      return;
    }
    case 'branch': {
      const { rows } = await compiled(() =>
        matchesQuery(
          node.branches.map((b) => b.condition),
          {
            workspaceId: batch.workspaceId,
            timeZone: ctx.timeZone,
            catalog: ctx.catalog,
            now,
            contactIds: group.map((c) => c.e.contact_id),
          },
        ),
      ).execute(tx);
      const matches = new Map(rows.map((r) => [r.id, r.matches]));
      for (const c of group) {
        const m = matches.get(c.e.contact_id) ?? '';
        const taken = node.branches.findIndex((_, index) => m[index] === '1');
        batch.step(c.e, node.id, 'branch', { taken: taken === -1 ? 'else' : taken });
        c.nodeId = taken === -1 ? node.else : node.branches[taken]!.next;
      }
      return;
    }
    case 'split':
      for (const c of group) {
        const path = pickPath(node.paths, `${c.e.id}:${node.id}`);
        batch.step(c.e, node.id, 'split', { path: path.key });
        if (path.next) c.nodeId = path.next;
        else finish(batch, c, 'completed', `holdout ${path.key}`);
      }
      return;
    case 'tag': {
      const ids = [...new Set(group.map((c) => c.e.contact_id))];
      await sql`
        UPDATE contacts SET tags = ARRAY(
          SELECT DISTINCT t FROM unnest(tags || ${node.add}::text[]) AS t WHERE NOT (t = ANY(${node.remove}::text[])) ORDER BY t),
          updated_at = ${now}
        WHERE id = ANY(${ids}::uuid[])`.execute(tx);
      for (const c of group) {
        noteContactChange(tx, batch.workspaceId, c.e.contact_id, ['field:tags']);
        batch.step(c.e, node.id, 'tagged', { add: node.add, remove: node.remove });
        c.nodeId = node.next;
      }
      return;
    }
    case 'exit':
      for (const c of group) finish(batch, c, 'exited', 'exit node');
      return;
    default: {
      const results = await runActionNode(
        { tx, workspaceId: batch.workspaceId, now, clock: batch.clock },
        node,
        group.map((c) => ({ enrolmentId: c.e.id, journeyId: c.e.journey_id, contactId: c.e.contact_id })),
      );
      for (const c of group) {
        const result = results.get(c.e.id) ?? { outcome: 'done' };
        batch.step(c.e, node.id, result.outcome, result.detail);
        c.nodeId = node.next;
      }
      return;
    }
  }
}

/**
 * A wait_for on a condition, for contacts arriving at it and contacts woken to re-check it (one
 * query for the group): those who meet it leave through `happened`, the others through `timedOut`
 * once the deadline has come, or park until the next re-check (never past the deadline).
 */
async function waitForCondition(
  batch: Batch,
  ctx: WorkspaceContext,
  group: Cursor[],
  node: Extract<JourneyNode, { type: 'wait_for' }>,
): Promise<void> {
  const { tx, now } = batch;
  const held = await holdingContacts(
    tx,
    batch.workspaceId,
    node.condition!,
    group.map((c) => c.e.contact_id),
    now,
    ctx,
  );
  for (const c of group) {
    const arriving = c.waitingFor !== node.id;
    const deadline = arriving ? new Date(now.getTime() + durationMs(node.timeout)) : (c.deadline ?? now);
    if (held.has(c.e.contact_id) || deadline <= now) {
      const happened = held.has(c.e.contact_id);
      batch.step(
        c.e,
        node.id,
        happened ? 'happened' : 'timed_out',
        happened ? { condition: arriving ? 'held on arrival' : 'came to hold' } : {},
      );
      c.waitingFor = null;
      c.deadline = null;
      c.nodeId = happened ? node.next.happened : node.next.timedOut;
      continue;
    }
    if (arriving) batch.step(c.e, node.id, 'waiting', { until: deadline.toISOString(), condition: true });
    park(c, node.id, new Date(Math.min(deadline.getTime(), now.getTime() + CONDITION_RECHECK_MS)), deadline);
  }
}

/** The template's current published version (once per batch); null when it has none. */
async function templateVersion(batch: Batch, ctx: WorkspaceContext, templateId: string): Promise<number | null> {
  let version = ctx.templates.get(templateId);
  if (version === undefined) {
    const row = await batch.tx
      .selectFrom('templates')
      .select('published_version')
      .where('workspace_id', '=', batch.workspaceId)
      .where('id', '=', templateId)
      .executeTakeFirst();
    version = row?.published_version ?? null;
    ctx.templates.set(templateId, version);
  }
  return version;
}

/**
 * Queues the node's message. The dedupe key is enrolment × node × step number: running the same
 * step again (after a crash before commit) queues nothing twice; a loop back through the node later
 * is a new step and a new message.
 * @returns the delivery, or why none was queued.
 */
function sendStep(batch: Batch, node: Extract<JourneyNode, { type: 'send' }>, c: Cursor, version: number | null): NewDelivery | string {
  const enrolment = c.e;
  const base = {
    workspaceId: batch.workspaceId,
    contactId: enrolment.contact_id,
    kind: node.kind,
    source: `journey:${enrolment.journey_id}`,
    dedupeKey: `journey:${enrolment.id}:${node.id}:${c.steps}`,
    topic: node.topic,
    dueAt: batch.now,
    // Liquid sees the trigger event as {{ event.… }} and the journey as {{ journey.… }}.
    context: {
      event: ((enrolment.context ?? {}) as { event?: Record<string, unknown> }).event ?? {},
      journey: { id: enrolment.journey_id, enrolmentId: enrolment.id, node: node.id },
    },
  };
  let delivery: NewDelivery;
  if (node.channel === 'email') {
    if (version === null) return 'the template has no published version';
    delivery = { ...base, channel: 'email', templateId: node.templateId, templateVersion: version };
  } else if (node.channel === 'sms') delivery = { ...base, channel: 'sms', content: { body: node.body } };
  else delivery = { ...base, channel: 'webhook', content: { url: node.url, secret: node.secret, payload: node.payload ?? {} } };
  batch.deliveries.push(delivery);
  return delivery;
}

/** When a wait node ends for this enrolment (the contact's time zone; the workspace's when it has none); null: nothing to wait for. */
function waitUntil(
  workspaceTimeZone: string,
  contacts: Map<string, Record<string, unknown>>,
  node: Extract<JourneyNode, { type: 'wait' }>,
  enrolment: Pick<Enrolment, 'contact_id' | 'context'>,
  now: Date,
): Date | null {
  const contact = contacts.get(enrolment.contact_id) ?? {};
  const timeZone = (contact.timezone as string | null) ?? workspaceTimeZone;
  if (node.duration)
    return node.businessHours
      ? addBusinessTime(now, durationMs(node.duration), timeZone, node.businessHours)
      : new Date(now.getTime() + durationMs(node.duration));
  if (node.until) return nextLocalTime(now, timeZone, node.until.time, node.until.weekdays);
  const { field, offsetDays, offsetMinutes, time } = node.untilDate!;
  const raw = field.startsWith('event.')
    ? propertyAt((enrolment.context as { event?: unknown } | null)?.event, field.slice(6))
    : contactField(contact, field);
  return dateOccurrence(raw, { offsetDays, offsetMinutes, time }, timeZone);
}

/** A contact's field by its API name (jobTitle, custom.trial_ends_at) from a contacts row. */
function contactField(contact: Record<string, unknown>, field: string): unknown {
  return field.startsWith('custom.') ? (contact.custom as Record<string, unknown> | undefined)?.[field.slice(7)] : contact[snake(field)];
}

/** A dotted property of a JSON object (items.0.sku). */
function propertyAt(value: unknown, path: string): unknown {
  let at = value;
  for (const key of path.split('.')) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

/** `now` + `ms` of business time: only the hours between start and end on the given weekdays, local. */
function addBusinessTime(now: Date, ms: number, timeZone: string, hours: { start: string; end: string; weekdays: number[] }): Date {
  let at = now;
  let left = ms;
  let date = localDate(now, timeZone);
  // Ten years of days at most: a duration is at most 3650 days of business time... of which a week has 5.
  for (let i = 0; i < 366 * 30; i++, date = shiftDate(date, 1)) {
    const weekday = ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
    if (!hours.weekdays.includes(weekday)) continue;
    const open = atLocalTime(date, hours.start, timeZone);
    const close = atLocalTime(date, hours.end, timeZone);
    if (close <= at) continue;
    const from = new Date(Math.max(open.getTime(), at.getTime()));
    const room = close.getTime() - from.getTime();
    if (left <= room) return new Date(from.getTime() + left);
    left -= room;
    at = close;
  }
  throw new Error('business-hours wait longer than thirty years');
}

/** The next instant after `now` when the local time in `timeZone` is `time` on one of `weekdays` (1 = Monday). */
export function nextLocalTime(now: Date, timeZone: string, time: string, weekdays?: number[]): Date {
  let date = localDate(now, timeZone);
  for (let i = 0; i < 9; i++) {
    const at = atLocalTime(date, time, timeZone);
    const weekday = ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
    if (at > now && (!weekdays || weekdays.includes(weekday))) return at;
    date = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  }
  throw new Error(`no ${time} on weekdays ${weekdays?.join(',')} within a week`);
}

/** A path by weight, decided by a hash of the enrolment and node: the same enrolment always takes the same path. */
function pickPath<T extends { weight: number }>(paths: readonly T[], seed: string): T {
  const total = paths.reduce((n, p) => n + p.weight, 0);
  const x = (createHash('sha256').update(seed).digest().readUInt32BE(0) / 2 ** 32) * total;
  let acc = 0;
  for (const path of paths) {
    acc += path.weight;
    if (x < acc) return path;
  }
  return paths[paths.length - 1]!;
}

/**
 * Acts on the events journeys wait for, in the events' order: an enrolled contact's goal event
 * converts it and an exit event ends it at once (not when its wait ends); the event a wait_for
 * waits on moves it on; a trigger enrols. The inbox rows are deleted in the same unit of work, so
 * each event acts once.
 * @returns how many events were taken.
 */
export async function processJourneyInbox(
  db: Kysely<DB>,
  clock: Clock,
  { workspaceId, limit = 500 }: { workspaceId?: string; limit?: number } = {},
): Promise<number> {
  return unitOfWork(db, clock, async (tx) => {
    const now = clock.now();
    const { rows } = await sql<{
      id: string;
      workspace_id: string;
      contact_id: string;
      event_key: string;
      properties: Record<string, unknown>;
    }>`
      SELECT id, workspace_id, contact_id, event_key, properties FROM journey_inbox
      ${workspaceId ? sql`WHERE workspace_id = ${workspaceId}` : sql``}
      ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`.execute(tx);
    if (rows.length === 0) return 0;
    const byWorkspace = new Map<string, typeof rows>();
    for (const row of rows) byWorkspace.set(row.workspace_id, [...(byWorkspace.get(row.workspace_id) ?? []), row]);
    for (const [ws, events] of byWorkspace) await actOnEvents(tx, ws, events, now);
    await sql`DELETE FROM journey_inbox WHERE id = ANY(${rows.map((r) => r.id)}::bigint[])`.execute(tx);
    return rows.length;
  });
}

/** An inbox row as `actOnEvents` reads it. */
export interface InboxEvent {
  id: string;
  contact_id: string;
  event_key: string;
  properties: Record<string, unknown>;
}

interface LiveJourney {
  id: string;
  status: string;
  version: number;
  definition: JourneyDefinition;
}

/**
 * Acts on inbox rows (in `journey_inbox`, taken by the caller) at `now`: goals, exits, wait-fors,
 * then triggers. `journeyIds` limits it to those journeys (the simulation).
 */
export async function actOnEvents(
  tx: Kysely<DB>,
  workspaceId: string,
  events: InboxEvent[],
  now: Date,
  { journeyIds }: { journeyIds?: readonly string[] } = {},
): Promise<void> {
  const contactIds = [...new Set(events.map((e) => e.contact_id))];
  const enrolments = await tx
    .selectFrom('journey_enrolments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'active')
    .where('contact_id', 'in', contactIds)
    .$if(journeyIds !== undefined, (q) => q.where('journey_id', 'in', journeyIds!.length ? [...journeyIds!] : [NO_ID]))
    .forUpdate()
    .execute();
  const journeys: LiveJourney[] = [];
  for (const j of await tx
    .selectFrom('journeys')
    .select(['id', 'status', 'published_version'])
    .where('workspace_id', '=', workspaceId)
    .where('status', 'in', ['active', 'paused'])
    .where('published_version', 'is not', null)
    .$if(journeyIds !== undefined, (q) => q.where('id', 'in', journeyIds!.length ? [...journeyIds!] : [NO_ID]))
    .execute())
    journeys.push({
      id: j.id,
      status: j.status,
      version: j.published_version!,
      definition: await loadJourneyVersion(tx, j.id, j.published_version!),
    });
  // Every selector that could apply, compiled once and evaluated on the inbox rows in one query.
  const versions = new Map<string, JourneyDefinition>();
  for (const e of enrolments) versions.set(`${e.journey_id}:${e.version}`, await loadJourneyVersion(tx, e.journey_id, e.version));
  const selectors: EventSelector[] = [];
  const index = new Map<EventSelector, number>();
  const add = (s: EventSelector) => {
    if (!index.has(s)) index.set(s, selectors.push(s) - 1);
  };
  for (const d of versions.values()) {
    for (const g of d.goals) if (g.selector) add(g.selector);
    for (const x of d.exitOn) add(x);
    for (const n of d.nodes) if (n.type === 'wait_for' && n.selector) add(n.selector);
  }
  for (const j of journeys) {
    if (j.status === 'active' && j.definition.trigger.type === 'event') add(j.definition.trigger.selector);
    // Enrolments this batch creates are checked against the rest of the batch too.
    for (const g of j.definition.goals) if (g.selector) add(g.selector);
    for (const x of j.definition.exitOn) add(x);
    for (const n of j.definition.nodes) if (n.type === 'wait_for' && n.selector) add(n.selector);
  }
  const formTrigger: EventSelector = { call: 'track', event: 'Form Submitted', where: [] };
  add(formTrigger);
  const catalog = new FieldCatalog(await listCustomFields(tx, workspaceId));
  const ws = await tx.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow();
  const compileContext = { workspaceId, now, timeZone: ws.timezone, catalog };
  const columns = selectors.map((s) => sql`${eventSelectorPredicate(s, compileContext)}::int::text`);
  const { rows: matched } = await sql<{ id: string; matches: string }>`
    SELECT e.id, ${sql.join(columns, sql` || `)} AS matches FROM journey_inbox e WHERE e.id = ANY(${events.map((e) => e.id)}::bigint[])`.execute(
    tx,
  );
  const matchesOf = new Map(matched.map((m) => [String(m.id), m.matches]));
  const holds = (event: { id: string }, s: EventSelector) => matchesOf.get(String(event.id))?.[index.get(s)!] === '1';
  // A stage goal is reached by a move to that stage or one after it on the lifecycle path.
  const path = [...versions.values(), ...journeys.map((j) => j.definition)].some((d) => d.goals.some((g) => g.stage))
    ? (await lifecycleInForce(tx, workspaceId)).stages
    : [];
  const reaches = (event: InboxEvent, goal: JourneyDefinition['goals'][number]) => {
    if (goal.selector) return holds(event, goal.selector);
    if (event.event_key !== 'signal:lifecycle.stage_changed') return false;
    const to = String(event.properties.to);
    return to === goal.stage || (path.includes(goal.stage!) && path.indexOf(to) >= path.indexOf(goal.stage!));
  };

  const batch = new Batch(tx, workspaceId, now);
  const ended = new Set<string>();
  const recheck = new Set<string>();
  for (const event of events) {
    // 1. The contact's enrolments: goals, exits, then a wait_for waiting on this event.
    for (const e of enrolments) {
      if (e.contact_id !== event.contact_id || ended.has(e.id)) continue;
      const d = versions.get(`${e.journey_id}:${e.version}`)!;
      const goal = d.goals.find((g) => reaches(event, g));
      const exit = !goal && d.exitOn.some((x) => holds(event, x));
      if (goal || exit) {
        ended.add(e.id);
        const status = goal ? 'converted' : 'exited';
        const reason = goal ? `goal ${goal.name}` : 'exit event';
        batch.step(e, e.node_id, status, { reason, event: event.event_key });
        await tx
          .updateTable('journey_enrolments')
          .set({ status, ended_at: now, end_reason: reason, wake_at: null, waiting_for: null, wait_deadline: null })
          .where('id', '=', e.id)
          .execute();
        continue;
      }
      const node = e.waiting_for ? d.nodes.find((n) => n.id === e.waiting_for) : undefined;
      // A wait on a condition this event or signal may have made true: the worker re-checks it now, with its group.
      if (node?.type === 'wait_for' && node.condition && conditionWakeKeys(node.condition).includes(event.event_key)) recheck.add(e.id);
      if (node?.type === 'wait_for' && node.selector && holds(event, node.selector)) {
        batch.step(e, node.id, 'happened', { event: event.event_key });
        const next = node.next.happened;
        e.waiting_for = null;
        await tx
          .updateTable('journey_enrolments')
          .set(
            next
              ? { node_id: next, waiting_for: null, wait_deadline: null, wake_at: now }
              : { status: 'completed', ended_at: now, end_reason: 'end of journey', wake_at: null, waiting_for: null, wait_deadline: null },
          )
          .where('id', '=', e.id)
          .execute();
        if (!next) ended.add(e.id);
      }
    }
    // 2. Triggers.
    for (const j of journeys) {
      if (j.status !== 'active') continue;
      const trigger = j.definition.trigger;
      const fires =
        (trigger.type === 'event' && holds(event, trigger.selector)) ||
        (trigger.type === 'form_submitted' && holds(event, formTrigger) && event.properties.formId === trigger.formId) ||
        signalFires(trigger, event);
      if (!fires) continue;
      const keyProperty = j.definition.reentry.eventKey;
      const eventKey = keyProperty ? String(event.properties[keyProperty] ?? '') || null : null;
      await batch.flush();
      const created = await enrolContacts(tx, {
        workspaceId,
        journeyId: j.id,
        contactIds: [event.contact_id],
        eventKey,
        context: event.event_key.startsWith('signal:') ? { signal: event.properties } : { event: event.properties },
        now,
        source: event.event_key,
        conditions: compileContext,
      });
      // A goal or exit event later in this batch must see the enrolment this one created.
      if (created.enrolled.length) {
        const rows = await tx
          .selectFrom('journey_enrolments')
          .selectAll()
          .where(
            'id',
            'in',
            created.enrolled.map((e) => e.enrolmentId),
          )
          .execute();
        enrolments.push(...rows);
        for (const row of rows) versions.set(`${row.journey_id}:${row.version}`, await loadJourneyVersion(tx, row.journey_id, row.version));
      }
    }
  }
  const due = [...recheck].filter((id) => !ended.has(id));
  if (due.length)
    await tx
      .updateTable('journey_enrolments')
      .set({ wake_at: now })
      .where('id', 'in', due)
      .where('status', '=', 'active')
      .where('wake_at', '>', now)
      .execute();
  await batch.flush();
}

/** Whether a signal in the inbox (segment entered/exited, stage or band changed) is what the trigger waits for. */
function signalFires(trigger: JourneyDefinition['trigger'], event: { event_key: string; properties: Record<string, unknown> }): boolean {
  const p = event.properties;
  switch (trigger.type) {
    case 'segment_entered':
      return event.event_key === 'signal:segment.entered' && p.subjectId === trigger.segmentId;
    case 'segment_exited':
      return event.event_key === 'signal:segment.exited' && p.subjectId === trigger.segmentId;
    case 'stage_changed':
      return event.event_key === 'signal:lifecycle.stage_changed' && p.to === trigger.to && (!trigger.from || p.from === trigger.from);
    case 'score_band':
      return (
        event.event_key === 'signal:score.band_changed' &&
        p.subjectId === trigger.modelId &&
        p.to === trigger.band &&
        (!trigger.direction || p.direction === trigger.direction)
      );
    default:
      return false;
  }
}

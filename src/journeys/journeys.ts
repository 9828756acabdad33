import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import { inTransaction } from '../platform/db/in-transaction.ts';
import type { DB, JourneyStatus } from '../platform/db/schema.ts';
import { invalidInput, issuesFromZod, KizunaError, notFound } from '../platform/errors.ts';
import { readDocument } from '../platform/read-document.ts';
import { checkJourney } from './check-journey.ts';
import { conditionWakeKeys, type EventSelector, type JourneyDefinition, type JourneyNode, ZJourneyDefinition } from './definition.ts';

const EXAMPLE = '{"trigger": {…}, "start": "welcome", "nodes": [{"id": "welcome", "type": "send", …}]}';

export const ZJourneyInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullable().optional(),
    definition: z.unknown().openapi({ description: 'A JourneyDefinition (JSON), or YAML text of one' }),
  })
  .strict()
  .openapi('JourneyInput');

export const ZJourney = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    /** draft: never published; active: enrols and runs; paused: enrols nobody, people in flight go on; archived: done. */
    status: z.enum(['draft', 'active', 'paused', 'archived']),
    /** The definition being edited (checked completely only by validate and publish). */
    draft: ZJourneyDefinition,
    publishedVersion: z.number().int().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Journey');
export type Journey = z.infer<typeof ZJourney>;

export const ZJourneyValidateInput = z
  .object({
    definition: z.unknown().optional().openapi({ description: 'A JourneyDefinition to check instead of the stored draft' }),
  })
  .strict()
  .openapi('JourneyValidateInput');

export const ZJourneyValidation = z
  .object({ valid: z.boolean(), issues: z.array(z.object({ path: z.string(), message: z.string() })) })
  .openapi('JourneyValidation');
export type JourneyValidation = z.infer<typeof ZJourneyValidation>;

/** Creates a journey as a draft: the definition must be well-formed, but may be unfinished (publish checks the rest). */
export async function createJourney(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<Journey> {
  const { name, description, definition } = parseJourneyInput(input);
  const now = clock.now();
  const id = randomUUID();
  await db
    .insertInto('journeys')
    .values({
      id,
      workspace_id: workspaceId,
      name,
      description,
      status: 'draft',
      draft: JSON.stringify(definition),
      published_version: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return getJourney(db, workspaceId, id);
}

/** Replaces the draft, name and description (PUT), in any status but archived; people in flight keep their version. */
export async function updateJourney(db: Kysely<DB>, workspaceId: string, id: string, input: unknown, clock: Clock): Promise<Journey> {
  const { name, description, definition } = parseJourneyInput(input);
  const updated = await db
    .updateTable('journeys')
    .set({ name, description, draft: JSON.stringify(definition), updated_at: clock.now() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('status', '!=', 'archived')
    .returning('id')
    .executeTakeFirst();
  if (!updated) throw statusConflict(await loadJourneyRow(db, workspaceId, id), 'edit');
  return getJourney(db, workspaceId, id);
}

export async function getJourney(db: Kysely<DB>, workspaceId: string, id: string): Promise<Journey> {
  return toJourney(await loadJourneyRow(db, workspaceId, id));
}

export async function listJourneys(
  db: Kysely<DB>,
  workspaceId: string,
  { archived = false }: { archived?: boolean } = {},
): Promise<Journey[]> {
  let query = db.selectFrom('journeys').selectAll().where('workspace_id', '=', workspaceId);
  query = archived ? query : query.where('status', '!=', 'archived');
  return (await query.orderBy('created_at').orderBy('id').execute()).map(toJourney);
}

/**
 * Checks a definition (given, as `definition.…`) or the stored draft (as `draft.…`) against the
 * workspace without saving anything.
 */
export async function validateJourney(db: Kysely<DB>, workspaceId: string, id: string, definition?: unknown): Promise<JourneyValidation> {
  const row = await loadJourneyRow(db, workspaceId, id);
  const root = definition === undefined ? 'draft' : 'definition';
  let parsed: JourneyDefinition;
  try {
    parsed = readDocument(ZJourneyDefinition, definition ?? row.draft, root, EXAMPLE);
  } catch (error) {
    if (error instanceof KizunaError && error.code === 'invalid_input') return { valid: false, issues: [...error.issues] };
    throw error;
  }
  const issues = await checkJourney(db, workspaceId, parsed, root);
  return { valid: issues.length === 0, issues };
}

export const ZJourneyPublishInput = z
  .object({
    nodeMap: z
      .record(z.string().max(63), z.string().max(63))
      .optional()
      .openapi({
        description:
          'Move contacts in flight on earlier versions to the new one: old node id → node id of the new version. Contacts at nodes not named stay on their version until they leave (drain).',
        example: { reminder_wait: 'reminder_wait', old_coupon: 'coupon_mail' },
      }),
  })
  .strict()
  .openapi('JourneyPublishInput');

/**
 * Publishes the draft as the next version and makes the journey active, with the event keys it
 * reacts to rewritten in the same transaction. A draft with any problem publishes nothing (400).
 * With a `nodeMap`, contacts in flight at a mapped node move to the new version's node (a wait
 * keeps its wake time when it maps to a wait; otherwise the new node runs at once).
 */
export async function publishJourney(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock, input?: unknown): Promise<Journey> {
  const { nodeMap = {} } = readDocument(ZJourneyPublishInput, input ?? {}, 'body', '{"nodeMap": {"old_node": "new_node"}}');
  await inTransaction(db, async (tx) => {
    // Locked first, checked second: what is published is exactly what was checked.
    const row = await lockJourneyRow(tx, workspaceId, id);
    if (row.status === 'archived') throw statusConflict(row, 'publish');
    const definition = readDocument(ZJourneyDefinition, row.draft, 'draft', EXAMPLE);
    const issues = await checkJourney(tx, workspaceId, definition, 'draft');
    const newNodes = new Map(definition.nodes.map((n) => [n.id, n]));
    const oldNodes = new Map<string, JourneyNode>();
    if (Object.keys(nodeMap).length)
      for (let v = 1; v <= (row.published_version ?? 0); v++)
        for (const n of (await loadJourneyVersion(tx, id, v)).nodes) oldNodes.set(n.id, n);
    for (const [from, to] of Object.entries(nodeMap)) {
      if (!oldNodes.has(from))
        issues.push({ path: `body.nodeMap.${from}`, message: `no published version of this journey has a node "${from}"` });
      if (!newNodes.has(to)) issues.push({ path: `body.nodeMap.${from}`, message: `"${to}" is not a node of the draft being published` });
    }
    if (issues.length) throw invalidInput(issues, 'the journey is invalid; see errors for each problem');
    const now = clock.now();
    const version = (row.published_version ?? 0) + 1;
    await tx
      .insertInto('journey_versions')
      .values({ journey_id: id, version, definition: JSON.stringify(definition), published_at: now })
      .execute();
    await tx.updateTable('journeys').set({ status: 'active', published_version: version, updated_at: now }).where('id', '=', id).execute();
    for (const [from, to] of Object.entries(nodeMap)) {
      const isWait = (n: JourneyNode | undefined) => n?.type === 'wait' || n?.type === 'wait_for';
      // A parked contact keeps its wake time when the new node waits too; otherwise it runs the new node now.
      const keepsWait = isWait(oldNodes.get(from)) && isWait(newNodes.get(to));
      const moved = await tx
        .updateTable('journey_enrolments')
        .set(
          keepsWait
            ? { version, node_id: to, waiting_for: sql`CASE WHEN waiting_for IS NULL THEN NULL ELSE ${to} END` }
            : { version, node_id: to, waiting_for: null, wake_at: now },
        )
        .where('journey_id', '=', id)
        .where('status', '=', 'active')
        .where('version', '<', version)
        .where('node_id', '=', from)
        .returning(['id', 'version'])
        .execute();
      if (moved.length)
        await sql`
          INSERT INTO journey_steps (workspace_id, enrolment_id, journey_id, node_id, outcome, detail, at)
          SELECT ${workspaceId}, m.id, ${id}, ${to}, 'migrated', jsonb_build_object('fromNode', ${from}::text, 'toVersion', ${version}::int), ${now}
          FROM unnest(${moved.map((m) => m.id)}::uuid[]) AS m(id)`.execute(tx);
    }
    await writeEventKeys(tx, workspaceId, id, eventKeysOf(definition, { triggers: true }));
  });
  return getJourney(db, workspaceId, id);
}

/** Stops enrolling: trigger keys go, but wait-for, goal and exit keys stay so people in flight still advance and leave. */
export function pauseJourney(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<Journey> {
  return changeStatus(db, workspaceId, id, clock, { action: 'pause', from: ['active'], to: 'paused', triggers: false });
}

/** Enrols again from the published version's trigger. */
export function resumeJourney(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<Journey> {
  return changeStatus(db, workspaceId, id, clock, { action: 'resume', from: ['paused'], to: 'active', triggers: true });
}

/** Archives a journey: it reacts to no event any more; its versions, enrolments and steps are kept. */
export async function archiveJourney(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<void> {
  await changeStatus(db, workspaceId, id, clock, { action: 'archive', from: ['draft', 'active', 'paused'], to: 'archived' });
}

/**
 * The event keys (as `journey_event_keys` holds them) a definition reacts to: its wait-for
 * selectors, goals and exits, and with `triggers` its trigger too.
 * @example eventKeysOf(definition, { triggers: false }) // ['event:page', 'event:track:Order Completed']
 */
export function eventKeysOf(definition: JourneyDefinition, { triggers }: { triggers: boolean }): string[] {
  const selectors: EventSelector[] = [
    ...definition.nodes.flatMap((node) => (node.type === 'wait_for' && node.selector ? [node.selector] : [])),
    ...definition.goals.flatMap((goal) => (goal.selector ? [goal.selector] : [])),
    ...definition.exitOn,
  ];
  const keys = selectors.map(eventKeyOf);
  // A wait on a condition is re-checked when the contact's events or signals may have made it true.
  for (const node of definition.nodes) if (node.type === 'wait_for' && node.condition) keys.push(...conditionWakeKeys(node.condition));
  // A stage goal converts on the stage-change signal.
  if (definition.goals.some((goal) => goal.stage !== undefined)) keys.push('signal:lifecycle.stage_changed');
  const { trigger } = definition;
  if (triggers && trigger.type === 'event') keys.push(eventKeyOf(trigger.selector));
  // Form submissions are recorded as a `Form Submitted` track event (see submit-form.ts).
  if (triggers && trigger.type === 'form_submitted') keys.push('event:track:Form Submitted');
  // Signals of the decide stage (segment, stage and band changes) come through the same inbox.
  if (triggers && (trigger.type === 'segment_entered' || trigger.type === 'segment_exited'))
    keys.push(trigger.type === 'segment_entered' ? 'signal:segment.entered' : 'signal:segment.exited');
  if (triggers && trigger.type === 'stage_changed') keys.push('signal:lifecycle.stage_changed');
  if (triggers && trigger.type === 'score_band') keys.push('signal:score.band_changed');
  return [...new Set(keys)].sort();
}

/** The key the events trigger computes for an event: `event:track:<name>`, `event:page`, `event:screen`. */
export function eventKeyOf(selector: EventSelector): string {
  return selector.call === 'track' ? `event:track:${selector.event}` : `event:${selector.call}`;
}

// Published versions never change, so a definition once read serves every later step of this process.
const VERSION_CACHE_SIZE = 500;
const versionCache = new Map<string, JourneyDefinition>();

/** A published version's definition (frozen; shared by every caller), from this process's cache when it has it. */
export async function loadJourneyVersion(db: Kysely<DB>, journeyId: string, version: number): Promise<JourneyDefinition> {
  const key = `${journeyId}:${version}`;
  const hit = versionCache.get(key);
  if (hit) {
    versionCache.delete(key);
    versionCache.set(key, hit);
    return hit;
  }
  const row = await db
    .selectFrom('journey_versions')
    .select('definition')
    .where('journey_id', '=', journeyId)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) throw notFound('journey version', `${journeyId} v${version}`);
  const definition = deepFreeze(ZJourneyDefinition.parse(row.definition));
  versionCache.set(key, definition);
  if (versionCache.size > VERSION_CACHE_SIZE) versionCache.delete(versionCache.keys().next().value!);
  return definition;
}

function parseJourneyInput(input: unknown) {
  const parsed = ZJourneyInput.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const definition = readDocument(ZJourneyDefinition, parsed.data.definition, 'definition', EXAMPLE);
  return { name: parsed.data.name, description: parsed.data.description ?? null, definition };
}

async function changeStatus(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  clock: Clock,
  { action, from, to, triggers }: { action: string; from: JourneyStatus[]; to: JourneyStatus; triggers?: boolean },
): Promise<Journey> {
  await db.transaction().execute(async (tx) => {
    const row = await lockJourneyRow(tx, workspaceId, id);
    // Asking again for the state it is in changes nothing (a retried request).
    if (row.status === to) return;
    if (!from.includes(row.status)) throw statusConflict(row, action);
    const keys =
      triggers === undefined || row.published_version === null
        ? []
        : eventKeysOf(await loadJourneyVersion(tx, id, row.published_version), { triggers });
    await writeEventKeys(tx, workspaceId, id, keys);
    await tx.updateTable('journeys').set({ status: to, updated_at: clock.now() }).where('id', '=', id).execute();
  });
  return getJourney(db, workspaceId, id);
}

async function writeEventKeys(tx: Transaction<DB>, workspaceId: string, journeyId: string, current: string[]): Promise<void> {
  // Contacts in flight stay on the version they entered: its wait-for, goal and exit events must
  // keep reaching them after a new version is published, the journey paused or archived.
  const keys = new Set(current);
  const live = await tx
    .selectFrom('journey_enrolments')
    .select('version')
    .distinct()
    .where('journey_id', '=', journeyId)
    .where('status', '=', 'active')
    .execute();
  for (const { version } of live)
    for (const key of eventKeysOf(await loadJourneyVersion(tx, journeyId, version), { triggers: false })) keys.add(key);
  await tx.deleteFrom('journey_event_keys').where('journey_id', '=', journeyId).execute();
  if (keys.size)
    await tx
      .insertInto('journey_event_keys')
      .values([...keys].sort().map((event_key) => ({ workspace_id: workspaceId, journey_id: journeyId, event_key })))
      .execute();
}

type JourneyRow = Awaited<ReturnType<typeof loadJourneyRow>>;

function statusConflict(row: JourneyRow, action: string): KizunaError {
  const why = row.status === 'draft' ? 'it is a draft; publish it first' : `it is ${row.status}`;
  return new KizunaError('conflict', `cannot ${action} journey ${row.id}: ${why}`);
}

async function loadJourneyRow(db: Kysely<DB>, workspaceId: string, id: string) {
  const row = await db.selectFrom('journeys').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('journey', id);
  return row;
}

async function lockJourneyRow(tx: Transaction<DB>, workspaceId: string, id: string): Promise<JourneyRow> {
  const row = await tx
    .selectFrom('journeys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('journey', id);
  return row;
}

function toJourney(row: JourneyRow): Journey {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status,
    draft: ZJourneyDefinition.parse(row.draft),
    publishedVersion: row.published_version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

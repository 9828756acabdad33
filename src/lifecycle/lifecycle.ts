import { z } from '@hono/zod-openapi';
import { type Kysely, sql } from 'kysely';
import { assertContactInWorkspace } from '../contacts/contacts.ts';
import { listCustomFields } from '../contacts/custom-fields.ts';
import type { Clock } from '../platform/clock.ts';
import { noteStageMove } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { type FieldIssue, invalidInput, issuesFromZod, notFound } from '../platform/errors.ts';
import { readDocument } from '../platform/read-document.ts';
import { checkCondition } from '../segments/check-definition.ts';
import { dependencies, matchesQuery } from '../segments/compile.ts';
import { atoms, type Condition, ZCondition } from '../segments/condition.ts';
import { FieldCatalog } from '../segments/fields.ts';
import { definitionContext } from '../segments/segments.ts';
import { startHandoffs } from './handoff.ts';

/**
 * Lifecycle stages: an ordered path (Subscriber → Lead → MQL → SQL → Opportunity → Customer by
 * default) and stages off it (Recycled, Disqualified). Stage rules are conditions of the shared
 * language; a contact moves forward automatically to the furthest stage whose rule holds (a
 * Recycled contact re-qualifies the same way; a Disqualified one never moves by itself).
 * Backward moves happen only by an explicit action. Every transition is logged with its cause.
 */
export const DEFAULT_STAGES = ['Subscriber', 'Lead', 'MQL', 'SQL', 'Opportunity', 'Customer'];
export const DEFAULT_OFF_PATH = ['Recycled', 'Disqualified'];

const ZStage = z.string().trim().min(1).max(64);

export const ZLifecycleDefinition = z
  .object({
    schemaVersion: z.literal(1).default(1),
    stages: z.array(ZStage).min(2).max(20).default(DEFAULT_STAGES),
    offPath: z.array(ZStage).max(10).default(DEFAULT_OFF_PATH),
    /** The stage a contact that re-qualifies leaves from (sales rejected it); defaults to Recycled. */
    recycledStage: ZStage.default('Recycled'),
    /** Stages contacts never leave by a rule (Disqualified). */
    finalStages: z.array(ZStage).max(10).default(['Disqualified']),
    rules: z
      .array(z.object({ stage: ZStage, label: z.string().max(200).optional(), condition: ZCondition }).strict())
      .max(20)
      .default([]),
    /**
     * Sales handoff when a contact enters `stage` (seed 004: first touch within 24 h, accept or
     * reject within 7 days): the contact's owner is kept, or one is chosen by weighted round robin.
     */
    handoff: z
      .object({
        stage: ZStage.default('MQL'),
        salesUsers: z
          .array(z.object({ email: z.email(), weight: z.number().int().min(1).max(100).default(1) }).strict())
          .min(1)
          .max(200),
        firstTouchHours: z
          .number()
          .min(0.1)
          .max(24 * 60)
          .default(24),
        decisionHours: z
          .number()
          .min(0.1)
          .max(24 * 90)
          .default(24 * 7),
        acceptStage: ZStage.default('SQL'),
        rejectStage: ZStage.default('Recycled'),
        rejectReasons: z
          .array(z.string().regex(/^[a-z][a-z0-9_]{0,40}$/))
          .min(1)
          .max(30)
          .default(['no_budget', 'no_authority', 'no_need', 'bad_timing', 'unreachable', 'other']),
        /**
         * The recycle rule: a rejected lead still in the reject stage this many days later goes back
         * to `recycleStage` for nurturing (null: it stays until someone moves it).
         */
        recycleAfterDays: z.number().int().min(1).max(730).nullable().default(90),
        recycleStage: ZStage.default('Lead'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('LifecycleDefinition');
export type LifecycleDefinition = z.infer<typeof ZLifecycleDefinition>;

/** Problems of a lifecycle definition in this workspace (pure, given the condition context). */
export function checkLifecycle(
  definition: LifecycleDefinition,
  context: Parameters<typeof checkCondition>[1],
  root = 'definition',
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const all = [...definition.stages, ...definition.offPath];
  all.forEach((stage, i) => {
    if (all.indexOf(stage) !== i)
      issues.push({ path: `${root}.${i < definition.stages.length ? 'stages' : 'offPath'}`, message: `stage ${stage} appears twice` });
  });
  if (!definition.offPath.includes(definition.recycledStage))
    issues.push({ path: `${root}.recycledStage`, message: `${definition.recycledStage} is not one of offPath` });
  definition.finalStages.forEach((stage, i) => {
    if (!all.includes(stage)) issues.push({ path: `${root}.finalStages.${i}`, message: `no stage ${stage}` });
  });
  const handoff = definition.handoff;
  if (handoff) {
    for (const key of ['stage', 'acceptStage', 'rejectStage', 'recycleStage'] as const)
      if (!all.includes(handoff[key])) issues.push({ path: `${root}.handoff.${key}`, message: `no stage ${handoff[key]}` });
  }
  definition.rules.forEach((rule, i) => {
    const path = `${root}.rules.${i}`;
    if (!definition.stages.includes(rule.stage))
      issues.push({
        path: `${path}.stage`,
        message: `rules move contacts along the path: expected one of ${definition.stages.join(', ')}`,
      });
    issues.push(...checkCondition(rule.condition, context, [path, 'condition']));
    for (const [atom, at] of atoms(rule.condition, [path, 'condition']))
      if (atom.type === 'segment')
        issues.push({
          path: at.join('.'),
          message: 'a stage rule cannot read a segment (segments follow stages, not the other way round)',
        });
  });
  return issues;
}

async function parseLifecycle(db: Kysely<DB>, workspaceId: string, raw: unknown, path = 'definition'): Promise<LifecycleDefinition> {
  const definition = readDocument(ZLifecycleDefinition, raw, path, '{"definition": {"rules": […]}}');
  const issues = checkLifecycle(definition, await definitionContext(db, workspaceId), path);
  if (issues.length) throw invalidInput(issues, 'the lifecycle definition is invalid; see errors for each problem');
  return definition;
}

export const ZLifecycleSettings = z
  .object({ draft: ZLifecycleDefinition, published: ZLifecycleDefinition.nullable(), publishedVersion: z.number().int().nullable() })
  .openapi('LifecycleSettings');

export async function getLifecycle(db: Kysely<DB>, workspaceId: string): Promise<z.infer<typeof ZLifecycleSettings>> {
  const row = await db.selectFrom('lifecycle_settings').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst();
  const published = await loadPublishedLifecycle(db, workspaceId);
  return {
    draft: row ? ZLifecycleDefinition.parse(row.draft) : ZLifecycleDefinition.parse({}),
    published: published?.definition ?? null,
    publishedVersion: published?.version ?? null,
  };
}

/** Replaces the draft (checked against the workspace: fields, operators, values, stages). */
export async function saveLifecycleDraft(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock) {
  const definition = await parseLifecycle(db, workspaceId, (input as { definition?: unknown })?.definition);
  await db
    .insertInto('lifecycle_settings')
    .values({ workspace_id: workspaceId, draft: JSON.stringify(definition), published_version: null, updated_at: clock.now() })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ draft: JSON.stringify(definition), updated_at: clock.now() }))
    .execute();
  return getLifecycle(db, workspaceId);
}

/** Publishes the draft: from now on rules move contacts forward as their data changes. */
export async function publishLifecycle(db: Kysely<DB>, workspaceId: string, clock: Clock) {
  const { draft } = await getLifecycle(db, workspaceId);
  const definition = await parseLifecycle(db, workspaceId, draft, 'draft');
  await db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('lifecycle_settings')
      .select('published_version')
      .where('workspace_id', '=', workspaceId)
      .forUpdate()
      .executeTakeFirst();
    const version = (row?.published_version ?? 0) + 1;
    await tx
      .insertInto('lifecycle_versions')
      .values({ workspace_id: workspaceId, version, definition: JSON.stringify(definition), published_at: clock.now() })
      .execute();
    await tx
      .insertInto('lifecycle_settings')
      .values({ workspace_id: workspaceId, draft: JSON.stringify(definition), published_version: version, updated_at: clock.now() })
      .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ published_version: version, updated_at: clock.now() }))
      .execute();
  });
  return getLifecycle(db, workspaceId);
}

export async function loadPublishedLifecycle(
  db: Kysely<DB>,
  workspaceId: string,
): Promise<{ version: number; definition: LifecycleDefinition } | undefined> {
  const row = await db
    .selectFrom('lifecycle_settings as s')
    .innerJoin('lifecycle_versions as v', (join) =>
      join.onRef('v.workspace_id', '=', 's.workspace_id').onRef('v.version', '=', 's.published_version'),
    )
    .select(['v.version', 'v.definition'])
    .where('s.workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return row ? { version: row.version, definition: ZLifecycleDefinition.parse(row.definition) } : undefined;
}

/** The lifecycle in force: the published one, else the default stages (explicit moves work before anything is published). */
export async function lifecycleInForce(db: Kysely<DB>, workspaceId: string): Promise<LifecycleDefinition> {
  return (await loadPublishedLifecycle(db, workspaceId))?.definition ?? ZLifecycleDefinition.parse({});
}

export interface LifecycleScope {
  workspaceId: string;
  timeZone: string;
  catalog: FieldCatalog;
  definition: LifecycleDefinition;
  reasons: Set<string>;
}

/** The published lifecycle of a workspace and what its rules read; undefined without rules. */
export async function loadLifecycleScope(db: Kysely<DB>, workspaceId: string): Promise<LifecycleScope | undefined> {
  const published = await loadPublishedLifecycle(db, workspaceId);
  if (!published?.definition.rules.length) return undefined;
  const [workspace, customFields] = await Promise.all([
    db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow(),
    listCustomFields(db, workspaceId),
  ]);
  const catalog = new FieldCatalog(customFields);
  // Not the stage itself: a stage set by a person is not undone by the state it was set in.
  const reasons = new Set<string>();
  for (const rule of published.definition.rules) {
    const deps = dependencies(rule.condition);
    for (const reason of deps.reasons) reasons.add(reason);
    for (const field of deps.catalogFields) {
      const spec = catalog.get(field);
      if (spec) reasons.add(spec.reason);
    }
  }
  return { workspaceId, timeZone: workspace.timezone, catalog, definition: published.definition, reasons };
}

/**
 * Moves the touched contacts forward to the furthest stage whose rule holds, in the caller's
 * transaction: one transition row and one `lifecycle.stage_changed` signal per move.
 */
export async function advanceStages(tx: Kysely<DB>, scope: LifecycleScope, touched: Map<string, Set<string>>, clock: Clock): Promise<void> {
  const ids = [...touched]
    .filter(
      ([, reasons]) =>
        reasons.has('all') || [...scope.reasons].some((r) => reasons.has(r) || (r.startsWith('event:') && reasons.has('event:*'))),
    )
    .map(([id]) => id);
  if (ids.length === 0) return;
  const { definition } = scope;
  const now = clock.now();
  const matches = matchesQuery(
    definition.rules.map((r) => r.condition as Condition),
    { workspaceId: scope.workspaceId, now, timeZone: scope.timeZone, catalog: scope.catalog, contactIds: ids },
  );
  const { rows } = await sql<{ id: string; matches: string; stage: string | null }>`
    SELECT m.id, m.matches, c.lifecycle_stage AS stage FROM (${matches}) m JOIN contacts c ON c.id = m.id`.execute(tx);
  const current = new Map(rows.map((r) => [r.id, r.stage]));
  const position = (stage: string | null) => (stage === null ? -1 : definition.stages.indexOf(stage));
  const moves: Move[] = [];
  for (const row of rows) {
    const from = current.get(row.id) ?? null;
    if (from && definition.finalStages.includes(from)) continue;
    // A recycled contact re-qualifies through something that happens after it was recycled, not
    // through the very state sales just rejected.
    const reasons = touched.get(row.id)!;
    if (from === definition.recycledStage && [...reasons].every((r) => r === 'field:lifecycle_stage' || r.startsWith('score:'))) continue;
    let target: { stage: string; label?: string } | undefined;
    definition.rules.forEach((rule, i) => {
      if (row.matches[i] === '1' && (!target || position(rule.stage) > position(target.stage))) target = rule;
    });
    if (!target) continue;
    // Forward only: from an earlier stage, from no stage, or from off the path (Recycled re-qualifies).
    const offPath = from !== null && position(from) === -1;
    if (!offPath && position(target.stage) <= position(from)) continue;
    moves.push({ contactId: row.id, from, to: target.stage, cause: 'rule', rule: target.label ?? `${target.stage} rule` });
  }
  await recordTransitions(tx, scope.workspaceId, moves, now, definition);
}

interface Move {
  contactId: string;
  from: string | null;
  to: string | null;
  cause: string;
  rule?: string | null;
  reason?: string | null;
}

/** Writes stage moves in three statements however many: the contacts' stage, the transition log, the signals. */
export async function recordTransitions(
  tx: Kysely<DB>,
  workspaceId: string,
  moves: Move[],
  now: Date,
  definition?: LifecycleDefinition,
): Promise<void> {
  if (moves.length === 0) return;
  const json = JSON.stringify(moves.map((m) => ({ ...m, rule: m.rule ?? null, reason: m.reason ?? null })));
  const columns = sql`json_to_recordset(${json}::json) AS m("contactId" uuid, "from" text, "to" text, cause text, rule text, reason text)`;
  // The stage, its log and its signal in one statement (one round trip on the ingest path).
  await sql`
    WITH m AS (SELECT * FROM ${columns}),
    moved AS (
      UPDATE contacts AS c SET lifecycle_stage = m."to", updated_at = ${now}::timestamptz FROM m
      WHERE c.id = m."contactId" AND c.workspace_id = ${workspaceId}),
    logged AS (
      INSERT INTO lifecycle_transitions (workspace_id, contact_id, from_stage, to_stage, cause, rule, reason, occurred_at)
      SELECT ${workspaceId}::uuid, m."contactId", m."from", m."to", m.cause, m.rule, m.reason, ${now}::timestamptz FROM m)
    INSERT INTO signals (workspace_id, kind, contact_id, subject_id, data, occurred_at)
    SELECT ${workspaceId}::uuid, 'lifecycle.stage_changed', m."contactId", m."contactId",
      jsonb_build_object('from', m."from", 'to', m."to", 'cause', m.cause, 'rule', m.rule, 'reason', m.reason), ${now}::timestamptz
    FROM m`.execute(tx);
  for (const move of moves) noteStageMove(tx, workspaceId, move.contactId, { from: move.from, to: move.to });
  await startHandoffsFor(tx, workspaceId, moves, now, definition);
}

/** Contacts entering the handoff stage get an owner and SLA timers. */
async function startHandoffsFor(
  tx: Kysely<DB>,
  workspaceId: string,
  moves: { contactId: string; to: string | null }[],
  now: Date,
  definition?: LifecycleDefinition,
) {
  const config = definition ?? (await loadPublishedLifecycle(tx, workspaceId))?.definition;
  if (!config?.handoff) return;
  const stage = config.handoff.stage;
  await startHandoffs(
    tx,
    workspaceId,
    moves.filter((m) => m.to === stage).map((m) => m.contactId),
    config,
    now,
  );
}

/**
 * Logs stage changes that a contact write made itself (a PATCH, an import row, identify traits):
 * a transition row and a signal each, with the write's cause. The write has already set the stage.
 */
export async function logStageWrites(
  tx: Kysely<DB>,
  workspaceId: string,
  changes: { contactId: string; from: string | null; to: string | null }[],
  cause: 'api' | 'import',
  now: Date,
): Promise<void> {
  const moved = changes.filter((c) => c.from !== c.to);
  if (moved.length === 0) return;
  await tx
    .insertInto('lifecycle_transitions')
    .values(
      moved.map((c) => ({
        workspace_id: workspaceId,
        contact_id: c.contactId,
        from_stage: c.from,
        to_stage: c.to,
        cause,
        rule: null,
        reason: null,
        occurred_at: now,
      })),
    )
    .execute();
  await tx
    .insertInto('signals')
    .values(
      moved.map((c) => ({
        workspace_id: workspaceId,
        kind: 'lifecycle.stage_changed',
        contact_id: c.contactId,
        subject_id: c.contactId,
        data: JSON.stringify({ from: c.from, to: c.to, cause, rule: null, reason: null }),
        occurred_at: now,
      })),
    )
    .execute();
  await startHandoffsFor(tx, workspaceId, moved, now);
}

export const ZStageChange = z
  .object({
    stage: ZStage.nullable(),
    /** Why (required to move a contact back, e.g. sales rejected it: "no budget this year"). */
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .openapi('StageChange');

/**
 * An explicit stage change by a person or an API client: any stage, backward included (sales
 * rejects → Recycled). A backward move needs a reason. Runs in the caller's unit of work.
 */
export async function changeStage(
  tx: Kysely<DB>,
  workspaceId: string,
  contactId: string,
  input: unknown,
  cause: 'user' | 'api',
  clock: Clock,
) {
  const parsed = ZStageChange.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const contact = await tx
    .selectFrom('contacts')
    .select(['id', 'lifecycle_stage'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .forUpdate()
    .executeTakeFirst();
  if (!contact) throw notFound('contact', contactId);
  const definition = await lifecycleInForce(tx, workspaceId);
  const { stage, reason } = parsed.data;
  if (stage !== null && ![...definition.stages, ...definition.offPath].includes(stage))
    throw invalidInput([{ path: 'stage', message: `expected one of ${[...definition.stages, ...definition.offPath].join(', ')}` }]);
  const from = contact.lifecycle_stage;
  if (from === stage) return;
  const backward =
    stage === null ||
    !definition.stages.includes(stage) ||
    (from !== null && definition.stages.indexOf(stage) < definition.stages.indexOf(from));
  if (backward && !reason)
    throw invalidInput([{ path: 'reason', message: `moving back from ${from ?? 'no stage'} to ${stage ?? 'no stage'} needs a reason` }]);
  await recordTransitions(tx, workspaceId, [{ contactId, from, to: stage, cause, reason }], clock.now(), definition);
}

export const ZTransition = z
  .object({
    from: z.string().nullable(),
    to: z.string().nullable(),
    cause: z.string(),
    rule: z.string().nullable(),
    reason: z.string().nullable(),
    at: z.string(),
  })
  .openapi('StageTransition');

export async function listTransitions(db: Kysely<DB>, workspaceId: string, contactId: string): Promise<z.infer<typeof ZTransition>[]> {
  await assertContactInWorkspace(db, workspaceId, contactId);
  const rows = await db.selectFrom('lifecycle_transitions').selectAll().where('contact_id', '=', contactId).orderBy('id').execute();
  return rows.map((r) => ({
    from: r.from_stage,
    to: r.to_stage,
    cause: r.cause,
    rule: r.rule,
    reason: r.reason,
    at: r.occurred_at.toISOString(),
  }));
}

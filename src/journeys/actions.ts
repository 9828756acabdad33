import { type Kysely, sql } from 'kysely';
import type { CustomField } from '../contacts/custom-fields.ts';
import { listCustomFields } from '../contacts/custom-fields.ts';
import { getLifecycle, lifecycleInForce, recordTransitions, ZLifecycleDefinition } from '../lifecycle/lifecycle.ts';
import { checkLiquid } from '../messaging/templates/check-template.ts';
import { createTemplateEngines } from '../messaging/templates/liquid.ts';
import type { Clock } from '../platform/clock.ts';
import { noteContactChange } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { type FieldIssue, KizunaError } from '../platform/errors.ts';
import { loadScoringScope, scoreContacts } from '../scoring/runtime.ts';
import { writeListMembers } from '../segments/lists.ts';
import { runAssignOwner, runCreateTask, runNotifyOwner } from './action-sales.ts';
import { prepareFieldWrite, runUpdateField } from './action-update-field.ts';
import type { ActionNode } from './definition.ts';

/** The enrolments at one action node, run together. */
export interface ActionTarget {
  enrolmentId: string;
  journeyId: string;
  contactId: string;
}

/** What an action did for one enrolment: the trace step's outcome and detail. */
export interface ActionResult {
  outcome: string;
  detail?: Record<string, unknown>;
}

/** The journey worker's unit of work: its transaction (reactions run before it commits) and business time. */
export interface ActionRun {
  tx: Kysely<DB>;
  workspaceId: string;
  now: Date;
  clock: Clock;
}

/**
 * Runs an action node (update_field, list, score, set_stage, assign_owner, notify_owner,
 * create_task) for a group of enrolments (one journey version, one node) inside the journey
 * worker's unit of work, in a few statements for the whole group. A contact the action cannot
 * apply to (no owner to notify) is `skipped` and goes on; a node whose references went away
 * since publishing (a deleted list) throws, and the runtime fails the group.
 * @returns each enrolment's outcome, by enrolment id.
 */
export async function runActionNode(
  run: ActionRun,
  node: ActionNode,
  targets: readonly ActionTarget[],
): Promise<Map<string, ActionResult>> {
  if (targets.length === 0) return new Map();
  switch (node.type) {
    case 'update_field':
      return runUpdateField(run, node, targets);
    case 'list':
      return runList(run, node, targets);
    case 'score':
      return runScore(run, node, targets);
    case 'set_stage':
      return runSetStage(run, node, targets);
    case 'assign_owner':
      return runAssignOwner(run, targets);
    case 'notify_owner':
      return runNotifyOwner(run, node, targets);
    case 'create_task':
      return runCreateTask(run, node, targets);
  }
}

const each = (targets: readonly ActionTarget[], result: (t: ActionTarget) => ActionResult) =>
  new Map(targets.map((t) => [t.enrolmentId, result(t)]));

/** list: one statement per list named, through the static lists' own writer (segments on the list follow). */
async function runList(run: ActionRun, node: Extract<ActionNode, { type: 'list' }>, targets: readonly ActionTarget[]) {
  const named = [...new Set([...node.add, ...node.remove])];
  const found = new Set(
    (await run.tx.selectFrom('lists').select('id').where('workspace_id', '=', run.workspaceId).where('id', 'in', named).execute()).map(
      (l) => l.id,
    ),
  );
  const gone = named.filter((id) => !found.has(id));
  if (gone.length) throw new KizunaError('not_found', `list ${gone.join(', ')} was deleted after the journey was published`);
  const ids = [...new Set(targets.map((t) => t.contactId))];
  for (const listId of node.add) await writeListMembers(run.tx, run.workspaceId, listId, 'add', ids, run.now);
  for (const listId of node.remove) await writeListMembers(run.tx, run.workspaceId, listId, 'remove', ids, run.now);
  return each(targets, () => ({ outcome: 'listed', detail: { add: node.add, remove: node.remove } }));
}

/**
 * score: a score is recomputed from history whenever its model is republished (every contact,
 * from events, attributes and time), so points written straight into the score or the ledger
 * would be taken back by the next recompute. The adjustment is stored as a fact instead
 * (score_adjustments), which the scorer replays as a line of its own (`journey:<id>:<node>`,
 * under the total cap and floor, never decayed); re-scoring now writes the ledger row that
 * explains it, with the journey as cause.
 */
async function runScore(run: ActionRun, node: Extract<ActionNode, { type: 'score' }>, targets: readonly ActionTarget[]) {
  const { tx, workspaceId, now } = run;
  const scope = await loadScoringScope(tx, workspaceId, node.modelId);
  const model = scope?.models[0];
  if (!scope || !model) throw new KizunaError('conflict', `scoring model ${node.modelId} is not published any more (archived or deleted)`);
  const journeyId = targets[0]!.journeyId;
  const { rows } = await sql<{ contact_id: string }>`
    INSERT INTO score_adjustments (workspace_id, model_id, contact_id, line, points, reason, cause, adjusted_at)
    SELECT ${workspaceId}::uuid, ${model.id}::uuid, c.id, ${`journey:${journeyId}:${node.id}`}, ${node.points}::int, ${node.reason},
      ${`journey:${journeyId}`}, ${now}::timestamptz
    FROM unnest(${targets.map((t) => t.contactId)}::uuid[]) AS t(id) JOIN contacts c ON c.id = t.id AND c.workspace_id = ${workspaceId}
    RETURNING contact_id`.execute(tx);
  const scored = [...new Set(rows.map((r) => r.contact_id))];
  if (scored.length) {
    const changed = await scoreContacts(tx, scope, [{ model, ids: scored }], run.clock, `journey:${journeyId}`);
    // Stage rules and segments on the score react before the unit of work commits.
    for (const [id, reasons] of changed) noteContactChange(tx, workspaceId, id, reasons);
  }
  const done = new Set(scored);
  return each(targets, (t) =>
    done.has(t.contactId)
      ? { outcome: 'scored', detail: { modelId: node.modelId, points: node.points } }
      : { outcome: 'skipped', detail: { reason: 'the contact no longer exists' } },
  );
}

/**
 * set_stage: an explicit move as `changeStage` makes it (backwards allowed, any stage of the
 * published lifecycle), for the whole group in the transitions' three statements, logged with
 * `journey:<id>` as cause; entering the handoff stage starts the handoff as any move does.
 */
async function runSetStage(run: ActionRun, node: Extract<ActionNode, { type: 'set_stage' }>, targets: readonly ActionTarget[]) {
  const { tx, workspaceId, now } = run;
  const definition = await lifecycleInForce(tx, workspaceId);
  const all = [...definition.stages, ...definition.offPath];
  if (!all.includes(node.stage))
    throw new KizunaError('conflict', `stage ${node.stage} is no longer in the published lifecycle (${all.join(', ')})`);
  const ids = [...new Set(targets.map((t) => t.contactId))].sort();
  const contacts = await tx
    .selectFrom('contacts')
    .select(['id', 'lifecycle_stage'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', sql<string>`ANY(${ids}::uuid[])`)
    .orderBy('id')
    .forUpdate()
    .execute();
  const from = new Map(contacts.map((c) => [c.id, c.lifecycle_stage]));
  const journeyId = targets[0]!.journeyId;
  const moves = contacts
    .filter((c) => c.lifecycle_stage !== node.stage)
    .map((c) => ({
      contactId: c.id,
      from: c.lifecycle_stage,
      to: node.stage,
      cause: `journey:${journeyId}`,
      rule: node.label ?? node.id,
      reason: node.reason ?? null,
    }));
  await recordTransitions(tx, workspaceId, moves, now, definition);
  return each(targets, (t) => {
    if (!from.has(t.contactId)) return { outcome: 'skipped', detail: { reason: 'the contact no longer exists' } };
    const was = from.get(t.contactId) ?? null;
    return was === node.stage
      ? { outcome: 'unchanged', detail: { stage: was } }
      : { outcome: 'stage', detail: { from: was, to: node.stage } };
  });
}

/** What `checkActionNode` checks references against: the workspace's fields, lists, models and stages. */
export interface ActionContext {
  customFields: CustomField[];
  defaultRegion: string;
  lists: Set<string>;
  /** Scoring models that are not archived: id → published or draft only. */
  models: Map<string, { isPublished: boolean }>;
  /** The stages of the published lifecycle (the default one when none is published). */
  stages: Set<string>;
}

/** Loads what `checkActionNode` needs, in a few queries. */
export async function loadActionContext(db: Kysely<DB>, workspaceId: string): Promise<ActionContext> {
  const [workspace, customFields, lists, models, lifecycle] = await Promise.all([
    db.selectFrom('workspaces').select('default_region').where('id', '=', workspaceId).executeTakeFirstOrThrow(),
    listCustomFields(db, workspaceId, 'contact'),
    db.selectFrom('lists').select('id').where('workspace_id', '=', workspaceId).execute(),
    db
      .selectFrom('scoring_models')
      .select(['id', 'published_version'])
      .where('workspace_id', '=', workspaceId)
      .where('archived_at', 'is', null)
      .execute(),
    getLifecycle(db, workspaceId),
  ]);
  const definition = lifecycle.published ?? ZLifecycleDefinition.parse({});
  return {
    customFields,
    defaultRegion: workspace.default_region,
    lists: new Set(lists.map((l) => l.id)),
    models: new Map(models.map((m) => [m.id, { isPublished: m.published_version !== null }])),
    stages: new Set([...definition.stages, ...definition.offPath]),
  };
}

const engines = createTemplateEngines();

/** What is wrong with an action node's references in the workspace (pure), each issue at the node's field. */
export function checkActionNode(node: ActionNode, context: ActionContext, path: (string | number)[]): FieldIssue[] {
  const at = (field: string | number, message: string) => ({ path: [...path, field].join('.'), message });
  switch (node.type) {
    case 'update_field': {
      const write = prepareFieldWrite(node, context);
      return write.ok ? [] : write.issues.map((i) => at(i.path, i.message));
    }
    case 'list':
      return (['add', 'remove'] as const).flatMap((key) =>
        node[key].flatMap((id, i) => (context.lists.has(id) ? [] : [at(`${key}.${i}`, `no list ${id} in this workspace`)])),
      );
    case 'score': {
      const model = context.models.get(node.modelId);
      if (!model) return [at('modelId', `no scoring model ${node.modelId} in this workspace (or it is archived)`)];
      return model.isPublished ? [] : [at('modelId', `scoring model ${node.modelId} is not published yet: publish it first`)];
    }
    case 'set_stage':
      return context.stages.has(node.stage)
        ? []
        : [at('stage', `no stage ${node.stage} in the lifecycle: expected one of ${[...context.stages].join(', ')}`)];
    case 'notify_owner':
      return checkLiquid(engines.text, node.message, [...path, 'message'].join('.'), undefined, 'text');
    case 'assign_owner':
    case 'create_task':
      return [];
  }
}

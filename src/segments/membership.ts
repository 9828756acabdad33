import { type Kysely, type RawBuilder, sql } from 'kysely';
import { listCustomFields } from '../contacts/custom-fields.ts';
import { advanceStages, loadLifecycleScope } from '../lifecycle/lifecycle.ts';
import type { Clock } from '../platform/clock.ts';
import { claimDueChecks } from '../platform/db/claim-due-checks.ts';
import { type ContactChanges, noteContactChange, trackContactChanges } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { loadScoringScope, refreshScores } from '../scoring/runtime.ts';
import { type CompileContext, dependencies, membersQuery, nextChecksQuery } from './compile.ts';
import { type Condition, ZSegmentDefinition } from './condition.ts';
import { FieldCatalog } from './fields.ts';

/** Advisory lock class of segment memberships: incremental updates share it, a full rebuild holds it alone. */
const SEGMENT_LOCK_CLASS = 7302;

export interface PublishedSegment {
  id: string;
  version: number;
  condition: Condition;
  /** Change reasons that may alter membership (see ContactChanges). */
  reasons: Set<string>;
  /** Segments this one's condition refers to. */
  refs: Set<string>;
  timeDependent: boolean;
}

export interface SegmentScope {
  workspaceId: string;
  timeZone: string;
  catalog: FieldCatalog;
  segments: PublishedSegment[];
}

/**
 * Runs `work` in a transaction and, before it commits, brings every published segment up to date
 * for the contacts the work changed: the unit of work of every write path.
 */
export async function unitOfWork<T>(db: Kysely<DB>, clock: Clock, work: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    const changes = trackContactChanges(tx);
    const result = await work(tx);
    await reactToChanges(tx, changes, clock);
    return result;
  });
}

/** Applies what a unit of work changed to segment memberships (repeats while reactions note more). */
export async function reactToChanges(tx: Kysely<DB>, changes: ContactChanges, clock: Clock): Promise<void> {
  // What reacts in a workspace does not change within the transaction: loaded once for all rounds.
  const scopes = new Map<string, Awaited<ReturnType<typeof loadReactions>>>();
  while (!changes.empty) {
    const batch = changes.take();
    const workspaces = new Set([...batch.contacts.keys(), ...batch.companies.keys()]);
    for (const workspaceId of workspaces) {
      if (!scopes.has(workspaceId)) scopes.set(workspaceId, await loadReactions(tx, workspaceId));
      const { scope, scoring, lifecycle } = scopes.get(workspaceId)!;
      if (!scope && !scoring && !lifecycle) continue;
      const touched = new Map(batch.contacts.get(workspaceId) ?? []);
      const companies = batch.companies.get(workspaceId);
      const readCompanies =
        scope?.segments.some((s) => s.reasons.has('company')) ||
        scoring?.models.some((m) => m.reasons.has('company')) ||
        lifecycle?.reasons.has('company');
      if (companies?.size && readCompanies) {
        const rows = await tx
          .selectFrom('contacts')
          .select('id')
          .where('workspace_id', '=', workspaceId)
          .where('company_id', 'in', [...companies])
          .execute();
        for (const { id } of rows) touched.set(id, new Set([...(touched.get(id) ?? []), 'company']));
      }
      if (touched.size === 0) continue;
      // Scores, then stages (their rules may read scores), then segments, each seeing what the
      // ones before changed. A stage change is noted as a change of its own: the next round
      // re-scores the models that read the stage.
      if (scoring) {
        for (const [id, reasons] of await refreshScores(tx, scoring, touched, clock, { stageChangeOf: (id) => batch.stageChangeOf(id) }))
          touched.set(id, new Set([...(touched.get(id) ?? []), ...reasons]));
      }
      if (lifecycle) await advanceStages(tx, lifecycle, touched, clock);
      if (scope) await refreshContacts(tx, scope, touched, clock, 'change');
    }
  }
}

type Reactions = {
  scope: SegmentScope | undefined;
  scoring: Awaited<ReturnType<typeof loadScoringScope>>;
  lifecycle: Awaited<ReturnType<typeof loadLifecycleScope>>;
};

/** Parsed reactions per workspace, reused while the workspace's published definitions stay the same. */
const reactionCache = new Map<string, { stamp: string; reactions: Reactions }>();

/**
 * Whatever reacts to contact changes in a workspace: published segments, scoring models,
 * lifecycle rules. One query reads a stamp of what is published (every publish, edit or archive
 * moves it); while it is unchanged the parsed definitions of an earlier transaction are reused.
 */
async function loadReactions(tx: Kysely<DB>, workspaceId: string): Promise<Reactions> {
  const { rows } = await sql<{ stamp: string }>`SELECT concat_ws('/', w.timezone,
      (SELECT concat(count(*), ':', sum(published_version), ':', max(updated_at)) FROM segments
        WHERE workspace_id = w.id AND published_version IS NOT NULL AND archived_at IS NULL),
      (SELECT concat(count(*), ':', sum(published_version), ':', max(updated_at)) FROM scoring_models
        WHERE workspace_id = w.id AND published_version IS NOT NULL AND archived_at IS NULL),
      (SELECT concat(published_version, ':', updated_at) FROM lifecycle_settings WHERE workspace_id = w.id AND published_version IS NOT NULL)
    ) AS stamp FROM workspaces w WHERE w.id = ${workspaceId}`.execute(tx);
  const stamp = rows[0]?.stamp ?? '';
  const cached = reactionCache.get(workspaceId);
  if (cached?.stamp === stamp) return cached.reactions;
  const reactions = {
    scope: await loadSegmentScope(tx, workspaceId),
    scoring: await loadScoringScope(tx, workspaceId),
    lifecycle: await loadLifecycleScope(tx, workspaceId),
  };
  if (reactionCache.size > 1000) reactionCache.clear();
  reactionCache.set(workspaceId, { stamp, reactions });
  return reactions;
}

/** The published segments of a workspace with what they depend on; undefined when there are none. */
export async function loadSegmentScope(db: Kysely<DB>, workspaceId: string): Promise<SegmentScope | undefined> {
  const rows = await db
    .selectFrom('segments as s')
    .innerJoin('segment_versions as v', (join) => join.onRef('v.segment_id', '=', 's.id').onRef('v.version', '=', 's.published_version'))
    .select(['s.id', 'v.version', 'v.definition'])
    .where('s.workspace_id', '=', workspaceId)
    .where('s.archived_at', 'is', null)
    .execute();
  if (rows.length === 0) return undefined;
  const [workspace, customFields] = await Promise.all([
    db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow(),
    listCustomFields(db, workspaceId),
  ]);
  const catalog = new FieldCatalog(customFields);
  const segments = rows.map((row) => {
    const { condition } = ZSegmentDefinition.parse(row.definition);
    const deps = dependencies(condition);
    for (const field of deps.catalogFields) {
      const spec = catalog.get(field);
      if (spec) deps.reasons.add(spec.reason);
    }
    return { id: row.id, version: row.version, condition, reasons: deps.reasons, refs: deps.segments, timeDependent: deps.timeDependent };
  });
  return { workspaceId, timeZone: workspace.timezone, catalog, segments: inDependencyOrder(segments) };
}

/** Segments a segment refers to come before it (definitions are checked to have no cycles). */
function inDependencyOrder(segments: PublishedSegment[]): PublishedSegment[] {
  const byId = new Map(segments.map((s) => [s.id, s]));
  const out: PublishedSegment[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (segment: PublishedSegment) => {
    if (state.get(segment.id)) return;
    state.set(segment.id, 'visiting');
    for (const ref of segment.refs) {
      const inner = byId.get(ref);
      if (inner) visit(inner);
    }
    state.set(segment.id, 'done');
    out.push(segment);
  };
  segments.forEach(visit);
  return out;
}

function affects(segment: PublishedSegment, reasons: Set<string>): boolean {
  if (reasons.has('all') || reasons.has(`check:${segment.id}`)) return true;
  for (const reason of segment.reasons) {
    if (reasons.has(reason)) return true;
    if (reason.startsWith('event:') && reasons.has('event:*')) return true;
  }
  return false;
}

/**
 * Re-evaluates, for the given contacts, only the segments whose conditions mention what changed
 * about them, in dependency order (a change of membership in one segment re-evaluates the
 * segments built on it), and writes entries, exits, signals and the next time-based re-checks.
 */
export async function refreshContacts(
  tx: Kysely<DB>,
  scope: SegmentScope,
  touched: Map<string, Set<string>>,
  clock: Clock,
  cause: string,
): Promise<void> {
  const now = clock.now();
  const changedIn = new Map<string, Set<string>>();
  let locked = false;
  for (const segment of scope.segments) {
    const ids = new Set<string>();
    for (const [contactId, reasons] of touched) if (affects(segment, reasons)) ids.add(contactId);
    for (const ref of segment.refs) for (const contactId of changedIn.get(ref) ?? []) ids.add(contactId);
    if (ids.size === 0) continue;
    const contactIds = [...ids].sort();
    if (!locked) {
      // Concurrent units of work touching one contact evaluate it one after the other, each seeing the other's commit.
      await sql`SELECT id FROM contacts WHERE id = ANY(${[...touched.keys()].sort()}::uuid[]) ORDER BY id FOR NO KEY UPDATE`.execute(tx);
      locked = true;
    }
    await sql`SELECT pg_advisory_xact_lock_shared(${SEGMENT_LOCK_CLASS}, hashtext(${segment.id}))`.execute(tx);
    const context: CompileContext = { workspaceId: scope.workspaceId, now, timeZone: scope.timeZone, catalog: scope.catalog, contactIds };
    const { rows } = await applyMembership(scope.workspaceId, segment, context, { cause, signals: true, result: CHANGED_ROWS }).execute(tx);
    const changed = new Set(rows.map((r) => r.contact_id));
    changedIn.set(segment.id, changed);
    if (segment.timeDependent) await scheduleChecks(tx, scope.workspaceId, segment, context, contactIds);
  }
}

/**
 * One statement: evaluate the condition (for some contacts or all), close the stints of contacts
 * that no longer match, open stints for those that newly do, and write a signal for each change.
 * `result` is the statement's final SELECT over the CTEs `matched`, `entered` and `exited`.
 */
function applyMembership<R>(
  workspaceId: string,
  segment: Pick<PublishedSegment, 'id' | 'version' | 'condition'>,
  context: CompileContext,
  { cause, signals, result }: { cause: string; signals: boolean; result: RawBuilder<R> },
): RawBuilder<R> {
  const now = context.now;
  const inScope = context.contactIds ? sql`AND m.contact_id = ANY(${context.contactIds}::uuid[])` : sql``;
  const data = JSON.stringify({ version: segment.version, cause });
  return sql<R>`
    WITH matched AS MATERIALIZED (${membersQuery(segment.condition, context)}),
    current AS MATERIALIZED (
      SELECT m.contact_id FROM segment_members m WHERE m.segment_id = ${segment.id} AND m.exited_at IS NULL ${inScope}),
    -- A full join has only hash and merge plans: never a loop of members × matches.
    diff AS MATERIALIZED (
      SELECT coalesce(matched.id, current.contact_id) AS contact_id, matched.id IS NOT NULL AS matches
      FROM matched FULL JOIN current ON current.contact_id = matched.id
      WHERE matched.id IS NULL OR current.contact_id IS NULL),
    exited AS (
      UPDATE segment_members m SET exited_at = ${now}, exit_cause = ${cause}
      FROM diff WHERE NOT diff.matches AND m.segment_id = ${segment.id} AND m.contact_id = diff.contact_id AND m.exited_at IS NULL
      RETURNING m.contact_id),
    entered AS (
      INSERT INTO segment_members (workspace_id, segment_id, contact_id, version, entered_at, enter_cause)
      SELECT ${workspaceId}::uuid, ${segment.id}::uuid, diff.contact_id, ${segment.version}::int, ${now}::timestamptz, ${cause}::text FROM diff
      WHERE diff.matches
      ON CONFLICT (segment_id, contact_id) WHERE exited_at IS NULL DO NOTHING
      RETURNING contact_id),
    signalled AS (
      INSERT INTO signals (workspace_id, kind, contact_id, subject_id, data, occurred_at)
      SELECT ${workspaceId}::uuid, 'segment.entered', contact_id, ${segment.id}::uuid, ${data}::jsonb, ${now}::timestamptz FROM entered WHERE ${signals}
      UNION ALL
      SELECT ${workspaceId}::uuid, 'segment.exited', contact_id, ${segment.id}::uuid, ${data}::jsonb, ${now}::timestamptz FROM exited WHERE ${signals})
    ${result}`;
}

const CHANGED_ROWS = sql<{
  change: 'entered' | 'exited';
  contact_id: string;
}>`SELECT 'entered' AS change, contact_id FROM entered UNION ALL SELECT 'exited', contact_id FROM exited`;
const CHANGE_COUNTS = sql<{ matched: number; entered: number; exited: number }>`SELECT
  (SELECT count(*) FROM matched)::int AS matched, (SELECT count(*) FROM entered)::int AS entered, (SELECT count(*) FROM exited)::int AS exited`;

/** Replaces the due re-checks of these contacts (all contacts when undefined) for a time-dependent segment. */
async function scheduleChecks(
  tx: Kysely<DB>,
  workspaceId: string,
  segment: Pick<PublishedSegment, 'id' | 'condition'>,
  context: CompileContext,
  contactIds: string[] | undefined,
): Promise<void> {
  let remove = tx.deleteFrom('segment_checks').where('segment_id', '=', segment.id);
  if (contactIds) remove = remove.where('contact_id', '=', sql<string>`ANY(${contactIds}::uuid[])`);
  await remove.execute();
  const next = nextChecksQuery(segment.condition, context);
  if (!next) return;
  // A plain insert: this contact's rows were just deleted, and no one else writes them meanwhile
  // (the contacts are row-locked by an incremental update, the segment locked alone by a build).
  await sql`
    INSERT INTO segment_checks (workspace_id, segment_id, contact_id, due_at)
    SELECT ${workspaceId}::uuid, ${segment.id}::uuid, n.contact_id, n.due_at FROM (${next}) AS n`.execute(tx);
}

/**
 * Re-evaluates the contacts whose time-based re-check is due (an event aged out of a window, a
 * date came within range), claimed with SKIP LOCKED so several workers share them.
 * @returns how many re-checks ran; call again while it returns `limit`.
 */
export async function runDueSegmentChecks(
  db: Kysely<DB>,
  clock: Clock,
  { limit = 500, workspaceId }: { limit?: number; workspaceId?: string } = {},
): Promise<number> {
  return unitOfWork(db, clock, async (tx) => {
    const rows = await claimDueChecks(tx, { table: 'segment_checks', key: 'segment_id', now: clock.now(), limit, workspaceId });
    for (const row of rows) noteContactChange(tx, row.workspace_id, row.contact_id, [`check:${row.subject_id}`]);
    return rows.length;
  });
}

/**
 * Runs every due re-check (a worker's tick; tests call it after moving the virtual clock, for
 * their own workspace: other tests' clocks must not run theirs).
 */
export async function drainDueSegmentChecks(db: Kysely<DB>, clock: Clock, options: { workspaceId?: string } = {}): Promise<number> {
  let total = 0;
  for (;;) {
    const ran = await runDueSegmentChecks(db, clock, options);
    total += ran;
    if (ran < 500) return total;
  }
}

export interface RebuildResult {
  matched: number;
  entered: number;
  exited: number;
}

/**
 * Full evaluation of one published segment over every contact of its workspace, then of the
 * segments built on it. The first build of a segment records its members without entered
 * signals (they did not just enter; journeys enrol existing members on their own terms); later
 * rebuilds signal every change. Holds the segment's lock alone, so incremental updates of the
 * same segment wait instead of racing it; no table is locked.
 */
export async function rebuildSegmentMembers(tx: Kysely<DB>, scope: SegmentScope, segmentId: string, clock: Clock): Promise<RebuildResult> {
  const segment = scope.segments.find((s) => s.id === segmentId);
  if (!segment) return { matched: 0, entered: 0, exited: 0 };
  await sql`SELECT pg_advisory_xact_lock(${SEGMENT_LOCK_CLASS}, hashtext(${segment.id}))`.execute(tx);
  const now = clock.now();
  const context: CompileContext = { workspaceId: scope.workspaceId, now, timeZone: scope.timeZone, catalog: scope.catalog };
  const before = await tx
    .selectFrom('segment_members')
    .select('contact_id')
    .where('segment_id', '=', segment.id)
    .limit(1)
    .executeTakeFirst();
  const initial = !before;
  const { rows } = await applyMembership(scope.workspaceId, segment, context, {
    cause: initial ? 'initial' : 'rebuild',
    signals: !initial,
    result: CHANGE_COUNTS,
  }).execute(tx);
  if (segment.timeDependent) await scheduleChecks(tx, scope.workspaceId, segment, context, undefined);
  const { matched, entered, exited } = rows[0]!;
  return { matched, entered, exited };
}

/** Published segments that refer to this one, directly or through others, in dependency order. */
export function dependentsOf(scope: SegmentScope, segmentId: string): PublishedSegment[] {
  const affected = new Set([segmentId]);
  const out: PublishedSegment[] = [];
  for (const segment of scope.segments) {
    if ([...segment.refs].some((r) => affected.has(r))) {
      affected.add(segment.id);
      out.push(segment);
    }
  }
  return out;
}

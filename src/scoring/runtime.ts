import { type Kysely, type RawBuilder, sql } from 'kysely';
import { listCustomFields } from '../contacts/custom-fields.ts';
import type { Clock } from '../platform/clock.ts';
import { type ContactChanges, contactChangesOf, eventReason, STAGE_REASON, type StageMove } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { dependencies, eventSelectorPredicate, matchesQuery } from '../segments/compile.ts';
import { FieldCatalog } from '../segments/fields.ts';
import { type AttributeRule, type BehaviorRule, type ScoringModelDefinition, ZScoringModelDefinition } from './model.ts';
import {
  type ContactScore,
  emptyReplay,
  finishScore,
  isAfter,
  type ReplayState,
  replay,
  type ScoreAdjustment,
  type ScoredEvent,
} from './score.ts';
import { stageMoveMatters } from './stage-reads.ts';

export interface PublishedModel {
  id: string;
  version: number;
  definition: ScoringModelDefinition;
  attributeRules: AttributeRule[];
  behaviorRules: BehaviorRule[];
  /** Change reasons that may alter a score of this model (see ContactChanges). */
  reasons: Set<string>;
  /** Whether a stage move can change one of its attribute rules (undefined: none reads the stage). */
  stageMoveMatters?: (from: string | null, to: string | null) => boolean;
}

export interface ScoringScope {
  workspaceId: string;
  timeZone: string;
  catalog: FieldCatalog;
  models: PublishedModel[];
}

/** The published, unarchived scoring models of a workspace (or the one `only` names): id, version and stored definition. */
export async function publishedModelRows(db: Kysely<DB>, workspaceId: string, only?: string) {
  let query = db
    .selectFrom('scoring_models as m')
    .innerJoin('scoring_model_versions as v', (join) =>
      join.onRef('v.model_id', '=', 'm.id').onRef('v.version', '=', 'm.published_version'),
    )
    .select(['m.id', 'v.version', 'v.definition'])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.archived_at', 'is', null);
  if (only) query = query.where('m.id', '=', only);
  return query.execute();
}

/** The published scoring models of a workspace and what they read; undefined when there are none. */
export async function loadScoringScope(db: Kysely<DB>, workspaceId: string, only?: string): Promise<ScoringScope | undefined> {
  const rows = await publishedModelRows(db, workspaceId, only);
  if (rows.length === 0) return undefined;
  const [workspace, customFields] = await Promise.all([
    db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow(),
    listCustomFields(db, workspaceId),
  ]);
  const catalog = new FieldCatalog(customFields);
  const models = rows.map((row) => {
    const definition = ZScoringModelDefinition.parse(row.definition);
    const attributeRules = definition.rules.filter((r): r is AttributeRule => r.kind === 'attribute');
    const behaviorRules = definition.rules.filter((r): r is BehaviorRule => r.kind === 'behavior');
    const reasons = new Set<string>();
    for (const rule of attributeRules) {
      const deps = dependencies(rule.condition);
      for (const reason of deps.reasons) reasons.add(reason);
      for (const field of deps.catalogFields) {
        const spec = catalog.get(field);
        if (spec) reasons.add(spec.reason);
      }
    }
    for (const rule of behaviorRules) reasons.add(eventReason(rule.call, rule.call === 'track' ? (rule.event ?? '') : null));
    return {
      id: row.id,
      version: row.version,
      definition,
      attributeRules,
      behaviorRules,
      reasons,
      stageMoveMatters: stageMoveMatters(
        attributeRules.map((r) => r.condition),
        catalog,
      ),
    };
  });
  return { workspaceId, timeZone: workspace.timezone, catalog, models };
}

function affects(model: PublishedModel, reasons: Set<string>, moves: readonly StageMove[] | undefined): boolean {
  if (reasons.has('all') || reasons.has(`score-check:${model.id}`)) return true;
  for (const reason of model.reasons) {
    // Stage moves that leave every stage comparison of the model as it was change nothing here
    // (the usual case: a model reads "stage is Customer", contacts move Lead → MQL).
    if (reason === STAGE_REASON && moves && model.stageMoveMatters && !moves.some((m) => model.stageMoveMatters!(m.from, m.to))) continue;
    if (reasons.has(reason)) return true;
    if (reason.startsWith('event:') && reasons.has('event:*')) return true;
  }
  return false;
}

/** Why a contact is being re-scored, for the ledger: an event, the passage of time, or another change. */
function causeOf(reasons: Set<string>, fallback: string): string {
  for (const reason of reasons) if (reason.startsWith('score-check:')) return 'time';
  for (const reason of reasons) if (reason.startsWith('event:')) return 'event';
  return fallback;
}

/**
 * Re-scores, for the given contacts, the models whose rules read what changed about them, in the
 * caller's transaction. Returns `score:<model>` reasons of the contacts whose score changed, for
 * what runs after scoring in the same round (stage rules, segments on scores).
 */
export async function refreshScores(
  tx: Kysely<DB>,
  scope: ScoringScope,
  touched: Map<string, Set<string>>,
  clock: Clock,
  {
    cause = 'change',
    stageChangeOf = () => undefined,
  }: {
    cause?: string;
    /** The stage moves behind a contact's `field:lifecycle_stage` reason, when they are all of it (ContactChanges.stageChangeOf). */
    stageChangeOf?: (contactId: string) => readonly StageMove[] | undefined;
  } = {},
): Promise<Map<string, Set<string>>> {
  const work = scope.models.flatMap((model) => {
    const ids = [...touched].filter(([id, reasons]) => affects(model, reasons, stageChangeOf(id))).map(([id]) => id);
    return ids.length ? [{ model, ids }] : [];
  });
  if (work.length === 0) return new Map();
  const causes = new Map([...touched].map(([id, reasons]) => [id, causeOf(reasons, cause)]));
  return scoreContacts(tx, scope, work, clock, causes);
}

type Scorable = Pick<PublishedModel, 'definition' | 'attributeRules' | 'behaviorRules'> & { id?: string; version?: number };

/** A stored score, as scoring reads it back to write the ledger and signals. */
export interface StoredScore {
  version: number;
  score: number;
  band: string | null;
  points: Record<string, number>;
  replay: StoredReplay | null;
}

/** A replay state as stored: without the events of the last replay's changes (the ledger took them). */
export type StoredReplay = Omit<ReplayState, 'lastEvent'>;

/**
 * A replay is stored (and later resumed) once it has read this many events: below that, reading
 * the whole history again costs less than reading and writing the state. Tests lower it.
 */
export const replayStorage = { minEvents: 64 };

/**
 * Contacts this process has seen a stored replay for (written here, or read back from another
 * process's write). Only they are read from their replay's cursor; for any other, the whole
 * history is read and replayed, which is always right, and the stored replay seen on the way is
 * remembered for next time. Bounded: forgetting only costs one whole read.
 */
const withReplay = new Set<string>();
function rememberReplay(contactId: string): void {
  if (withReplay.size >= 200_000) withReplay.clear();
  withReplay.add(contactId);
}

/** Events read again since a stored replay's last one, above which its cursor is written even when nothing else changed. */
const REREAD_LIMIT = 20;

/** A stored replay's state without its read cursor (the last event read, how many): what a write must keep. */
const withoutCursor = ({ seen: _seen, read: _read, ...rest }: StoredReplay) => JSON.stringify(rest);

/** Behaviour rules per integer mask of an event's matches (31: the sign bit stays clear). */
const BITS = 31;

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** A replay that can go on from its stored state: same version, and nothing added at or before the last event it read. */
function resumable(before: StoredScore | undefined, version: number | undefined, since: number): StoredReplay | undefined {
  const state = before?.replay;
  if (!state || before.version !== version) return undefined;
  return state.seen === null || since > state.seen.at ? state : undefined;
}

/**
 * Computes (without writing) the scores of contacts under models, now: the attribute rules of
 * every model, the scored events and (with `stored`) the scores now stored.
 * With `resume` (the transaction's changes, when scores are about to be stored), each stored
 * replay goes on from where it stood: only the events after its last one are read, unless events
 * were added at or before it in this transaction (a late event, visits attached, a merge), when
 * the whole history is replayed. The contacts are locked first (those this transaction has not
 * locked already), so two transactions never resume from the same state.
 * Contacts that no longer exist are left out.
 */
export async function computeScores<M extends Scorable>(
  tx: Kysely<DB>,
  scope: Pick<ScoringScope, 'workspaceId' | 'timeZone' | 'catalog'>,
  work: { model: M; ids: string[] }[],
  now: Date,
  { stored = false, resume }: { stored?: boolean; resume?: ContactChanges } = {},
): Promise<{
  scores: Map<M, Map<string, ContactScore>>;
  replays: Map<M, Map<string, StoredReplay>>;
  rereads: Map<string, number>;
  stored: Map<string, StoredScore>;
  /** The reason of each adjustment line's latest adjustment, by `model/contact/line`. */
  adjustmentReasons: Map<string, string>;
}> {
  const { workspaceId } = scope;
  const contactIds = [...new Set(work.flatMap((w) => w.ids))].sort();
  const context = { workspaceId, now, timeZone: scope.timeZone, catalog: scope.catalog, contactIds };
  const attributeRules = work.flatMap((w) => w.model.attributeRules.map((rule) => ({ model: w.model, rule })));
  const behaviorRules = work.flatMap((w) => w.model.behaviorRules.map((rule) => ({ model: w.model, rule })));
  const modelIds = work.flatMap((w) => (w.model.id ? [w.model.id] : []));
  // Every part comes back as one JSON document: hundreds of rows of uuids, timestamps and arrays
  // cost more to parse one by one than the query costs to run, and one round trip replaces four.
  const storedPart = stored
    ? sql`SELECT json_agg(json_build_array(model_id, contact_id, version, score, band, points, replay, replay_seen_at, replay_seen_id))
        FROM unnest(${contactIds}::uuid[]) AS u(id)
        CROSS JOIN LATERAL (SELECT * FROM contact_scores k WHERE k.contact_id = u.id AND k.model_id = ANY(${modelIds}::uuid[]) OFFSET 0) k`
    : sql`SELECT NULL::json`;
  const adjustmentsPart = modelIds.length
    ? sql`SELECT json_agg(json_build_array(model_id, contact_id, line, points, reason) ORDER BY id) FROM score_adjustments
        WHERE contact_id = ANY(${contactIds}::uuid[]) AND model_id = ANY(${modelIds}::uuid[])`
    : sql`SELECT NULL::json`;
  if (resume) {
    // No two transactions resume from the same state: the contacts are locked (those this one has
    // not locked already, by writing them) before the read below, which then sees what committed.
    const unlocked = contactIds.filter((id) => !resume.locked.has(id));
    if (unlocked.length) {
      await sql`SELECT 1 FROM contacts WHERE id = ANY(${unlocked}::uuid[]) ORDER BY id FOR NO KEY UPDATE`.execute(tx);
      for (const id of unlocked) resume.locked.add(id);
    }
  }
  // The earliest time (ms) of the events added in this transaction that each model's score has not
  // replayed yet (Infinity: none): a stored replay resumes only if they all come after it.
  const since = new Map<string, number>();
  for (const { model, ids } of work) {
    for (const contactId of ids) {
      const key = `${model.id}/${contactId}`;
      const added = resume?.eventsAdded.get(contactId) ?? [];
      let earliest = Number.POSITIVE_INFINITY;
      for (let i = resume?.replayed.get(key) ?? 0; i < added.length; i++) earliest = Math.min(earliest, added[i]!);
      since.set(key, earliest);
    }
  }
  const attributes = matchesQuery(
    attributeRules.map((a) => a.rule.condition),
    context,
  );
  // Each scored event: id, time (ms) and which behaviour rules take it, as integer bit masks of
  // BITS rules each (bit j of mask k: rule k * BITS + j; integers cost less to build per event
  // than a string of '0'/'1' characters). Events are found by contact alone (the ids are checked
  // against the workspace by the attribute part), which keeps the plan on the contact index even
  // when statistics are stale (PGlite never analyses). Only the call types and event names that
  // rules score are read; each rule's selector is then evaluated once per event (events no rule
  // takes are dropped below).
  const selectors = behaviorRules.map((b) => eventSelectorPredicate(b.rule, context));
  const calls = [...new Set(behaviorRules.flatMap((b) => (b.rule.call === 'track' ? [] : [b.rule.call])))];
  const names = [...new Set(behaviorRules.flatMap((b) => (b.rule.call === 'track' ? [b.rule.event ?? ''] : [])))];
  const row = sql`json_build_array(e.contact_id, e.id, floor(extract(epoch FROM e.occurred_at) * 1000), ${sql.join(
    chunks(selectors, BITS).map((part) =>
      sql.join(
        part.map((selector, j) => sql`(${selector}::int << ${sql.lit(j)})`),
        sql` | `,
      ),
    ),
  )})`;
  const scored = sql`(e.type = ANY(${calls}::text[]) OR (e.type = 'track' AND e.name = ANY(${names}::text[])))`;
  // Resuming, each contact's events are read from the earliest point one of its models stands at,
  // by a range scan of the contact index per contact (whole histories as without resuming);
  // the same test as `resumable` decides, on the same snapshot. The OFFSET 0 fences keep the plan
  // on lookups by contact: without statistics (PGlite), the planner would hash the contacts
  // against whole tables, or AND the contact index with the type indexes.
  // Only contacts known to have a stored replay take that path; the others are read whole, as a
  // replay is stored only for long histories (and the path costs the short ones more).
  const resuming = new Set(resume ? contactIds.filter((id) => withReplay.has(id)) : []);
  const reads = work
    .filter((w) => w.model.behaviorRules.length)
    .flatMap(({ model, ids }) =>
      ids
        .filter((c) => resuming.has(c))
        .map((c) => ({
          m: model.id,
          v: model.version,
          c,
          s: Number.isFinite(since.get(`${model.id}/${c}`)) ? since.get(`${model.id}/${c}`) : null,
        })),
    );
  const history = !selectors.length
    ? sql`SELECT NULL::json`
    : !resuming.size
      ? sql`SELECT json_agg(${row}) FROM events e WHERE e.contact_id = ANY(${contactIds}::uuid[]) AND ${scored}`
      : sql`WITH b AS MATERIALIZED (
          SELECT c AS id, CASE WHEN bool_and(resumable) THEN min(seen_at) ELSE '-Infinity' END AS since,
            -- All models stand at the same event (the usual case): that one is not read again.
            CASE WHEN bool_and(resumable) AND min(seen_at) = max(seen_at) THEN min(seen_id::text) END AS after
          FROM (
            SELECT w.c, coalesce(k.replay_seen_at, '-Infinity') AS seen_at, k.replay_seen_id AS seen_id,
              k.version = w.v AND k.replay IS NOT NULL AND (w.s IS NULL OR k.replay_seen_at IS NULL OR w.s > k.replay_seen_at) AS resumable
            FROM unnest(${reads.map((r) => r.m)}::uuid[], ${reads.map((r) => r.v)}::int[], ${reads.map((r) => r.c)}::uuid[],
              ${reads.map((r) => r.s)}::float8[]) AS w(m, v, c, s)
            LEFT JOIN LATERAL (SELECT * FROM contact_scores k WHERE k.model_id = w.m AND k.contact_id = w.c OFFSET 0) k ON true
          ) p
          GROUP BY c
        )
        SELECT json_agg(${row}) FROM (
          SELECT e.* FROM events e WHERE e.contact_id = ANY(${contactIds.filter((id) => !resuming.has(id))}::uuid[]) AND ${scored}
          UNION ALL
          SELECT e.* FROM (SELECT * FROM events e WHERE e.contact_id = ANY(ARRAY(SELECT id FROM b WHERE since = '-Infinity')) OFFSET 0) e
          WHERE ${scored}
          UNION ALL
          SELECT e.* FROM b CROSS JOIN LATERAL (SELECT * FROM events e
            WHERE e.contact_id = b.id AND e.occurred_at >= to_timestamp(b.since / 1000)
              AND (b.after IS NULL OR e.occurred_at >= to_timestamp((b.since + 1) / 1000) OR e.id > b.after::uuid) AND ${scored} OFFSET 0) e
          WHERE b.since > '-Infinity'
        ) e`;
  type Parts = {
    a: [string, string][] | null;
    h: [string, string, number, ...number[]][] | null;
    s:
      | [
          string,
          string,
          number,
          number,
          string | null,
          Record<string, number>,
          Omit<StoredReplay, 'seen'> | null,
          number | null,
          string | null,
        ][]
      | null;
    j: [string, string, string, number, string][] | null;
  };
  const { rows } = await sql<Parts>`
    SELECT (SELECT json_agg(json_build_array(a.id, a.matches)) FROM (${attributes}) a) AS a, (${history}) AS h, (${storedPart}) AS s,
      (${adjustmentsPart}) AS j`.execute(tx);
  const parts = rows[0]!;
  const storedScores = new Map<string, StoredScore>();
  for (const [modelId, contactId, version, score, band, points, replay, seenAt, seenId] of parts.s ?? []) {
    if (replay) rememberReplay(contactId);
    storedScores.set(`${modelId}/${contactId}`, {
      version,
      score,
      band,
      points,
      replay: replay && { ...replay, seen: seenAt === null ? null : { at: seenAt, id: seenId! } },
    });
  }
  const matched = new Map(parts.a ?? []);
  const events = new Map<string, { id: string; at: Date; m: number[] }[]>();
  // The last event read per contact, scored or not: where a replay that read it stands.
  const lastRead = new Map<string, { at: number; id: string }>();
  const read = new Map<string, { at: number; id: string }[]>();
  for (const [contactId, id, ms, ...m] of parts.h ?? []) {
    if (!matched.has(contactId)) continue;
    const point = { at: ms, id };
    if (isAfter(lastRead.get(contactId) ?? null, point)) lastRead.set(contactId, point);
    const points = read.get(contactId);
    if (points) points.push(point);
    else read.set(contactId, [point]);
    if (m.every((mask) => mask === 0)) continue;
    const list = events.get(contactId) ?? [];
    list.push({ id, at: new Date(ms), m });
    events.set(contactId, list);
  }
  const adjusted = new Map<string, ScoreAdjustment[]>();
  const adjustmentReasons = new Map<string, string>();
  for (const [modelId, contactId, line, points, reason] of parts.j ?? []) {
    const key = `${modelId}/${contactId}`;
    adjusted.set(key, [...(adjusted.get(key) ?? []), { line, points }]);
    adjustmentReasons.set(`${key}/${line}`, reason);
  }
  const result = new Map<M, Map<string, ContactScore>>();
  const replays = new Map<M, Map<string, StoredReplay>>();
  /** Per `model/contact` resumed: how many events were read after its stored cursor. */
  const rereads = new Map<string, number>();
  // Where each model's rules sit in the answer strings.
  const positions = <R extends { model: M; rule: { id: string } }>(all: R[], model: M) =>
    all.flatMap((r, i) => (r.model === model ? [[i, r.rule.id] as const] : []));
  for (const { model, ids } of work) {
    const scores = new Map<string, ContactScore>();
    const states = new Map<string, StoredReplay>();
    const attributeAt = positions(attributeRules, model);
    const behaviorAt = positions(behaviorRules, model);
    for (const contactId of ids) {
      const matches = matched.get(contactId);
      if (matches === undefined) continue;
      const key = `${model.id}/${contactId}`;
      const attributes = new Set<string>();
      for (const [i, id] of attributeAt) if (matches[i] === '1') attributes.add(id);
      const state = resuming.has(contactId)
        ? resumable(storedScores.get(key), model.version, since.get(key) ?? Number.POSITIVE_INFINITY)
        : undefined;
      const scoredEvents: ScoredEvent[] = [];
      for (const e of events.get(contactId) ?? []) {
        if (state && !isAfter(state.seen, { at: e.at.getTime(), id: e.id })) continue;
        const rules: string[] = [];
        for (const [i, id] of behaviorAt) if ((e.m[Math.floor(i / BITS)]! >> (i % BITS)) & 1) rules.push(id);
        if (rules.length) scoredEvents.push({ id: e.id, at: e.at, rules });
      }
      const replayed = replay(model.definition, state ? { ...state, lastEvent: {} } : emptyReplay(), scoredEvents);
      if (model.behaviorRules.length) {
        const last = lastRead.get(contactId) ?? null;
        if (last && isAfter(replayed.seen, last)) replayed.seen = last;
      }
      const all = read.get(contactId) ?? [];
      const readNow = state ? all.filter((p) => isAfter(state.seen, p)).length : all.length;
      replayed.read = (state?.read ?? 0) + readNow;
      if (state) rereads.set(key, readNow);
      // A short history is read again whole next time: cheaper than storing where it stood.
      const { lastEvent: _changedBy, ...kept } = replayed;
      if (state || replayed.read >= replayStorage.minEvents) {
        states.set(contactId, kept);
        if (resume) rememberReplay(contactId);
      }
      if (resume) resume.replayed.set(key, resume.eventsAdded.get(contactId)?.length ?? 0);
      const adjustments = adjusted.get(key);
      scores.set(contactId, finishScore(model.definition, replayed, { matchedAttributes: attributes, now, adjustments }));
    }
    result.set(model, scores);
    replays.set(model, states);
  }
  return { scores: result, replays, rereads, stored: storedScores, adjustmentReasons };
}

/** Whether two breakdowns give the same points per line (stored jsonb comes back in its own key order). */
function samePoints(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * Computes and stores scores of contacts under models, in a fixed number of statements however
 * many: ledger rows for every change, band and threshold signals, the next decay checks.
 */
export async function scoreContacts(
  tx: Kysely<DB>,
  scope: ScoringScope,
  work: { model: PublishedModel; ids: string[] }[],
  clock: Clock,
  causes: Map<string, string> | string,
): Promise<Map<string, Set<string>>> {
  const now = clock.now();
  const { workspaceId } = scope;
  const {
    scores: computed,
    replays,
    rereads,
    stored,
    adjustmentReasons,
  } = await computeScores(tx, scope, work, now, { stored: true, resume: contactChangesOf(tx) });
  const ledger: Record<string, unknown>[] = [];
  const scores: Record<string, unknown>[] = [];
  const signals: Record<string, unknown>[] = [];
  const pairs: { model_id: string; contact_id: string }[] = [];
  const checks: { model_id: string; contact_id: string; due_at: Date }[] = [];
  const changedScores = new Map<string, Set<string>>();
  for (const { model, ids } of work) {
    const labels = new Map(model.definition.rules.map((r) => [r.id, r.label]));
    for (const contactId of ids) pairs.push({ model_id: model.id, contact_id: contactId });
    for (const [contactId, result] of computed.get(model) ?? []) {
      if (result.nextDecayAt) checks.push({ model_id: model.id, contact_id: contactId, due_at: result.nextDecayAt });
      const before = stored.get(`${model.id}/${contactId}`);
      const previous = before?.points ?? {};
      const cause = typeof causes === 'string' ? causes : (causes.get(contactId) ?? 'change');
      for (const rule of new Set([...Object.keys(previous), ...Object.keys(result.points)])) {
        const delta = (result.points[rule] ?? 0) - (previous[rule] ?? 0);
        if (delta === 0) continue;
        ledger.push({
          model_id: model.id,
          contact_id: contactId,
          version: model.version,
          rule,
          delta,
          reason: adjustmentReasons.has(`${model.id}/${contactId}/${rule}`)
            ? `${adjustmentReasons.get(`${model.id}/${contactId}/${rule}`)} ${delta > 0 ? '+' : ''}${delta}`
            : reasonFor(rule, delta, labels, model),
          cause,
          event_id: result.lastEvent[rule] ?? null,
        });
      }
      const replayed = replays.get(model)?.get(contactId) ?? null;
      // The replay's cursor alone moving on is not worth a write until the events read again pile up.
      const changed =
        !before ||
        before.score !== result.score ||
        before.band !== result.band ||
        !samePoints(previous, result.points) ||
        before.version !== model.version ||
        (before.replay === null) !== (replayed === null) ||
        (before.replay !== null && replayed !== null && withoutCursor(before.replay) !== withoutCursor(replayed)) ||
        (rereads.get(`${model.id}/${contactId}`) ?? 0) > REREAD_LIMIT;
      if (!changed) continue;
      scores.push({
        model_id: model.id,
        contact_id: contactId,
        version: model.version,
        score: result.score,
        band: result.band,
        points: result.points,
        replay: replayed && { ...replayed, seen: undefined },
        seen_at: replayed?.seen?.at ?? null,
        seen_id: replayed?.seen?.id ?? null,
      });
      // A write that only moves the replay on (same score and breakdown) is no news.
      if (before && before.score === result.score && before.band === result.band && samePoints(previous, result.points)) continue;
      // A first score in the lowest band is where every contact starts: no news, no signal.
      const firstInLowest = !before && result.band === model.definition.bands[0]?.name;
      if ((before?.band ?? null) !== result.band && !firstInLowest) {
        const rank = (band: string | null) => model.definition.bands.findIndex((b) => b.name === band);
        signals.push({
          kind: 'score.band_changed',
          model_id: model.id,
          contact_id: contactId,
          data: {
            version: model.version,
            from: before?.band ?? null,
            to: result.band,
            score: result.score,
            direction: rank(result.band) > rank(before?.band ?? null) ? 'up' : 'down',
            cause,
          },
        });
      }
      const from = before?.score ?? model.definition.floor;
      for (const threshold of model.definition.thresholds) {
        const direction =
          from < threshold && result.score >= threshold ? 'up' : result.score <= threshold && from > threshold ? 'down' : undefined;
        if (direction)
          signals.push({
            kind: 'score.threshold_crossed',
            model_id: model.id,
            contact_id: contactId,
            data: { version: model.version, threshold, direction, from, to: result.score, cause },
          });
      }
      const reasons = changedScores.get(contactId) ?? new Set<string>();
      changedScores.set(contactId, reasons.add(`score:${model.id}`));
    }
  }
  // The decay checks of the (model, contact) pairs scored here: set where a decay step is ahead,
  // removed where none is (only models with decay have any). A check is only ever moved earlier:
  // activity pushes decay later with nearly every event, and rewriting the check each time costs
  // more than the early check does when it comes (it re-scores, finds nothing to take yet, and
  // sets the check to the true next step).
  const scheduled = new Set(checks.map((c) => `${c.model_id}/${c.contact_id}`));
  const decaying = new Set(work.filter((w) => w.model.definition.decay).map((w) => w.model.id));
  const stale = pairs.filter((p) => decaying.has(p.model_id) && !scheduled.has(`${p.model_id}/${p.contact_id}`));
  // Every write in one statement (each part touches its own table): one round trip however many
  // contacts, models and rules.
  const parts: RawBuilder<unknown>[] = [];
  if (ledger.length)
    parts.push(sql`INSERT INTO score_ledger (workspace_id, model_id, contact_id, version, rule, delta, reason, cause, event_id, recorded_at)
      SELECT ${workspaceId}::uuid, l.model_id, l.contact_id, l.version, l.rule, l.delta, l.reason, l.cause, l.event_id, ${now}::timestamptz
      FROM json_to_recordset(${JSON.stringify(ledger)}::json)
        AS l(model_id uuid, contact_id uuid, version int, rule text, delta int, reason text, cause text, event_id uuid)`);
  if (scores.length)
    parts.push(sql`INSERT INTO contact_scores (workspace_id, model_id, contact_id, version, score, band, points, replay, replay_seen_at,
        replay_seen_id, updated_at)
      SELECT ${workspaceId}::uuid, s.model_id, s.contact_id, s.version, s.score, s.band, s.points, s.replay, s.seen_at, s.seen_id,
        ${now}::timestamptz
      FROM json_to_recordset(${JSON.stringify(scores)}::json)
        AS s(model_id uuid, contact_id uuid, version int, score int, band text, points jsonb, replay json, seen_at float8, seen_id uuid)
      ON CONFLICT (model_id, contact_id) DO UPDATE SET version = excluded.version, score = excluded.score, band = excluded.band,
        points = excluded.points, replay = excluded.replay, replay_seen_at = excluded.replay_seen_at,
        replay_seen_id = excluded.replay_seen_id, updated_at = excluded.updated_at`);
  if (signals.length)
    parts.push(sql`INSERT INTO signals (workspace_id, kind, contact_id, subject_id, data, occurred_at)
      SELECT ${workspaceId}::uuid, s.kind, s.contact_id, s.model_id, s.data, ${now}::timestamptz
      FROM json_to_recordset(${JSON.stringify(signals)}::json) AS s(kind text, model_id uuid, contact_id uuid, data jsonb)`);
  if (checks.length)
    parts.push(sql`INSERT INTO score_checks (workspace_id, model_id, contact_id, due_at)
      SELECT ${workspaceId}::uuid, c.model_id, c.contact_id, c.due_at
      FROM json_to_recordset(${JSON.stringify(checks)}::json) AS c(model_id uuid, contact_id uuid, due_at timestamptz)
      ON CONFLICT (model_id, contact_id) DO UPDATE SET due_at = excluded.due_at
      WHERE excluded.due_at < score_checks.due_at`);
  if (stale.length)
    parts.push(sql`DELETE FROM score_checks k USING json_to_recordset(${JSON.stringify(stale)}::json) AS p(model_id uuid, contact_id uuid)
      WHERE k.model_id = p.model_id AND k.contact_id = p.contact_id`);
  if (parts.length)
    await sql`WITH ${sql.join(
      parts.map((part, n) => sql`${sql.raw(`w${n}`)} AS (${part})`),
      sql`, `,
    )} SELECT 1`.execute(tx);
  return changedScores;
}

function reasonFor(rule: string, delta: number, labels: Map<string, string>, model: PublishedModel): string {
  if (rule === 'decay') return `inactivity decay (${delta})`;
  if (rule === 'limit') return `total cap or floor (${delta > 0 ? '+' : ''}${delta})`;
  const label = labels.get(rule);
  if (!label) return `rule ${rule} is not in version ${model.version} of the model`;
  const isAttribute = model.attributeRules.some((r) => r.id === rule);
  const sign = delta > 0 ? `+${delta}` : `${delta}`;
  if (isAttribute) return `${label} ${sign} (${delta > 0 ? 'now applies' : 'no longer applies'})`;
  return `${label} ${sign}`;
}

/** A merged-away contact's scores and ledger become the winner's (its points add to the winner's breakdown). */
export async function moveScores(tx: Kysely<DB>, { winnerId, loserId }: { winnerId: string; loserId: string }): Promise<void> {
  const rows = await tx.selectFrom('contact_scores').selectAll().where('contact_id', 'in', [winnerId, loserId]).execute();
  for (const loser of rows.filter((r) => r.contact_id === loserId)) {
    const winner = rows.find((r) => r.contact_id === winnerId && r.model_id === loser.model_id);
    const points = { ...(winner?.points ?? {}) };
    for (const [rule, value] of Object.entries(loser.points)) points[rule] = (points[rule] ?? 0) + value;
    const score = Object.values(points).reduce((a, b) => a + b, 0);
    await tx.deleteFrom('contact_scores').where('model_id', '=', loser.model_id).where('contact_id', '=', loserId).execute();
    await tx
      .insertInto('contact_scores')
      // Two histories in one: the replay starts again from the whole merged history.
      .values({
        ...loser,
        contact_id: winnerId,
        score,
        band: winner?.band ?? loser.band,
        points: JSON.stringify(points),
        replay: null,
        replay_seen_at: null,
        replay_seen_id: null,
      })
      .onConflict((oc) =>
        oc.columns(['model_id', 'contact_id']).doUpdateSet({
          score,
          points: JSON.stringify(points),
          band: winner?.band ?? loser.band,
          replay: null,
          replay_seen_at: null,
          replay_seen_id: null,
        }),
      )
      .execute();
  }
  await tx.updateTable('score_ledger').set({ contact_id: winnerId }).where('contact_id', '=', loserId).execute();
  await tx.updateTable('score_adjustments').set({ contact_id: winnerId }).where('contact_id', '=', loserId).execute();
}

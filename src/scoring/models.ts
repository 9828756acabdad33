import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { assertContactInWorkspace } from '../contacts/contacts.ts';
import { listCustomFields } from '../contacts/custom-fields.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { invalidInput, issuesFromZod, KizunaError, notFound } from '../platform/errors.ts';
import { enqueueJob, type Job } from '../platform/jobs/jobs.ts';
import type { Logger } from '../platform/logger.ts';
import { readDocument } from '../platform/read-document.ts';
import { FieldCatalog } from '../segments/fields.ts';
import { unitOfWork } from '../segments/membership.ts';
import { definitionContext } from '../segments/segments.ts';
import {
  type AttributeRule,
  type BehaviorRule,
  checkModel,
  gradeOf,
  type ScoringModelDefinition,
  ZScoringModelDefinition,
} from './model.ts';
import { computeScores, loadScoringScope, publishedModelRows, scoreContacts } from './runtime.ts';

export const SCORE_REBUILD_JOB = 'score-rebuild';

/** A workspace's contact ids in keyset batches of RESCORE_BATCH, each read when the previous one is done. */
async function* contactBatches(db: Kysely<DB>, workspaceId: string): AsyncGenerator<string[]> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const ids = (
      await db
        .selectFrom('contacts')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('id', '>', after)
        .orderBy('id')
        .limit(RESCORE_BATCH)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return;
    yield ids;
    after = ids.at(-1)!;
  }
}
const RESCORE_BATCH = 500;

export const ZScoringModelInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullable().optional(),
    definition: z.unknown().openapi({ description: 'A ScoringModelDefinition (JSON), or YAML text of one' }),
  })
  .strict()
  .openapi('ScoringModelInput');
export const ZScoringModelPatch = ZScoringModelInput.partial().strict().openapi('ScoringModelPatch');

export const ZScoringModel = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    draft: ZScoringModelDefinition,
    publishedVersion: z.number().int().nullable(),
    build: z.object({
      state: z.enum(['idle', 'queued', 'running', 'failed']),
      error: z.string().nullable(),
      builtAt: z.string().nullable(),
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ScoringModel');
export type ScoringModel = z.infer<typeof ZScoringModel>;

/** Reads a model definition given as an object or as YAML/JSON text and checks it against the workspace. */
export async function parseModel(
  db: Kysely<DB>,
  workspaceId: string,
  raw: unknown,
  path = 'definition',
  selfId?: string,
): Promise<ScoringModelDefinition> {
  const definition = readDocument(ZScoringModelDefinition, raw, path, '{"rules": […], "bands": […]}');
  const issues = checkModel(definition, await definitionContext(db, workspaceId), path);
  if (selfId && definition.grade?.fitModelId === selfId)
    issues.push({ path: `${path}.grade.fitModelId`, message: 'a model cannot take its grade letters from itself; name the fit model' });
  if (issues.length) throw invalidInput(issues, 'the scoring model is invalid; see errors for each problem');
  return definition;
}

export async function createScoringModel(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<ScoringModel> {
  const parsed = ZScoringModelInput.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const definition = await parseModel(db, workspaceId, parsed.data.definition);
  const now = clock.now();
  const id = randomUUID();
  await db
    .insertInto('scoring_models')
    .values({
      id,
      workspace_id: workspaceId,
      name: parsed.data.name,
      description: parsed.data.description ?? null,
      draft: JSON.stringify(definition),
      published_version: null,
      archived_at: null,
      build_error: null,
      built_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return getScoringModel(db, workspaceId, id);
}

export async function updateScoringModel(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  input: unknown,
  clock: Clock,
): Promise<ScoringModel> {
  const parsed = ZScoringModelPatch.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  await loadModelRow(db, workspaceId, id);
  const definition =
    parsed.data.definition === undefined ? undefined : await parseModel(db, workspaceId, parsed.data.definition, 'definition', id);
  await db
    .updateTable('scoring_models')
    .set({
      ...(parsed.data.name !== undefined ? { name: parsed.data.name } : {}),
      ...(parsed.data.description !== undefined ? { description: parsed.data.description } : {}),
      ...(definition ? { draft: JSON.stringify(definition) } : {}),
      updated_at: clock.now(),
    })
    .where('id', '=', id)
    .execute();
  return getScoringModel(db, workspaceId, id);
}

/** Publishes the draft as the next version; every contact is re-scored from its history in the background. */
export async function publishScoringModel(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<ScoringModel> {
  const row = await loadModelRow(db, workspaceId, id);
  if (row.archived_at) throw new KizunaError('conflict', `scoring model ${id} is archived`);
  const definition = await parseModel(db, workspaceId, row.draft, 'draft', id);
  const now = clock.now();
  await db.transaction().execute(async (tx) => {
    const locked = await tx
      .selectFrom('scoring_models')
      .select('published_version')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const version = (locked.published_version ?? 0) + 1;
    await tx
      .insertInto('scoring_model_versions')
      .values({ model_id: id, version, definition: JSON.stringify(definition), published_at: now })
      .execute();
    await tx
      .updateTable('scoring_models')
      .set({ published_version: version, build_state: 'queued', build_error: null, updated_at: now })
      .where('id', '=', id)
      .execute();
    await enqueueJob(
      tx,
      { kind: SCORE_REBUILD_JOB, key: `${SCORE_REBUILD_JOB}:${id}:v${version}`, workspaceId, payload: { modelId: id } },
      clock,
    );
  });
  return getScoringModel(db, workspaceId, id);
}

/**
 * Re-scores every contact of the workspace under a model's published version, in batches of
 * 500 contacts, each its own transaction (no table-wide lock; writes go on meanwhile).
 */
export async function rescoreModel(db: Kysely<DB>, workspaceId: string, modelId: string, clock: Clock): Promise<number> {
  await db.updateTable('scoring_models').set({ build_state: 'running', build_error: null }).where('id', '=', modelId).execute();
  let total = 0;
  // The published version is read once: a publish during the run queues a run of its own.
  const scope = await loadScoringScope(db, workspaceId, modelId);
  const model = scope?.models[0];
  if (scope && model) {
    for await (const ids of contactBatches(db, workspaceId)) {
      await unitOfWork(db, clock, (tx) => scoreContacts(tx, scope, [{ model, ids }], clock, 'publish'));
      total += ids.length;
    }
  }
  await db.updateTable('scoring_models').set({ build_state: 'idle', built_at: clock.now() }).where('id', '=', modelId).execute();
  return total;
}

export function scoreRebuildHandler({ db, clock, logger }: { db: Kysely<DB>; clock: Clock; logger?: Logger }) {
  return async (job: Job): Promise<void> => {
    const { modelId } = job.payload as { modelId: string };
    try {
      await rescoreModel(db, job.workspace_id!, modelId, clock);
    } catch (error) {
      await db
        .updateTable('scoring_models')
        .set({ build_state: 'failed', build_error: (error as Error).message.slice(0, 2000) })
        .where('id', '=', modelId)
        .execute();
      logger?.warn({ err: error, modelId }, 're-scoring failed');
      throw error;
    }
  };
}

export async function getScoringModel(db: Kysely<DB>, workspaceId: string, id: string): Promise<ScoringModel> {
  const row = await loadModelRow(db, workspaceId, id);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    draft: ZScoringModelDefinition.parse(row.draft),
    publishedVersion: row.published_version,
    build: { state: row.build_state, error: row.build_error, builtAt: row.built_at?.toISOString() ?? null },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function listScoringModels(db: Kysely<DB>, workspaceId: string): Promise<ScoringModel[]> {
  const rows = await db
    .selectFrom('scoring_models')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('archived_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return Promise.all(rows.map((r) => getScoringModel(db, workspaceId, r.id)));
}

async function loadModelRow(db: Kysely<DB>, workspaceId: string, id: string) {
  const row = await db
    .selectFrom('scoring_models')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('scoring model', id);
  return row;
}

export const ZDryRun = z
  .object({
    contacts: z.number().int(),
    /** Contacts whose score would change. */
    changed: z.number().int(),
    averageBefore: z.number(),
    averageAfter: z.number(),
    bands: z.array(z.object({ band: z.string().nullable(), before: z.number().int(), after: z.number().int() })),
  })
  .openapi('ScoringDryRun');

/**
 * What publishing the draft would do, computed from every contact's history now and written
 * nowhere: how many scores change, the average, and the contacts per band before and after.
 */
export async function dryRunScoringModel(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<z.infer<typeof ZDryRun>> {
  const row = await loadModelRow(db, workspaceId, id);
  const definition = await parseModel(db, workspaceId, row.draft, 'draft', id);
  const [workspace, customFields] = await Promise.all([
    db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow(),
    listCustomFields(db, workspaceId),
  ]);
  const scope = { workspaceId, timeZone: workspace.timezone, catalog: new FieldCatalog(customFields) };
  const model = {
    id,
    definition,
    attributeRules: definition.rules.filter((r): r is AttributeRule => r.kind === 'attribute'),
    behaviorRules: definition.rules.filter((r): r is BehaviorRule => r.kind === 'behavior'),
  };
  const now = clock.now();
  const bands = new Map<string | null, { before: number; after: number }>();
  const tally = (band: string | null, key: 'before' | 'after') => {
    const entry = bands.get(band) ?? { before: 0, after: 0 };
    entry[key]++;
    bands.set(band, entry);
  };
  let contacts = 0;
  let changed = 0;
  let sumBefore = 0;
  let sumAfter = 0;
  for await (const ids of contactBatches(db, workspaceId)) {
    const current = new Map(
      (
        await db
          .selectFrom('contact_scores')
          .select(['contact_id', 'score', 'band'])
          .where('model_id', '=', id)
          .where('contact_id', 'in', ids)
          .execute()
      ).map((r) => [r.contact_id, r]),
    );
    const computed = (await computeScores(db, scope, [{ model, ids }], now)).scores.get(model) ?? new Map();
    for (const [contactId, next] of computed) {
      const before = current.get(contactId);
      contacts++;
      sumBefore += before?.score ?? 0;
      sumAfter += next.score;
      if (before?.score !== next.score) changed++;
      tally(before?.band ?? null, 'before');
      tally(next.band, 'after');
    }
  }
  const order = [...definition.bands.map((b) => b.name), null];
  return {
    contacts,
    changed,
    averageBefore: contacts ? Math.round((sumBefore / contacts) * 10) / 10 : 0,
    averageAfter: contacts ? Math.round((sumAfter / contacts) * 10) / 10 : 0,
    bands: [...bands]
      .sort(([a], [b]) => (order.indexOf(a) === -1 ? 99 : order.indexOf(a)) - (order.indexOf(b) === -1 ? 99 : order.indexOf(b)))
      .map(([band, counts]) => ({ band, ...counts })),
  };
}

export const ZContactScores = z
  .object({
    models: z.array(
      z.object({
        modelId: z.uuid(),
        name: z.string(),
        version: z.number().int(),
        score: z.number().int(),
        band: z.string().nullable(),
        /** Only on a model with a grade: A1 … D4, null while the contact lacks a fit band or a band here. */
        grade: z.string().nullable().optional(),
        rules: z.array(
          z.object({
            rule: z.string(),
            points: z.number().int(),
            entries: z.array(
              z.object({ delta: z.number().int(), reason: z.string(), cause: z.string(), eventId: z.string().nullable(), at: z.string() }),
            ),
          }),
        ),
      }),
    ),
  })
  .openapi('ContactScores');

/** Each current score of a contact, explained: the sum of its ledger, grouped by rule (the newest 50 entries per rule). */
export async function explainScores(db: Kysely<DB>, workspaceId: string, contactId: string): Promise<z.infer<typeof ZContactScores>> {
  await assertContactInWorkspace(db, workspaceId, contactId);
  const scores = await db
    .selectFrom('contact_scores as s')
    .innerJoin('scoring_models as m', 'm.id', 's.model_id')
    .select(['s.model_id', 'm.name', 's.version', 's.score', 's.band'])
    .where('s.contact_id', '=', contactId)
    .where('m.archived_at', 'is', null)
    .orderBy('m.created_at')
    .execute();
  // The published bands of the workspace's models, for grades (letters from the fit model's bands).
  const published = new Map((await publishedModelRows(db, workspaceId)).map((m) => [m.id, ZScoringModelDefinition.parse(m.definition)]));
  const bandNames = (id: string) => published.get(id)?.bands.map((b) => b.name) ?? [];
  const gradeFor = (modelId: string, band: string | null) => {
    const fitModelId = published.get(modelId)?.grade?.fitModelId;
    if (!fitModelId) return {};
    const fitBand = scores.find((x) => x.model_id === fitModelId)?.band ?? null;
    return { grade: gradeOf(bandNames(fitModelId), fitBand, bandNames(modelId), band) };
  };
  const ledger = await db
    .selectFrom('score_ledger')
    .select(['model_id', 'rule', 'delta', 'reason', 'cause', 'event_id', 'recorded_at'])
    .where('contact_id', '=', contactId)
    .orderBy('id', 'desc')
    .execute();
  return {
    models: scores.map((s) => {
      const byRule = new Map<
        string,
        { points: number; entries: { delta: number; reason: string; cause: string; eventId: string | null; at: string }[] }
      >();
      for (const entry of ledger.filter((l) => l.model_id === s.model_id)) {
        const rule = byRule.get(entry.rule) ?? { points: 0, entries: [] };
        rule.points += entry.delta;
        if (rule.entries.length < 50)
          rule.entries.push({
            delta: entry.delta,
            reason: entry.reason,
            cause: entry.cause,
            eventId: entry.event_id,
            at: entry.recorded_at.toISOString(),
          });
        byRule.set(entry.rule, rule);
      }
      return {
        modelId: s.model_id,
        name: s.name,
        version: s.version,
        score: s.score,
        band: s.band,
        ...gradeFor(s.model_id, s.band),
        rules: [...byRule].filter(([, r]) => r.points !== 0).map(([rule, r]) => ({ rule, ...r })),
      };
    }),
  };
}

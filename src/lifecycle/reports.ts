import { z } from '@hono/zod-openapi';
import { type Kysely, sql } from 'kysely';
import type { DB } from '../platform/db/schema.ts';
import { notFound } from '../platform/errors.ts';
import { gradeOf, ZScoringModelDefinition } from '../scoring/model.ts';
import { publishedModelRows } from '../scoring/runtime.ts';
import { getLifecycle } from './lifecycle.ts';

export const ZScoreReport = z
  .object({
    modelId: z.uuid(),
    contacts: z.number().int(),
    /** The stage counted as converted, e.g. Customer (seed 004: スコア高リードの成約率). */
    convertedStage: z.string(),
    bands: z.array(z.object({ band: z.string().nullable(), contacts: z.number().int(), converted: z.number().int(), rate: z.number() })),
    deciles: z.array(
      z.object({
        decile: z.number().int(),
        minScore: z.number().int(),
        maxScore: z.number().int(),
        contacts: z.number().int(),
        converted: z.number().int(),
        rate: z.number(),
      }),
    ),
    /**
     * Only for a model with a grade (`grade.fitModelId`): contacts and conversion per grade, A1
     * first, every cell of the matrix; contacts without a fit band are counted as `ungraded`.
     */
    grades: z
      .object({
        fitModelId: z.uuid(),
        cells: z.array(z.object({ grade: z.string(), contacts: z.number().int(), converted: z.number().int(), rate: z.number() })),
        ungraded: z.number().int(),
      })
      .optional(),
  })
  .openapi('ScoreReport');

/**
 * Score validation: how many contacts sit in each band and score decile of a model, and what
 * share of them ever reached the converted stage (a transition to it, or being in it now).
 */
export async function scoreReport(
  db: Kysely<DB>,
  workspaceId: string,
  modelId: string,
  convertedStage = 'Customer',
): Promise<z.infer<typeof ZScoreReport>> {
  const model = await db
    .selectFrom('scoring_models as m')
    .leftJoin('scoring_model_versions as v', (join) => join.onRef('v.model_id', '=', 'm.id').onRef('v.version', '=', 'm.published_version'))
    .select(['m.id', 'v.definition'])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.id', '=', modelId)
    .executeTakeFirst();
  if (!model) throw notFound('scoring model', modelId);
  const definition = model.definition ? ZScoringModelDefinition.parse(model.definition) : undefined;
  // A graded model: the fit model's published bands give the letters (none when it is gone or unpublished).
  const fitModelId = definition?.grade?.fitModelId;
  const [fit] = fitModelId ? await publishedModelRows(db, workspaceId, fitModelId) : [];
  const { rows } = await sql<{ score: number; band: string | null; fit_band: string | null; converted: boolean }>`
    SELECT s.score, s.band, ${fitModelId ? sql`(SELECT f.band FROM contact_scores f WHERE f.contact_id = s.contact_id AND f.model_id = ${fitModelId})` : sql`NULL::text`} AS fit_band,
      (c.lifecycle_stage = ${convertedStage} OR EXISTS (
        SELECT 1 FROM lifecycle_transitions t WHERE t.contact_id = s.contact_id AND t.to_stage = ${convertedStage})) AS converted
    FROM contact_scores s JOIN contacts c ON c.id = s.contact_id
    WHERE s.model_id = ${modelId} AND c.workspace_id = ${workspaceId}
    ORDER BY s.score`.execute(db);
  const rate = (converted: number, contacts: number) => (contacts ? Math.round((converted / contacts) * 1000) / 10 : 0);
  const order = definition ? definition.bands.map((b) => b.name) : [];
  const byBand = new Map<string | null, { contacts: number; converted: number }>();
  for (const row of rows) {
    const entry = byBand.get(row.band) ?? { contacts: 0, converted: 0 };
    entry.contacts++;
    if (row.converted) entry.converted++;
    byBand.set(row.band, entry);
  }
  const deciles = [];
  for (let d = 0; d < 10 && rows.length; d++) {
    const slice = rows.slice(Math.floor((d * rows.length) / 10), Math.floor(((d + 1) * rows.length) / 10));
    if (slice.length === 0) continue;
    const converted = slice.filter((r) => r.converted).length;
    deciles.push({
      decile: d + 1,
      minScore: slice[0]!.score,
      maxScore: slice.at(-1)!.score,
      contacts: slice.length,
      converted,
      rate: rate(converted, slice.length),
    });
  }
  return {
    modelId,
    contacts: rows.length,
    convertedStage,
    bands: [...byBand]
      .sort(([a], [b]) => order.indexOf(a ?? '') - order.indexOf(b ?? ''))
      .map(([band, e]) => ({ band, contacts: e.contacts, converted: e.converted, rate: rate(e.converted, e.contacts) })),
    deciles,
    ...(fitModelId
      ? {
          grades: gradeCells(
            rows,
            fitModelId,
            fit ? ZScoringModelDefinition.parse(fit.definition).bands.map((b) => b.name) : [],
            order,
            rate,
          ),
        }
      : {}),
  };
}

/** Contacts and conversion per grade cell (A1 … D4, as many as the two models' bands give). */
function gradeCells(
  rows: { band: string | null; fit_band: string | null; converted: boolean }[],
  fitModelId: string,
  fitBands: string[],
  bands: string[],
  rate: (converted: number, contacts: number) => number,
) {
  const letters = 'ABCD'.slice(0, Math.min(fitBands.length, 4));
  const numbers = Math.min(bands.length, 4);
  const cells = new Map<string, { contacts: number; converted: number }>();
  for (const letter of letters) for (let n = 1; n <= numbers; n++) cells.set(`${letter}${n}`, { contacts: 0, converted: 0 });
  let ungraded = 0;
  for (const row of rows) {
    const cell = cells.get(gradeOf(fitBands, row.fit_band, bands, row.band) ?? '');
    if (!cell) {
      ungraded++;
      continue;
    }
    cell.contacts++;
    if (row.converted) cell.converted++;
  }
  return {
    fitModelId,
    cells: [...cells].map(([grade, c]) => ({ grade, contacts: c.contacts, converted: c.converted, rate: rate(c.converted, c.contacts) })),
    ungraded,
  };
}

export const ZLifecycleReport = z
  .object({
    stages: z.array(z.object({ stage: z.string().nullable(), contacts: z.number().int() })),
    /** Contacts that ever reached MQL, and how many of them went on to SQL. */
    mqlToSql: z.object({ mql: z.number().int(), sql: z.number().int(), rate: z.number() }),
    /** Median hours from entering one stage to entering the next one along the path, over contacts that made that move. */
    medianHours: z.array(z.object({ from: z.string(), to: z.string(), contacts: z.number().int(), hours: z.number() })),
  })
  .openapi('LifecycleReport');

/** The funnel now: contacts per stage, the MQL → SQL rate, and the median time between stages. */
export async function lifecycleReport(db: Kysely<DB>, workspaceId: string): Promise<z.infer<typeof ZLifecycleReport>> {
  // The workspace's stage path (the published one, or the default) orders the moves.
  const { published, draft } = await getLifecycle(db, workspaceId);
  const path = (published ?? draft).stages;
  const stages = await db
    .selectFrom('contacts')
    .select(['lifecycle_stage as stage', sql<number>`count(*)::int`.as('contacts')])
    .where('workspace_id', '=', workspaceId)
    .groupBy('lifecycle_stage')
    .orderBy('contacts', 'desc')
    .execute();
  const { rows: funnel } = await sql<{ mql: number; sql: number }>`
    WITH reached AS (
      SELECT contact_id, bool_or(to_stage = 'MQL') AS mql, bool_or(to_stage = 'SQL') AS sql
      FROM lifecycle_transitions WHERE workspace_id = ${workspaceId} GROUP BY contact_id)
    SELECT count(*) FILTER (WHERE mql)::int AS mql, count(*) FILTER (WHERE mql AND sql)::int AS sql FROM reached`.execute(db);
  const { rows: medians } = await sql<{ from: string; to: string; contacts: number; hours: number }>`
    WITH entered AS (
      SELECT contact_id, to_stage AS stage, min(occurred_at) AS at FROM lifecycle_transitions
      WHERE workspace_id = ${workspaceId} AND to_stage IS NOT NULL GROUP BY contact_id, to_stage),
    -- Each stage a contact entered, paired with the next one along the path it entered (stages it skipped are skipped).
    ordered AS (
      SELECT stage, at, lead(stage) OVER w AS next_stage, lead(at) OVER w AS next_at FROM entered
      WHERE stage = ANY(${path}::text[])
      WINDOW w AS (PARTITION BY contact_id ORDER BY array_position(${path}::text[], stage))),
    pairs AS (
      SELECT stage AS "from", next_stage AS "to", extract(epoch FROM next_at - at) / 3600 AS hours
      FROM ordered WHERE next_stage IS NOT NULL AND next_at > at)
    SELECT "from", "to", count(*)::int AS contacts, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY hours)::numeric, 1)::float AS hours
    FROM pairs GROUP BY "from", "to" ORDER BY array_position(${path}::text[], "from"), array_position(${path}::text[], "to")`.execute(db);
  const { mql, sql: sqlCount } = funnel[0] ?? { mql: 0, sql: 0 };
  return {
    stages: stages.map((s) => ({ stage: s.stage, contacts: s.contacts })),
    mqlToSql: { mql, sql: sqlCount, rate: mql ? Math.round((sqlCount / mql) * 1000) / 10 : 0 },
    medianHours: medians,
  };
}

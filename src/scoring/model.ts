import { z } from '@hono/zod-openapi';
import type { FieldIssue } from '../platform/errors.ts';
import { checkCondition, type DefinitionContext } from '../segments/check-definition.ts';
import { atoms, ZCondition, ZPropertyFilter } from '../segments/condition.ts';

/**
 * A scoring model: a versioned document of attribute rules (a condition on the contact, its
 * company and its data, in the shared condition language), behaviour rules (events, with
 * limits), caps, inactivity decay and bands. A contact's score is a pure function of its data,
 * its event history and the time (`scoreContact`), so replays and republishing agree.
 */
const ZRuleId = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'expected a snake_case rule id');
const ZPoints = z.number().int().min(-1000).max(1000);
const ZCap = z.number().int().min(0, 'a cap is a number of points, 0 or more').max(100_000);

export const ZAttributeRule = z
  .object({
    id: ZRuleId,
    label: z.string().min(1).max(200),
    kind: z.literal('attribute'),
    condition: ZCondition,
    points: ZPoints,
    group: ZRuleId.optional(),
  })
  .strict();

export const ZBehaviorRule = z
  .object({
    id: ZRuleId,
    label: z.string().min(1).max(200),
    kind: z.literal('behavior'),
    /** Track events by name; page and screen views by `call` (with `event` as the page name, optional). */
    event: z.string().min(1).max(200).optional(),
    call: z.enum(['track', 'page', 'screen']).default('track'),
    where: z.array(ZPropertyFilter).max(20).default([]),
    points: ZPoints,
    /** Counted at most this many times in a contact's history. */
    maxTimes: z.number().int().min(1).max(100_000).optional(),
    /** Counted at most once per this many days (a burst of page views earns once). */
    oncePerDays: z.number().int().min(1).max(3660).optional(),
    /** The most (absolute) points this rule can earn a contact. */
    cap: ZCap.optional(),
    group: ZRuleId.optional(),
  })
  .strict();

export const ZScoringModelDefinition = z
  .object({
    schemaVersion: z.literal(1).default(1),
    rules: z
      .array(z.discriminatedUnion('kind', [ZAttributeRule, ZBehaviorRule]))
      .min(1)
      .max(200),
    groups: z
      .array(z.object({ id: ZRuleId, label: z.string().max(200).optional(), cap: ZCap }).strict())
      .max(50)
      .default([]),
    /** The most points in total; the score never goes below `floor`. */
    cap: ZCap.optional(),
    floor: z.number().int().min(-100_000).max(100_000).default(0),
    /**
     * Inactivity decay of behaviour points: every `everyDays` without scored activity, the step
     * with the largest `afterDays` reached takes its points (seed 004: after 30 days −5 a month,
     * after 60 days −10 a month), or `percent` of them; never below zero.
     */
    decay: z
      .union([
        z
          .object({
            everyDays: z.number().int().min(1).max(3660).default(30),
            steps: z
              .array(z.object({ afterDays: z.number().int().min(1).max(3660), points: z.number().int().min(1).max(1000) }).strict())
              .min(1)
              .max(10),
          })
          .strict(),
        z
          .object({
            everyDays: z.number().int().min(1).max(3660).default(30),
            afterDays: z.number().int().min(1).max(3660),
            percent: z.number().min(0.1).max(100),
          })
          .strict(),
      ])
      .optional(),
    /**
     * Scores whose crossing raises a `score.threshold_crossed` signal (seed 004: 50 → MQL list,
     * 75 → notify sales, 20 → re-engagement): up when a score reaches one, down when it falls to it or below.
     */
    thresholds: z.array(z.number().int()).max(20).default([]),
    /**
     * A fit × engagement grade on this (engagement) model, as sales teams read leads (A1 first):
     * the letter from the contact's band under the fit model (its highest band A, then B, C, D),
     * the number from its band here (highest 1, then 2, 3, 4). Bands below the fourth share D / 4.
     */
    grade: z
      .object({ fitModelId: z.uuid().openapi({ description: 'The published scoring model whose bands give the letter (A–D).' }) })
      .strict()
      .optional(),
    /** Named ranges of the score, lowest first: each from its `min` (inclusive) up to the next one's. */
    bands: z
      .array(z.object({ name: z.string().min(1).max(64), min: z.number().int(), max: z.number().int().optional() }).strict())
      .min(1)
      .max(20),
  })
  .strict()
  .openapi('ScoringModelDefinition');
export type ScoringModelDefinition = z.infer<typeof ZScoringModelDefinition>;
export type AttributeRule = z.infer<typeof ZAttributeRule>;
export type BehaviorRule = z.infer<typeof ZBehaviorRule>;

/** The seed 004 bands: Cold 0–24, Warm 25–49, Hot 50–74, Very Hot 75+. */
export const SEED_BANDS = [
  { name: 'Cold', min: 0, max: 24 },
  { name: 'Warm', min: 25, max: 49 },
  { name: 'Hot', min: 50, max: 74 },
  { name: 'Very Hot', min: 75 },
];

/**
 * A contact's grade (pure): `A1` … `D4`, the letter from its fit band, the number from its band on
 * the graded model, each counted from the highest of the model's bands (given lowest first, as
 * stored); null without both bands.
 */
export function gradeOf(fitBands: readonly string[], fitBand: string | null, bands: readonly string[], band: string | null): string | null {
  const fit = fitBand === null ? -1 : fitBands.indexOf(fitBand);
  const own = band === null ? -1 : bands.indexOf(band);
  if (fit < 0 || own < 0) return null;
  return `${'ABCD'[Math.min(fitBands.length - 1 - fit, 3)]}${Math.min(bands.length - 1 - own, 3) + 1}`;
}

/** What is wrong with a model in this workspace (pure): its rules' conditions, ids, groups, bands. */
export function checkModel(model: ScoringModelDefinition, context: DefinitionContext, root = 'definition'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  const groups = new Set(model.groups.map((g) => g.id));
  model.rules.forEach((rule, i) => {
    const path = `${root}.rules.${i}`;
    if (seen.has(rule.id)) issues.push({ path: `${path}.id`, message: `rule id ${rule.id} is used twice` });
    seen.add(rule.id);
    if (rule.group && !groups.has(rule.group)) issues.push({ path: `${path}.group`, message: `no group ${rule.group} in groups` });
    if (rule.kind === 'attribute') {
      issues.push(...checkCondition(rule.condition, context, [path, 'condition']));
      for (const [atom, at] of atoms(rule.condition, [path, 'condition']))
        if (atom.type === 'score' || atom.type === 'band' || atom.type === 'segment')
          issues.push({
            path: at.join('.'),
            message:
              atom.type === 'segment'
                ? 'a scoring rule cannot read a segment (segments follow scores, not the other way round)'
                : 'a scoring rule cannot read scores (a score would depend on itself); use segments for that',
          });
    } else {
      if (rule.call === 'track' && !rule.event) issues.push({ path: `${path}.event`, message: 'a track rule needs the event name' });
      issues.push(
        ...checkCondition(
          { type: 'event', call: rule.call, event: rule.event, where: rule.where, count: { operator: 'at_least', value: 1 } },
          context,
          [path],
        ),
      );
    }
  });
  const bands = model.bands;
  bands.forEach((band, i) => {
    const path = `${root}.bands.${i}`;
    if (band.max !== undefined && band.max < band.min) issues.push({ path: `${path}.max`, message: 'a band must not end below its min' });
    const next = bands[i + 1];
    if (!next) return;
    if (next.min <= band.min)
      issues.push({ path: `${root}.bands.${i + 1}.min`, message: 'bands go lowest first, each starting above the one before' });
    else if (band.max !== undefined && band.max >= next.min)
      issues.push({ path: `${path}.max`, message: `band ${band.name} overlaps ${next.name} (which starts at ${next.min})` });
  });
  if (model.decay && 'steps' in model.decay) {
    const steps = model.decay.steps;
    steps.forEach((step, i) => {
      if (i > 0 && step.afterDays <= steps[i - 1]!.afterDays)
        issues.push({ path: `${root}.decay.steps.${i}.afterDays`, message: 'decay steps go in order of afterDays' });
    });
  }
  if (model.grade && !context.models?.has(model.grade.fitModelId))
    issues.push({ path: `${root}.grade.fitModelId`, message: `no published scoring model ${model.grade.fitModelId} in this workspace` });
  return issues;
}

/** The band a score falls in: the last whose min it reaches (a score below every band has none). */
export function bandOf(model: Pick<ScoringModelDefinition, 'bands'>, score: number): string | null {
  let found: string | null = null;
  for (const band of model.bands) if (score >= band.min) found = band.name;
  return found;
}

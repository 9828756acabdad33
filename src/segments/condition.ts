import { z } from '@hono/zod-openapi';

/**
 * The condition language shared by segments (and, later, scoring rules, lifecycle rules, journey
 * branches and dynamic content). A condition is a tree of `and` / `or` / `not` groups over atoms.
 * Every atom is two-valued: a missing value makes a positive test false and its negation true,
 * so `neq x` is exactly `not (eq x)` and includes contacts with no value (see README, Segments).
 */

export const FIELD_OPERATORS = [
  'eq',
  'neq',
  'in',
  'not_in',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'contains_any',
  'contains_all',
  'before',
  'after',
  'on',
  'within_last_days',
  'within_next_days',
  'more_than_days_ago',
  'anniversary_within_days',
  'is_set',
  'is_empty',
] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];

export const PROPERTY_OPERATORS = [
  'eq',
  'neq',
  'in',
  'not_in',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'gt',
  'gte',
  'lt',
  'lte',
  'is_set',
  'is_empty',
] as const;
export type PropertyOperator = (typeof PROPERTY_OPERATORS)[number];

const ZScalar = z.union([z.string().max(1000), z.number(), z.boolean()]);

export const ZFieldCondition = z
  .object({
    type: z.literal('field'),
    field: z.string().min(1).max(200).openapi({ example: 'lifecycleStage' }),
    operator: z.enum(FIELD_OPERATORS),
    value: z.union([ZScalar, z.array(ZScalar).max(1000)]).optional(),
  })
  .strict();

export const ZPropertyFilter = z
  .object({
    property: z
      .string()
      .regex(/^[^.\s][^\s]{0,199}$/, 'expected a property name; nested properties as a.b')
      .openapi({ example: 'path' }),
    operator: z.enum(PROPERTY_OPERATORS),
    value: z.union([ZScalar, z.array(ZScalar).max(1000)]).optional(),
  })
  .strict();
export type PropertyFilter = z.infer<typeof ZPropertyFilter>;

const ZIsoDate = z.string().refine((v) => parseDateValue(v) !== undefined, 'expected a date as YYYY-MM-DD or an ISO 8601 timestamp');
const ZDays = z.number().int().min(1).max(3660);

export const ZWindow = z.union([z.object({ lastDays: ZDays }).strict(), z.object({ from: ZIsoDate, to: ZIsoDate }).strict()]);
export type Window = z.infer<typeof ZWindow>;

const eventSelector = {
  /** Track calls by event name; page and screen views by `call` (with `event` as the page name, optional). */
  event: z.string().min(1).max(200).optional().openapi({ example: 'Order Completed' }),
  call: z.enum(['track', 'page', 'screen', 'identify', 'group']).default('track'),
  where: z.array(ZPropertyFilter).max(20).default([]),
};

export const ZEventCondition = z
  .object({
    type: z.literal('event'),
    ...eventSelector,
    count: z
      .object({ operator: z.enum(['at_least', 'at_most', 'exactly']), value: z.number().int().min(0).max(1_000_000) })
      .strict()
      .default({ operator: 'at_least', value: 1 }),
    within: ZWindow.optional(),
  })
  .strict();

export const ZEventTimeCondition = z
  .object({
    type: z.literal('event_time'),
    ...eventSelector,
    occurrence: z.enum(['first', 'last']),
    operator: z.enum(['before', 'after', 'within_last_days', 'more_than_days_ago']),
    value: z.union([ZIsoDate, ZDays]),
  })
  .strict();

export const ZEmailCondition = z
  .object({
    type: z.literal('email'),
    action: z.enum(['opened', 'clicked']),
    /** A campaign id; omitted: any email. */
    campaignId: z.string().min(1).max(200).optional(),
    /** Opens by privacy proxies and clicks by link scanners count only when this is true. */
    includeMachine: z.boolean().default(false),
    count: z
      .object({ operator: z.enum(['at_least', 'at_most', 'exactly']), value: z.number().int().min(0).max(1_000_000) })
      .strict()
      .default({ operator: 'at_least', value: 1 }),
    within: ZWindow.optional(),
  })
  .strict();

export const ZConsentCondition = z
  .object({
    type: z.literal('consent'),
    purpose: z.string().min(1).max(100).openapi({ example: 'email_marketing' }),
    /** granted / withdrawn: the latest record says so; unknown: no record for the purpose. */
    state: z.enum(['granted', 'withdrawn', 'unknown']),
  })
  .strict();

export const ZSegmentCondition = z.object({ type: z.literal('segment'), segmentId: z.uuid() }).strict();
/** A contact's current score under a published scoring model (no score yet: only negations match). */
export const ZScoreCondition = z
  .object({
    type: z.literal('score'),
    modelId: z.uuid(),
    operator: z.enum(['eq', 'gt', 'gte', 'lt', 'lte', 'between']),
    value: z.union([z.number().int(), z.tuple([z.number().int(), z.number().int()])]),
  })
  .strict();
/** A contact's current band under a scoring model: one of the named bands. */
export const ZBandCondition = z
  .object({ type: z.literal('band'), modelId: z.uuid(), bands: z.array(z.string().min(1).max(64)).min(1).max(20) })
  .strict();
export const ZListCondition = z.object({ type: z.literal('list'), listId: z.uuid() }).strict();

export type Condition =
  | { type: 'and'; conditions: Condition[] }
  | { type: 'or'; conditions: Condition[] }
  | { type: 'not'; condition: Condition }
  | z.infer<typeof ZFieldCondition>
  | z.infer<typeof ZEventCondition>
  | z.infer<typeof ZEventTimeCondition>
  | z.infer<typeof ZEmailCondition>
  | z.infer<typeof ZConsentCondition>
  | z.infer<typeof ZSegmentCondition>
  | z.infer<typeof ZListCondition>
  | z.infer<typeof ZScoreCondition>
  | z.infer<typeof ZBandCondition>;
export type EventCondition = z.infer<typeof ZEventCondition>;
export type EventTimeCondition = z.infer<typeof ZEventTimeCondition>;
export type FieldCondition = z.infer<typeof ZFieldCondition>;

export const ZCondition: z.ZodType<Condition> = z
  .lazy(() =>
    z.discriminatedUnion('type', [
      z.object({ type: z.literal('and'), conditions: z.array(ZCondition).min(1).max(100) }).strict(),
      z.object({ type: z.literal('or'), conditions: z.array(ZCondition).min(1).max(100) }).strict(),
      z.object({ type: z.literal('not'), condition: ZCondition }).strict(),
      ZFieldCondition,
      ZEventCondition,
      ZEventTimeCondition,
      ZEmailCondition,
      ZConsentCondition,
      ZSegmentCondition,
      ZListCondition,
      ZScoreCondition,
      ZBandCondition,
    ]),
  )
  // A name stops the OpenAPI generator from recursing into the grammar forever.
  .openapi('Condition') as z.ZodType<Condition>;

/** A segment definition: the versioned document stored, published and exported as JSON or YAML. */
export const ZSegmentDefinition = z
  .object({
    /** The condition language's version; documents from a later version are refused, not misread. */
    schemaVersion: z.literal(1).default(1),
    condition: ZCondition,
  })
  .strict()
  .openapi('SegmentDefinition', {
    example: {
      schemaVersion: 1,
      condition: {
        type: 'and',
        conditions: [
          { type: 'field', field: 'company.employeeCount', operator: 'gte', value: 100 },
          {
            type: 'event',
            call: 'page',
            where: [{ property: 'path', operator: 'starts_with', value: '/pricing' }],
            count: { operator: 'at_least', value: 3 },
            within: { lastDays: 7 },
          },
        ],
      },
    },
  });
export type SegmentDefinition = z.infer<typeof ZSegmentDefinition>;

/** A date value: a calendar day (YYYY-MM-DD, read in the workspace's time zone) or an exact instant. */
export type DateValue = { day: string } | { instant: Date };

export function parseDateValue(value: unknown): DateValue | undefined {
  if (typeof value !== 'string') return undefined;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const real = new Date(Date.UTC(+day[1]!, +day[2]! - 1, +day[3]!)).toISOString().startsWith(value);
    return real ? { day: value } : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : { instant: new Date(at) };
}

/** Each atom of a condition, with its path in the document (for error messages). */
export function* atoms(condition: Condition, path: (string | number)[] = ['condition']): Generator<[Condition, (string | number)[]]> {
  if (condition.type === 'and' || condition.type === 'or') {
    for (const [i, child] of condition.conditions.entries()) yield* atoms(child, [...path, 'conditions', i]);
  } else if (condition.type === 'not') {
    yield* atoms(condition.condition, [...path, 'condition']);
  } else {
    yield [condition, path];
  }
}

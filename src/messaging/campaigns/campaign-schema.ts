import { z } from '@hono/zod-openapi';

const ZTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day HH:MM such as 09:00');
const ZAddress = z
  .string()
  .regex(/^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, 'expected an address such as "Kizuna <news@example.com>"');

export const ZSendWindow = z
  .object({
    start: ZTime,
    end: ZTime,
    /** ISO weekdays, 1 = Monday … 7 = Sunday. */
    days: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional(),
  })
  .strict()
  .refine((w) => w.start !== w.end, { message: 'start and end must differ', path: ['end'] })
  .openapi('SendWindow');

export const ZWinnerMetric = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('opens') }).strict(),
    z.object({ kind: z.literal('clicks') }).strict(),
    z
      .object({
        kind: z.literal('conversion'),
        event: z.string().min(1).max(200),
        withinHours: z
          .number()
          .int()
          .min(1)
          .max(24 * 30),
      })
      .strict(),
  ])
  .openapi('WinnerMetric', { description: 'opens and clicks by people: machine opens and scanner clicks are left out.' });

export const ZVariant = z
  .object({
    key: z.string().regex(/^[A-Za-z0-9_-]{1,20}$/, 'expected a short key such as A or subject_b'),
    weight: z.number().positive().max(100).default(1),
    /** A different template (content test); default: the campaign's. */
    templateId: z.uuid().optional(),
    /** A different subject line (Liquid, plain text); default: the template's. */
    subject: z.string().trim().min(1).max(998).optional(),
    /** A different sender; default: the campaign's. */
    from: ZAddress.optional(),
  })
  .strict();

export const ZAbTest = z
  .object({
    variants: z.array(ZVariant).min(2).max(5),
    /** The share of the audience in the test; the rest receives the winner after the test window. 100: a pure split. */
    testPercent: z.number().int().min(1).max(100).default(20),
    metric: ZWinnerMetric.default({ kind: 'opens' }),
    /** How long the test runs before the winner is picked. */
    testHours: z
      .number()
      .min(0.25)
      .max(24 * 7)
      .default(4),
    confidence: z.number().min(0.5).max(0.999).default(0.95),
    /** When no variant wins significantly: send the best one anyway, or the first (the control). */
    ifInconclusive: z.enum(['best', 'first']).default('best'),
    /** Seed of the random split: the same seed and audience give the same groups. Default: the campaign id. */
    seed: z.string().max(200).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const keys = new Set<string>();
    t.variants.forEach((v, i) => {
      if (keys.has(v.key)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'key'], message: `duplicate variant key "${v.key}"` });
      keys.add(v.key);
    });
  })
  .openapi('AbTest');

export const ZCampaignDefinition = z
  .object({
    templateId: z.uuid(),
    /** Who receives it: the members of a segment or of a static list when the campaign starts. */
    audience: z.union([z.object({ segmentId: z.uuid() }).strict(), z.object({ listId: z.uuid() }).strict()]),
    /** The subscription topic: contacts opted out of it are skipped. */
    topic: z.string().min(1).max(100).optional(),
    from: ZAddress.optional(),
    replyTo: ZAddress.optional(),
    /** Added to every tracked link (a link's own utm_ values win). */
    utm: z
      .object({
        source: z.string().max(100).optional(),
        medium: z.string().max(100).optional(),
        campaign: z.string().max(100).optional(),
        content: z.string().max(100).optional(),
        term: z.string().max(100).optional(),
      })
      .strict()
      .optional(),
    /** At most this many messages per hour: the audience is spread over the hours that takes. */
    throttlePerHour: z.number().int().min(1).max(10_000_000).optional(),
    /** Only inside this daily window in each contact's time zone (deferred otherwise, never dropped). */
    sendWindow: ZSendWindow.optional(),
    /** Each contact at their usual open/click hour within 24 hours of the start (fallback: the workspace's hour). */
    sendTimeOptimization: z.boolean().default(false),
    /** Under a frequency cap, higher priority messages go first. */
    priority: z.number().int().min(-100).max(100).default(0),
    abTest: ZAbTest.optional(),
    /** What counts as a conversion in the report: this event within N days of the send. */
    conversion: z
      .object({ event: z.string().min(1).max(200), withinDays: z.number().int().min(1).max(90).default(7) })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('CampaignDefinition');
export type CampaignDefinition = z.infer<typeof ZCampaignDefinition>;
export type AbTest = z.infer<typeof ZAbTest>;

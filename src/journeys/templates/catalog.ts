import { z } from '@hono/zod-openapi';
import { KizunaError } from '../../platform/errors.ts';
import { cartAbandonment } from './cart-abandonment.ts';
import { JOURNEY_TEMPLATE_KEYS, type JourneyTemplate } from './journey-template.ts';
import { mqlHandoff } from './mql-handoff.ts';
import { nurture } from './nurture.ts';
import { pricingInterest } from './pricing-interest.ts';
import { reengagement } from './reengagement.ts';
import { trialOnboarding } from './trial-onboarding.ts';
import { webinar } from './webinar.ts';
import { welcome } from './welcome.ts';

// biome-ignore lint/suspicious/noExplicitAny: each template has its own options and email keys
const TEMPLATES: JourneyTemplate<any, any>[] = [
  welcome,
  nurture,
  reengagement,
  cartAbandonment,
  webinar,
  trialOnboarding,
  mqlHandoff,
  pricingInterest,
];

const ZBilingual = z.object({ ja: z.string(), en: z.string() });

export const ZJourneyTemplateSummary = z
  .object({
    key: z.enum(JOURNEY_TEMPLATE_KEYS),
    name: ZBilingual,
    description: ZBilingual,
    options: z.array(
      z.object({
        name: z.string(),
        required: z.boolean(),
        description: z.string(),
        default: z.unknown().optional(),
      }),
    ),
    /** Custom contact fields it creates when missing. */
    fields: z.array(z.string()),
  })
  .openapi('JourneyTemplateSummary');
export type JourneyTemplateSummary = z.infer<typeof ZJourneyTemplateSummary>;

/** The seed journey templates: key, names, descriptions and the options each needs. */
export function listJourneyTemplates(): JourneyTemplateSummary[] {
  return TEMPLATES.map((t) => ({
    key: t.key,
    name: t.name,
    description: t.description,
    options: Object.entries(t.options.shape as Record<string, z.ZodType>).map(([name, schema]) => {
      const fallback = defaultOf(schema);
      return {
        name,
        required: !schema.safeParse(undefined).success,
        description: schema.description ?? '',
        ...(fallback === undefined ? {} : { default: fallback }),
      };
    }),
    fields: (t.fields ?? []).map((f) => f.key),
  }));
}

/** A template by key; an unknown key is a not_found naming the keys there are. */
// biome-ignore lint/suspicious/noExplicitAny: callers parse options with the template's own schema
export function getJourneyTemplate(key: string): JourneyTemplate<any, any> {
  const template = TEMPLATES.find((t) => t.key === key);
  if (!template) throw new KizunaError('not_found', `no journey template ${key}: expected one of ${JOURNEY_TEMPLATE_KEYS.join(', ')}`);
  return template;
}

function defaultOf(schema: z.ZodType): unknown {
  const parsed = schema.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

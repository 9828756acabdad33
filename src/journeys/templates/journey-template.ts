import type { z } from '@hono/zod-openapi';
import type { CustomFieldInput } from '../../contacts/custom-fields.ts';
import type { EmailSpec } from './email-copy.ts';

/** A text in both languages the product speaks. */
export interface Bilingual {
  ja: string;
  en: string;
}

/**
 * A journey template from the seeds (004: welcome series, nurture by buying stage, …): the
 * emails it needs, the options it asks for, and a function that builds the journey document
 * from the ids of the created templates and the checked options.
 */
export interface JourneyTemplate<Options extends z.ZodObject = z.ZodObject, EmailKey extends string = string> {
  key: JourneyTemplateKey;
  name: Bilingual;
  description: Bilingual;
  /** Each option with `.describe()`: what it is for; optional ones have defaults. */
  options: Options;
  /** The emails, with option values (checked: codes, numbers, URLs through hrefOf) written into the copy. */
  emails(options: z.infer<Options>): Record<EmailKey, EmailSpec>;
  /** Custom contact fields the journey reads, created on install when the workspace lacks them. */
  fields?: CustomFieldInput[];
  /** The journey definition (readable data) for the created template ids and the options. */
  build(templateIds: Record<EmailKey, string>, options: z.infer<Options>): Record<string, unknown>;
}

export const JOURNEY_TEMPLATE_KEYS = [
  'welcome',
  'nurture',
  'reengagement',
  'cart_abandonment',
  'webinar',
  'trial_onboarding',
  'mql_handoff',
  'pricing_interest',
] as const;
export type JourneyTemplateKey = (typeof JOURNEY_TEMPLATE_KEYS)[number];

/** Declares a template with its option and email keys inferred (so `build` is checked against them). */
export function defineJourneyTemplate<Options extends z.ZodObject, EmailKey extends string>(
  template: JourneyTemplate<Options, EmailKey>,
): JourneyTemplate<Options, EmailKey> {
  return template;
}

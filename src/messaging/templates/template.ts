import { z } from '@hono/zod-openapi';
import { ZCondition } from '../../segments/condition.ts';

/**
 * An email template: one versioned JSON document.
 *
 * ```json
 * {
 *   "schemaVersion": 1,
 *   "kind": "marketing",                      // marketing mail must link {{ unsubscribe_url }} (lint)
 *   "format": "mjml",                          // or "html"
 *   "defaultLocale": "ja",
 *   "locales": {
 *     "ja": { "subject": "{{ contact.fullName }} 様へ", "preheader": "…", "body": "<mjml>…</mjml>", "text": "…(optional)" },
 *     "en": { "subject": "…", "body": "<mjml>…</mjml>" }
 *   },
 *   "blocks": [
 *     { "name": "hero",
 *       "variants": [{ "condition": { "type": "field", "field": "industry", "operator": "eq", "value": "製造業" }, "body": "<p>…</p>" }],
 *       "fallback": "<p>…</p>" }
 *   ]
 * }
 * ```
 *
 * Every text is Liquid. Bodies are MJML or HTML; subject, preheader and text are plain text.
 * A block is an HTML fragment (also inside MJML templates: place it in `<mj-text>` or `<mj-raw>`
 * as `{{ blocks.hero }}`); per contact the first variant whose condition holds is shown, else
 * the fallback. Conditions are the segments' condition language.
 */
export const ZLocaleTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, 'expected a locale such as ja, en or en-US');

export const ZLocaleContent = z
  .object({
    subject: z.string().trim().min(1).max(998),
    preheader: z.string().max(500).optional(),
    body: z.string().min(1).max(500_000),
    /** The plain-text part; generated from the HTML when absent. */
    text: z.string().max(500_000).optional(),
  })
  .strict();

export const ZBlock = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'expected a snake_case block name'),
    variants: z
      .array(z.object({ condition: ZCondition, body: z.string().max(100_000) }).strict())
      .min(1)
      .max(20),
    fallback: z.string().max(100_000).default(''),
  })
  .strict();

export const ZTemplateDefinition = z
  .object({
    schemaVersion: z.literal(1).default(1),
    kind: z.enum(['marketing', 'transactional']).default('marketing'),
    format: z.enum(['mjml', 'html']),
    defaultLocale: ZLocaleTag,
    locales: z.record(ZLocaleTag, ZLocaleContent),
    blocks: z.array(ZBlock).max(20).default([]),
  })
  .strict()
  .openapi('TemplateDefinition');
export type TemplateDefinition = z.infer<typeof ZTemplateDefinition>;
export type LocaleContent = z.infer<typeof ZLocaleContent>;
export type TemplateBlock = z.infer<typeof ZBlock>;

/** What publishing stores beside a version's definition: each locale's body as HTML, Liquid intact. */
export const ZCompiledTemplate = z.object({ locales: z.record(z.string(), z.object({ html: z.string() })) });
export type CompiledTemplate = z.infer<typeof ZCompiledTemplate>;

/** A lint finding: the template works, but something may go wrong in some mail clients or with the law. */
export const ZTemplateWarning = z
  .object({
    code: z.enum(['unsupported_feature', 'no_unsubscribe_link', 'sample_data']),
    path: z.string(),
    message: z.string(),
  })
  .openapi('TemplateWarning');
export type TemplateWarning = z.infer<typeof ZTemplateWarning>;

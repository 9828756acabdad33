import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { defineCustomField, listCustomFields } from '../../contacts/custom-fields.ts';
import { createTemplateRenderer, type TemplateRenderer } from '../../messaging/templates/render.ts';
import { createTemplate, publishTemplate } from '../../messaging/templates/templates.ts';
import type { Clock } from '../../platform/clock.ts';
import type { DB } from '../../platform/db/schema.ts';
import { type FieldIssue, invalidInput, issuesFromZod } from '../../platform/errors.ts';
import { createJourney, publishJourney } from '../journeys.ts';
import { getJourneyTemplate } from './catalog.ts';
import { emailTemplateDefinition } from './email-copy.ts';

export const ZJourneyTemplateInstall = z
  .object({
    options: z.record(z.string(), z.unknown()).default({}).openapi({ description: 'The template’s options (see the catalog)' }),
    publish: z.boolean().default(false).openapi({ description: 'true: publish the journey at once; false: leave it a draft' }),
  })
  .strict()
  .openapi('JourneyTemplateInstall');

export const ZInstalledJourneyTemplate = z
  .object({
    key: z.string(),
    journeyId: z.uuid(),
    status: z.enum(['draft', 'active']),
    /** The email templates created (published), by the template’s email key. */
    templateIds: z.record(z.string(), z.uuid()),
    /** Custom contact fields created because the workspace lacked them. */
    createdFields: z.array(z.string()),
  })
  .openapi('InstalledJourneyTemplate');
export type InstalledJourneyTemplate = z.infer<typeof ZInstalledJourneyTemplate>;

/**
 * Installs a seed journey template in one transaction: its custom fields when missing, its email
 * templates (created and published), and the journey, a draft or (`publish: true`) published.
 * An option the template needs and did not get is an invalid_input naming `options.<name>`.
 * @example await installJourneyTemplate(db, ws, 'cart_abandonment', clock, { options: { couponCode: 'COMEBACK10' }, publish: true })
 */
export async function installJourneyTemplate(
  db: Kysely<DB>,
  workspaceId: string,
  key: string,
  clock: Clock,
  input: unknown,
  renderer: TemplateRenderer = createTemplateRenderer(),
): Promise<InstalledJourneyTemplate> {
  const template = getJourneyTemplate(key);
  const parsed = ZJourneyTemplateInstall.safeParse(input ?? {});
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const { publish } = parsed.data;
  const options = parseOptions(template.key, template.options, parsed.data.options);
  const emails = template.emails(options);
  return db.transaction().execute(async (tx) => {
    const { locale } = await tx.selectFrom('workspaces').select('locale').where('id', '=', workspaceId).executeTakeFirstOrThrow();
    const lang = locale === 'en' ? 'en' : 'ja';
    const existing = new Set((await listCustomFields(tx, workspaceId, 'contact')).map((f) => f.key));
    const createdFields: string[] = [];
    for (const field of template.fields ?? [])
      if (!existing.has(field.key)) {
        await defineCustomField(tx, workspaceId, field, clock);
        createdFields.push(field.key);
      }
    const templateIds: Record<string, string> = {};
    for (const [emailKey, spec] of Object.entries(emails)) {
      const created = await createTemplate(
        tx,
        workspaceId,
        { name: spec.name[lang], definition: emailTemplateDefinition(spec, lang) },
        { clock, renderer },
      );
      await publishTemplate(tx, workspaceId, created.id, { clock, renderer });
      templateIds[emailKey] = created.id;
    }
    const journey = await createJourney(
      tx,
      workspaceId,
      { name: template.name[lang], description: template.description[lang], definition: template.build(templateIds, options) },
      clock,
    );
    if (publish) await publishJourney(tx, workspaceId, journey.id, clock);
    return { key: template.key, journeyId: journey.id, status: publish ? 'active' : 'draft', templateIds, createdFields };
  });
}

/** The options checked by the template's schema; each problem (a missing option first of all) named as options.<name>. */
function parseOptions<S extends z.ZodObject>(key: string, schema: S, raw: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const about = (schema.shape[name] as z.ZodType | undefined)?.description;
    const missing = name !== '' && raw[name] === undefined && issue.code === 'invalid_type';
    return {
      path: ['options', ...issue.path].join('.'),
      message: missing ? `the ${key} template needs this option: ${about ?? name}` : issue.message,
    };
  });
  throw invalidInput(issues);
}

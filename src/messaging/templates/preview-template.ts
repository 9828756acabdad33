import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Company } from '../../companies/company-schema.ts';
import type { Contact } from '../../contacts/contact-schema.ts';
import type { Clock } from '../../platform/clock.ts';
import type { DB } from '../../platform/db/schema.ts';
import { KizunaError, notFound } from '../../platform/errors.ts';
import { parseInput } from '../../platform/parse-input.ts';
import type { MailTransport } from '../smtp/transport.ts';
import { lintTemplate } from './lint.ts';
import { chooseBlocks, loadRecipients, loadWorkspaceData } from './recipients.ts';
import type { TemplateRenderer } from './render.ts';
import { ZLocaleTag, ZTemplateWarning } from './template.ts';
import { loadPreparedTemplate } from './templates.ts';

export const ZPreviewInput = z
  .object({
    contactId: z.uuid().optional().openapi({ description: 'Render for this contact; without one, sample data is used' }),
    locale: ZLocaleTag.optional().openapi({ description: 'Force a locale; otherwise contact locale → workspace locale → default' }),
    version: z.number().int().min(1).optional().openapi({ description: 'A published version; the draft when absent' }),
  })
  .strict()
  .openapi('TemplatePreviewInput');

export const ZPreview = z
  .object({
    subject: z.string(),
    preheader: z.string().nullable(),
    html: z.string(),
    text: z.string(),
    locale: z.string(),
    version: z.number().int().nullable(),
    warnings: z.array(ZTemplateWarning),
  })
  .openapi('TemplatePreview');
export type Preview = z.infer<typeof ZPreview>;

const PREVIEW_URLS = {
  unsubscribeUrl: 'https://kizuna.invalid/preview/unsubscribe',
  preferencesUrl: 'https://kizuna.invalid/preview/preferences',
};

/** A template rendered as one contact would receive it (or with sample data), with its lint findings. Writes nothing. */
export async function previewTemplate(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  input: unknown,
  { clock, renderer }: { clock: Clock; renderer: TemplateRenderer },
): Promise<Preview> {
  const { contactId, locale, version } = parseInput(ZPreviewInput, input ?? {});
  const template = await loadPreparedTemplate(db, workspaceId, id, { renderer, version: version ?? 'draft' });
  const workspace = await loadWorkspaceData(db, workspaceId);
  const warnings = lintTemplate(template.definition, version ? 'definition' : 'draft');
  let recipient: { contact: Contact; company: Company | null };
  let blockChoice: Record<string, number> | undefined;
  if (contactId) {
    const found = (await loadRecipients(db, workspaceId, [contactId])).get(contactId);
    if (!found) throw notFound('contact', contactId);
    recipient = found;
    const choices = await chooseBlocks(db, template, {
      workspaceId,
      timeZone: workspace.timezone,
      contactIds: [contactId],
      now: clock.now(),
    });
    blockChoice = choices.get(contactId);
  } else {
    recipient = sampleRecipient(clock.now());
    if (template.blocks.length)
      warnings.push({
        code: 'sample_data',
        path: 'contactId',
        message: 'no contact given: sample data, and every block shows its fallback',
      });
    else warnings.push({ code: 'sample_data', path: 'contactId', message: 'no contact given: rendered with sample data' });
  }
  const message = renderer.render(template, { ...recipient, workspace, blockChoice, ...PREVIEW_URLS }, { locale });
  return { ...message, version: template.version, warnings };
}

function sampleRecipient(now: Date): { contact: Contact; company: Company } {
  const at = now.toISOString();
  const company: Company = {
    id: '00000000-0000-4000-8000-000000000002',
    name: '株式会社サンプル',
    domain: 'sample.example',
    industry: '製造業',
    employeeCount: 250,
    revenueBand: null,
    country: 'JP',
    custom: {},
    createdAt: at,
    updatedAt: at,
  };
  const contact: Contact = {
    id: '00000000-0000-4000-8000-000000000001',
    email: 'taro.yamada@sample.example',
    externalIds: {},
    firstName: '太郎',
    lastName: '山田',
    fullName: '山田 太郎',
    firstNameKana: 'タロウ',
    lastNameKana: 'ヤマダ',
    nameOrder: 'family_first',
    phone: null,
    jobTitle: '営業部長',
    roleLevel: 'manager',
    department: '営業部',
    industry: '製造業',
    companyId: company.id,
    companyName: company.name,
    employeeCount: company.employeeCount,
    country: 'JP',
    region: null,
    timezone: 'Asia/Tokyo',
    locale: null,
    owner: null,
    tags: [],
    lifecycleStage: null,
    firstTouch: null,
    lastTouch: null,
    firstSeenAt: null,
    lastSeenAt: null,
    custom: {},
    traits: {},
    createdAt: at,
    updatedAt: at,
  };
  return { contact, company };
}

export const ZTestSendInput = ZPreviewInput.extend({
  to: z
    .array(z.email({ error: 'expected an email address' }))
    .min(1)
    .max(10)
    .openapi({ description: 'Where to send the test (your team, seed accounts); up to 10 addresses.' }),
})
  .strict()
  .openapi('TemplateTestSendInput');

export const ZTestSendResult = z
  .object({
    subject: z.string(),
    sent: z.array(z.object({ to: z.string(), messageId: z.string(), accepted: z.boolean(), response: z.string() })),
    warnings: z.array(ZTemplateWarning),
  })
  .openapi('TemplateTestSendResult');

/**
 * Sends the preview (draft or a version, for a contact or sample data) to the given addresses now,
 * subject prefixed "[TEST]". It bypasses the queue and the send policy on purpose — the
 * addresses are the team's, not contacts — and its links point to the preview placeholders, so a
 * test can never unsubscribe or count as engagement.
 */
export async function testSendTemplate(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  input: unknown,
  { clock, renderer, mailer }: { clock: Clock; renderer: TemplateRenderer; mailer: MailTransport | undefined },
): Promise<z.infer<typeof ZTestSendResult>> {
  const { to, ...preview } = parseInput(ZTestSendInput, input ?? {});
  if (!mailer)
    throw new KizunaError(
      'conflict',
      'this process sends no mail (kizuna serve in sink mode): send the test from kizuna start or with KIZUNA_MAIL_MODE=smtp',
    );
  const message = await previewTemplate(db, workspaceId, id, preview, { clock, renderer });
  const subject = `[TEST] ${message.subject}`;
  const sent = [];
  for (const address of to) {
    const result = await mailer.sendMail({
      workspaceId,
      to: address,
      subject,
      html: message.html,
      text: message.text,
      headers: { 'X-Kizuna-Test': 'yes' },
    });
    sent.push({ to: address, messageId: result.messageId, accepted: result.accepted.length > 0, response: result.response });
  }
  return { subject, sent, warnings: message.warnings };
}

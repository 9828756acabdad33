import { z } from '@hono/zod-openapi';

/** Contact fields a form can ask for (custom fields are `custom.<key>`). */
export const FORM_CONTACT_FIELDS = [
  'email',
  'firstName',
  'lastName',
  'firstNameKana',
  'lastNameKana',
  'phone',
  'jobTitle',
  'department',
  'industry',
  'companyName',
  'employeeCount',
  'country',
  'region',
] as const;

const ZFieldKey = z
  .string()
  .refine(
    (key) => (FORM_CONTACT_FIELDS as readonly string[]).includes(key) || /^custom\.[a-z][a-z0-9_]{0,62}$/.test(key),
    `expected a contact field (${FORM_CONTACT_FIELDS.join(', ')}) or custom.<key>`,
  );

export const ZFormField = z.object({
  key: ZFieldKey.openapi({ example: 'companyName' }),
  label: z.string().trim().min(1).max(200).openapi({ example: '会社名' }),
  type: z.enum(['text', 'email', 'tel', 'number', 'textarea', 'select', 'hidden']).default('text'),
  required: z.boolean().default(false),
  options: z.array(z.string().min(1).max(200)).max(200).optional(),
  /** hidden fields: the value sent (e.g. a campaign code). */
  value: z.string().max(500).optional(),
});
export type FormField = z.infer<typeof ZFormField>;

export const ZFormDefinition = z
  .object({
    name: z.string().trim().min(1).max(200).openapi({ example: '資料ダウンロード' }),
    fields: z.array(ZFormField).min(1).max(50),
    consent: z
      .object({
        purpose: z.string().trim().min(1).max(100).default('marketing_email'),
        wording: z.string().trim().min(1).max(2000).openapi({ example: '製品情報のご案内メールを受け取ることに同意します' }),
        required: z.boolean().default(false),
      })
      .optional(),
    submitLabel: z.string().trim().min(1).max(100).default('Submit'),
    successMessage: z.string().trim().min(1).max(2000).default('Thank you!'),
    redirectUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Progressive profiling: show at most this many fields, skipping what the visitor already told us. */
    progressiveMaxFields: z.number().int().min(1).max(50).optional(),
  })
  .superRefine((form, ctx) => {
    const keys = form.fields.map((f) => f.key);
    if (!keys.includes('email'))
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'a form needs an email field to know who submitted it' });
    keys.forEach((key, i) => {
      if (keys.indexOf(key) !== i) ctx.addIssue({ code: 'custom', path: ['fields', i, 'key'], message: `field ${key} appears twice` });
    });
    form.fields.forEach((field, i) => {
      if (field.type === 'select' && !field.options?.length)
        ctx.addIssue({ code: 'custom', path: ['fields', i, 'options'], message: 'a select field needs options' });
      if (field.type === 'hidden' && field.value === undefined)
        ctx.addIssue({ code: 'custom', path: ['fields', i, 'value'], message: 'a hidden field needs a value' });
    });
  })
  .openapi('FormDefinition');
export type FormDefinition = z.infer<typeof ZFormDefinition>;

export const ZForm = z
  .object({ id: z.uuid(), definition: ZFormDefinition, hostedUrl: z.string(), createdAt: z.string(), updatedAt: z.string() })
  .openapi('Form');
export type Form = z.infer<typeof ZForm>;

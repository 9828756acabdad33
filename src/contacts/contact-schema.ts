import { z } from '@hono/zod-openapi';
import type { ContactRow } from '../platform/db/schema.ts';
import { ROLE_LEVELS } from './cleansing/infer-role-level.ts';

/** Text without control characters (tab and line breaks allowed): PostgreSQL cannot store a NUL. */
export const ZPlainText = z.string().refine((value) => !hasControlCharacter(value), 'must not contain control characters');
const text = (max = 500) => ZPlainText.max(max).nullable().optional();
const MAX_INT = 2_147_483_647;

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

/** What a client may send for a contact (create, upsert, patch). Null clears a field on PATCH. */
export const ZContactInput = z
  .object({
    email: z.string().max(320).nullable().optional().openapi({ example: 'taro.yamada@example.co.jp' }),
    externalIds: z
      .record(z.string().regex(/^[a-z0-9_.-]{1,64}$/, 'expected a source name of a-z, 0-9, _ . -'), ZPlainText.min(1).max(200))
      .optional()
      .openapi({ example: { crm: '0031x000' } }),
    firstName: text(200),
    lastName: text(200),
    firstNameKana: text(200),
    lastNameKana: text(200),
    nameOrder: z.enum(['given_first', 'family_first']).optional(),
    phone: text(50).openapi({ example: '03-1234-5678' }),
    jobTitle: text(200),
    roleLevel: z.enum(ROLE_LEVELS).nullable().optional(),
    department: text(200),
    industry: text(200),
    companyId: z.uuid().nullable().optional(),
    companyName: text(300),
    employeeCount: z.number().int().min(0).max(MAX_INT).nullable().optional(),
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166 two-letter country code such as JP')
      .nullable()
      .optional(),
    region: text(200),
    timezone: text(64),
    locale: text(35),
    owner: text(320),
    tags: z.array(ZPlainText.trim().min(1).max(100)).max(200).optional(),
    lifecycleStage: text(64),
    firstTouch: z.record(z.string(), z.unknown()).nullable().optional(),
    lastTouch: z.record(z.string(), z.unknown()).nullable().optional(),
    firstSeenAt: z.iso.datetime({ offset: true }).nullable().optional(),
    lastSeenAt: z.iso.datetime({ offset: true }).nullable().optional(),
    custom: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ example: { budget_band: 'over_10m' } }),
  })
  .strict()
  .openapi('ContactInput');
export type ContactInput = z.infer<typeof ZContactInput>;

export const ZContact = z
  .object({
    id: z.uuid(),
    email: z.string().nullable(),
    externalIds: z.record(z.string(), z.string()),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    /** Display name in the order the culture uses: 山田 太郎, John Smith. */
    fullName: z.string().nullable(),
    firstNameKana: z.string().nullable(),
    lastNameKana: z.string().nullable(),
    nameOrder: z.enum(['given_first', 'family_first']),
    phone: z.string().nullable(),
    jobTitle: z.string().nullable(),
    roleLevel: z.string().nullable(),
    department: z.string().nullable(),
    industry: z.string().nullable(),
    companyId: z.string().nullable(),
    companyName: z.string().nullable(),
    employeeCount: z.number().nullable(),
    country: z.string().nullable(),
    region: z.string().nullable(),
    timezone: z.string().nullable(),
    locale: z.string().nullable(),
    owner: z.string().nullable(),
    tags: z.array(z.string()),
    lifecycleStage: z.string().nullable(),
    firstTouch: z.record(z.string(), z.unknown()).nullable(),
    lastTouch: z.record(z.string(), z.unknown()).nullable(),
    firstSeenAt: z.string().nullable(),
    lastSeenAt: z.string().nullable(),
    custom: z.record(z.string(), z.unknown()),
    traits: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'Traits sent by tracking clients that are neither contact fields nor declared custom fields.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Contact');
export type Contact = z.infer<typeof ZContact>;

/** The display name: family name first for Japanese names, given name first otherwise. */
export function fullNameOf(row: Pick<ContactRow, 'first_name' | 'last_name' | 'name_order'>): string | null {
  const parts = row.name_order === 'family_first' ? [row.last_name, row.first_name] : [row.first_name, row.last_name];
  const name = parts.filter(Boolean).join(' ');
  return name || null;
}

export function toContact(row: ContactRow, externalIds: Record<string, string> = {}): Contact {
  return {
    id: row.id,
    email: row.email,
    externalIds,
    firstName: row.first_name,
    lastName: row.last_name,
    fullName: fullNameOf(row),
    firstNameKana: row.first_name_kana,
    lastNameKana: row.last_name_kana,
    nameOrder: row.name_order,
    phone: row.phone,
    jobTitle: row.job_title,
    roleLevel: row.role_level,
    department: row.department,
    industry: row.industry,
    companyId: row.company_id,
    companyName: row.company_name,
    employeeCount: row.employee_count,
    country: row.country,
    region: row.region,
    timezone: row.timezone,
    locale: row.locale,
    owner: row.owner,
    tags: row.tags,
    lifecycleStage: row.lifecycle_stage,
    firstTouch: row.first_touch,
    lastTouch: row.last_touch,
    firstSeenAt: row.first_seen_at?.toISOString() ?? null,
    lastSeenAt: row.last_seen_at?.toISOString() ?? null,
    custom: row.custom,
    traits: row.traits,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

import { z } from '@hono/zod-openapi';
import type { CompanyRow } from '../platform/db/schema.ts';

export const ZCompanyInput = z
  .object({
    name: z.string().trim().min(1).max(300).openapi({ example: '株式会社サンプル' }),
    domain: z.string().max(253).nullable().optional().openapi({ example: 'sample.co.jp' }),
    industry: z.string().max(200).nullable().optional(),
    employeeCount: z.number().int().min(0).max(2_147_483_647).nullable().optional(),
    revenueBand: z.string().max(100).nullable().optional().openapi({ example: '1B-10B JPY' }),
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166 two-letter country code such as JP')
      .nullable()
      .optional(),
    custom: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .openapi('CompanyInput');
export type CompanyInput = z.infer<typeof ZCompanyInput>;

export const ZCompanyPatch = ZCompanyInput.partial().strict().openapi('CompanyPatch');
export type CompanyPatch = z.infer<typeof ZCompanyPatch>;

export const ZCompany = z
  .object({
    id: z.uuid(),
    name: z.string(),
    domain: z.string().nullable(),
    industry: z.string().nullable(),
    employeeCount: z.number().nullable(),
    revenueBand: z.string().nullable(),
    country: z.string().nullable(),
    custom: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Company');
export type Company = z.infer<typeof ZCompany>;

export function toCompany(row: CompanyRow): Company {
  return {
    id: row.id,
    name: row.name,
    domain: row.domain,
    industry: row.industry,
    employeeCount: row.employee_count,
    revenueBand: row.revenue_band,
    country: row.country,
    custom: row.custom,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { invalidInput, KizunaError, notFound } from '../../platform/errors.ts';
import { newestFirst, type Page } from '../../platform/pagination.ts';
import { parseInput } from '../../platform/parse-input.ts';
import { type ComplianceDeps, complianceUnitOfWork } from '../compliance/compliance-event.ts';
import { recordSmsEvent } from './sms-event.ts';
import { smsWorkspace, toE164 } from './sms-workspace.ts';

export const SMS_OPT_OUT_SOURCES = ['inbound', 'api', 'provider'] as const;
export type SmsOptOutSource = (typeof SMS_OPT_OUT_SOURCES)[number];

/** The sms_opt_outs table (migration 0016). */

export const ZSmsOptOut = z
  .object({
    id: z.uuid(),
    phone: z.string().openapi({ example: '+819012345678' }),
    source: z.enum(SMS_OPT_OUT_SOURCES),
    keyword: z.string().nullable(),
    messageSid: z.string().nullable(),
    detail: z.string().nullable(),
    createdAt: z.string(),
    liftedAt: z.string().nullable(),
    liftedBy: z.string().nullable(),
  })
  .openapi('SmsOptOut');
export type SmsOptOut = z.infer<typeof ZSmsOptOut>;

export const ZSmsOptOutInput = z
  .object({
    phone: z
      .string({ error: 'expected a phone number' })
      .trim()
      .min(1, 'expected a phone number')
      .max(50)
      .openapi({ description: 'E.164, or written nationally for the workspace’s region (090-1234-5678).' }),
    detail: z.string().trim().max(1000).optional().openapi({ description: 'Why, for the record (a call, a ticket).' }),
  })
  .strict()
  .openapi('SmsOptOutInput');

export const ZSmsOptOutQuery = z.object({
  phone: z.string().optional().openapi({ description: 'Only this number (E.164 or national).' }),
  active: z.enum(['true', 'false']).optional().openapi({ description: 'true: only not lifted; false: only lifted.' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});

export interface OptOutOptions {
  workspaceId: string;
  /** E.164. */
  phone: string;
  source: SmsOptOutSource;
  keyword?: string | null;
  messageSid?: string | null;
  detail?: string | null;
}

/**
 * Opts a number out of every SMS of the workspace (a no-op returning the active row when there is
 * one) and writes `SMS Opted Out` on the contacts with that number, in the caller's unit of work.
 */
export async function optOutIn(tx: Kysely<DB>, options: OptOutOptions, now: Date): Promise<{ optOut: SmsOptOut; isNew: boolean }> {
  const { workspaceId, phone, source } = options;
  // A STOP racing a START can find the active row gone between the insert and the read: insert again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await tx
      .insertInto('sms_opt_outs')
      .values({
        id: randomUUID(),
        workspace_id: workspaceId,
        phone,
        source,
        keyword: options.keyword ?? null,
        message_sid: options.messageSid ?? null,
        detail: options.detail ?? null,
        created_at: now,
        lifted_at: null,
        lifted_by: null,
      })
      // One active row per number (partial unique index): a repeated STOP changes nothing.
      .onConflict((oc) => oc.columns(['workspace_id', 'phone']).where('lifted_at', 'is', null).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) {
      await recordSmsEvent(tx, {
        workspaceId,
        phone,
        name: 'SMS Opted Out',
        properties: { source, ...(options.keyword ? { keyword: options.keyword } : {}) },
        at: now,
      });
      return { optOut: toSmsOptOut(inserted), isNew: true };
    }
    const active = await activeOptOut(tx, workspaceId, phone);
    if (active) return { optOut: active, isNew: false };
  }
  throw new KizunaError('conflict', `the SMS opt-out of ${phone} changed while it was written; retry`);
}

/**
 * Lifts the number's active opt-out and writes `SMS Opted In` on its contacts when there was one.
 * @returns the lifted row, or undefined when the number was not opted out.
 */
export async function liftOptOutIn(
  tx: Kysely<DB>,
  { workspaceId, phone, by, keyword }: { workspaceId: string; phone: string; by: string; keyword?: string },
  now: Date,
): Promise<SmsOptOut | undefined> {
  const lifted = await tx
    .updateTable('sms_opt_outs')
    .set({ lifted_at: now, lifted_by: by })
    .where('workspace_id', '=', workspaceId)
    .where('phone', '=', phone)
    .where('lifted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!lifted) return undefined;
  await recordSmsEvent(tx, {
    workspaceId,
    phone,
    name: 'SMS Opted In',
    properties: { by, ...(keyword ? { keyword } : {}) },
    at: now,
  });
  return toSmsOptOut(lifted);
}

/** Opts a number out from the admin API; an active opt-out is returned as is. */
export async function createSmsOptOut(db: Kysely<DB>, workspaceId: string, input: unknown, deps: ComplianceDeps): Promise<SmsOptOut> {
  const parsed = parseInput(ZSmsOptOutInput, input);
  const phone = await phoneOf(db, workspaceId, parsed.phone, 'phone');
  return complianceUnitOfWork(db, deps, async (tx, now) => {
    const { optOut } = await optOutIn(tx, { workspaceId, phone, source: 'api', detail: parsed.detail }, now);
    return optOut;
  });
}

/** Lifts a number's opt-out from the admin API (the row stays, with liftedAt). */
export async function deleteSmsOptOut(
  db: Kysely<DB>,
  { workspaceId, phone: raw, by }: { workspaceId: string; phone: string; by: string },
  deps: ComplianceDeps,
): Promise<SmsOptOut> {
  const phone = await phoneOf(db, workspaceId, raw, 'path.phone');
  return complianceUnitOfWork(db, deps, async (tx, now) => {
    const lifted = await liftOptOutIn(tx, { workspaceId, phone, by }, now);
    if (!lifted) throw notFound('active SMS opt-out of', phone);
    return lifted;
  });
}

/** Opt-outs newest first, by number and whether lifted. */
export async function listSmsOptOuts(db: Kysely<DB>, workspaceId: string, query: unknown): Promise<Page<SmsOptOut>> {
  const q = parseInput(ZSmsOptOutQuery, query);
  let select = db.selectFrom('sms_opt_outs').selectAll().where('workspace_id', '=', workspaceId);
  if (q.phone) select = select.where('phone', '=', await phoneOf(db, workspaceId, q.phone, 'phone'));
  if (q.active) select = select.where('lifted_at', q.active === 'true' ? 'is' : 'is not', null);
  return newestFirst(select, q, toSmsOptOut);
}

async function activeOptOut(db: Kysely<DB>, workspaceId: string, phone: string): Promise<SmsOptOut | undefined> {
  const row = await db
    .selectFrom('sms_opt_outs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('phone', '=', phone)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
  return row && toSmsOptOut(row);
}

/** The caller's number as E.164 in the workspace's region, or invalid_input naming the field. */
async function phoneOf(db: Kysely<DB>, workspaceId: string, raw: string, path: string): Promise<string> {
  const { defaultRegion } = await smsWorkspace(db, workspaceId);
  const phone = toE164(raw, defaultRegion);
  if (!phone)
    throw invalidInput([
      { path, message: `"${raw}" is not a valid phone number for region ${defaultRegion}: expected e.g. +819012345678` },
    ]);
  return phone;
}

function toSmsOptOut(row: Selectable<DB['sms_opt_outs']>): SmsOptOut {
  return {
    id: row.id,
    phone: row.phone,
    source: row.source,
    keyword: row.keyword,
    messageSid: row.message_sid,
    detail: row.detail,
    createdAt: row.created_at.toISOString(),
    liftedAt: row.lifted_at?.toISOString() ?? null,
    liftedBy: row.lifted_by,
  };
}

import { type Kysely, sql } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import type { SendKind } from '../compliance/suppression.ts';
import { smsWorkspace, toE164 } from './sms-workspace.ts';

/** Why a text may not go to a recipient. */
export type SmsBlockReason = 'no_phone' | 'invalid_phone' | 'sms_opt_out';

export interface SmsRecipient {
  contactId: string;
  /** The contact's phone as stored (E.164 on write, but an import may keep a number as written). */
  phone: string | null;
}

export type SmsDecision = { contactId: string; allowed: true; to: string } | { contactId: string; allowed: false; reason: SmsBlockReason };

// STOP stops everything from the sender, transactional texts included: carrier rules (CTIA in the
// US) require it and Twilio-style providers enforce it themselves (error 21610), unlike an email
// unsubscribe, which leaves receipts and password resets alone.
const OPT_OUT_BLOCKS: Readonly<Record<SendKind, boolean>> = { marketing: true, transactional: true };

/**
 * The send-time SMS policy for a batch: each recipient's number as E.164 (read in the workspace's
 * region) and whether it may be texted, with the opt-outs of the whole batch read in one query.
 * @example const [d] = await smsPolicy(tx, ws, [{ contactId, phone: '090-1234-5678' }], { kind: 'transactional' })
 */
export async function smsPolicy(
  tx: Kysely<DB>,
  workspaceId: string,
  recipients: readonly SmsRecipient[],
  { kind, defaultRegion }: { kind: SendKind /** Saves reading the workspace when the caller has it. */; defaultRegion?: string },
): Promise<SmsDecision[]> {
  if (recipients.length === 0) return [];
  const region = defaultRegion ?? (await smsWorkspace(tx, workspaceId)).defaultRegion;
  const numbers = recipients.map((r) => toE164(r.phone, region));
  const wanted = [...new Set(numbers.filter((n): n is string => n !== null))];
  const optedOut = new Set(
    wanted.length === 0
      ? []
      : (
          await tx
            .selectFrom('sms_opt_outs')
            .select('phone')
            .where('workspace_id', '=', workspaceId)
            .where('lifted_at', 'is', null)
            .where('phone', '=', sql<string>`ANY(${wanted}::text[])`)
            .execute()
        ).map((row) => row.phone),
  );
  return recipients.map(({ contactId, phone }, i): SmsDecision => {
    const to = numbers[i];
    if (!phone?.trim()) return { contactId, allowed: false, reason: 'no_phone' };
    if (!to) return { contactId, allowed: false, reason: 'invalid_phone' };
    if (optedOut.has(to) && OPT_OUT_BLOCKS[kind]) return { contactId, allowed: false, reason: 'sms_opt_out' };
    return { contactId, allowed: true, to };
  });
}

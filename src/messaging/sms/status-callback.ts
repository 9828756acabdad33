import { type Kysely, sql } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { invalidInput } from '../../platform/errors.ts';
import { type ComplianceDeps, complianceUnitOfWork } from '../compliance/compliance-event.ts';
import { optOutIn } from './opt-out.ts';
import { PROVIDER_OPT_OUT_CODE } from './provider.ts';
import type { FormParams } from './signature.ts';
import { smsWorkspace, toE164 } from './sms-workspace.ts';
import { formParam, requiredParam } from './webhook-params.ts';

/** The public URLs to give the provider for a workspace (the inbound one goes into its console). */
export function smsWebhookUrls(publicUrl: string, workspaceId: string): { inbound: string; status: string } {
  const base = `${publicUrl.replace(/\/+$/, '')}/sms/${encodeURIComponent(workspaceId)}`;
  return { inbound: `${base}/inbound`, status: `${base}/status` };
}

/**
 * The StatusCallback of one delivery: the status URL naming the delivery, so a callback that
 * arrives before the pipeline has stored the message sid still finds its row. The provider signs
 * the query with the rest, so the name cannot be changed by anyone else.
 */
export function statusCallbackUrl(statusCallbackBase: string, deliveryId: string): string {
  return `${statusCallbackBase}${statusCallbackBase.includes('?') ? '&' : '?'}delivery=${encodeURIComponent(deliveryId)}`;
}

// Only final answers change a delivery; queued/sending/sent/accepted are steps on the way.
const FINAL = new Set(['delivered', 'undelivered', 'failed']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// The delivery errors people meet most; any other code is reported by number.
const ERROR_TEXT: Readonly<Record<string, string>> = {
  '21610': 'the recipient has opted out (replied STOP)',
  '30003': 'unreachable handset (off, or out of coverage)',
  '30004': 'message blocked by the recipient or their carrier',
  '30005': 'unknown number (it does not exist or is no longer in service)',
  '30006': 'landline or a carrier that cannot receive SMS',
  '30007': 'filtered by the carrier as spam',
  '30008': 'unknown delivery error',
};

export interface StatusResult {
  /** The delivery updated, or null when none matched or the status changes nothing. */
  deliveryId: string | null;
  status: string;
}

/**
 * Applies a provider status callback (verified parameters MessageSid, MessageStatus, ErrorCode,
 * To) to the SMS delivery holding that sid in message_id, or named by the callback URL's
 * `delivery`. failed and undelivered make it failed with the error; delivered keeps it sent and
 * notes the answer in provider_response. A callback for a row already final, or for a message we
 * did not send, changes nothing. An undelivered 21610 also opts the number out, as a STOP would.
 */
export async function handleSmsStatus(
  db: Kysely<DB>,
  { workspaceId, params, deliveryId }: { workspaceId: string; params: FormParams; deliveryId?: string },
  deps: ComplianceDeps,
): Promise<StatusResult> {
  const sid = requiredParam(params, 'MessageSid', 'the provider’s message id (SM…)');
  const status = requiredParam(params, 'MessageStatus', 'the message status, e.g. delivered').toLowerCase();
  const code = formParam(params, 'ErrorCode')?.trim() || null;
  if (code !== null && !/^\d{1,10}$/.test(code)) throw invalidInput([{ path: 'ErrorCode', message: `expected a number, got "${code}"` }]);
  if (deliveryId !== undefined && !UUID.test(deliveryId))
    throw invalidInput([{ path: 'delivery', message: 'expected the delivery id this callback URL was made for' }]);
  if (!FINAL.has(status)) return { deliveryId: null, status };
  const workspace = await smsWorkspace(db, workspaceId);
  return complianceUnitOfWork(db, deps, async (tx, now) => {
    const isFailure = status !== 'delivered';
    const updated = await tx
      .updateTable('deliveries')
      .set({
        ...(isFailure ? { status: 'failed' as const, error: `${status}: ${describe(code)}` } : {}),
        provider_response: `${status} ${sid}${code ? ` (error ${code})` : ''}`,
        message_id: sql<string>`coalesce(message_id, ${sid})`,
      })
      .where('workspace_id', '=', workspaceId)
      .where('channel', '=', 'sms')
      .where('status', 'in', ['sending', 'sent'])
      .where((eb) =>
        eb.or([eb('message_id', '=', sid), ...(deliveryId ? [eb.and([eb('id', '=', deliveryId), eb('message_id', 'is', null)])] : [])]),
      )
      .returning('id')
      .executeTakeFirst();
    const to = toE164(formParam(params, 'To'), workspace.defaultRegion);
    if (code === String(PROVIDER_OPT_OUT_CODE) && to)
      await optOutIn(tx, { workspaceId, phone: to, source: 'provider', messageSid: sid, detail: `status callback: ${status}` }, now);
    return { deliveryId: updated?.id ?? null, status };
  });
}

function describe(code: string | null): string {
  if (code === null) return 'the provider gave no error code';
  return `${code} ${ERROR_TEXT[code] ?? 'provider error'}`;
}

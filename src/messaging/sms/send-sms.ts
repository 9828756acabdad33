import type { Kysely } from 'kysely';
import { createPartitionCache, type PartitionCache } from '../../events/event-partitions.ts';
import type { DB } from '../../platform/db/schema.ts';
import { complianceUnitOfWork } from '../compliance/compliance-event.ts';
import type { SendKind } from '../compliance/suppression.ts';
import { optOutIn } from './opt-out.ts';
import { PROVIDER_OPT_OUT_CODE, type SmsProvider, SmsSendError } from './provider.ts';
import { smsSegments } from './segments.ts';
import { type SmsBlockReason, type SmsDecision, smsPolicy } from './sms-policy.ts';
import { smsWorkspace } from './sms-workspace.ts';
import { statusCallbackUrl } from './status-callback.ts';

/** One claimed SMS delivery: the row's id, its contact, its kind and the rendered text. */
export interface SmsItem {
  deliveryId: string;
  contactId: string | null;
  kind: SendKind;
  body: string;
}

/** What became of one item; the pipeline writes it to the delivery row. */
export type SmsOutcome =
  | { deliveryId: string; outcome: 'sent'; to: string; sid: string; providerStatus: string; segments: number }
  | { deliveryId: string; outcome: 'skipped'; reason: SmsBlockReason }
  | { deliveryId: string; outcome: 'failed'; error: string; to?: string }
  /** maybeSent: no answer came after the request may have reached the provider (see SmsSendError). */
  | { deliveryId: string; outcome: 'retry'; error: string; to?: string; maybeSent: boolean };

export interface SendSmsBatchOptions {
  db: Kysely<DB>;
  /** Undefined when SMS is not configured: every item that would be sent fails saying so. */
  provider: SmsProvider | undefined;
  workspaceId: string;
  items: readonly SmsItem[];
  /** The workspace's status URL (smsWebhookUrls(publicUrl, ws).status); each send adds its delivery id. Omit for no callbacks. */
  statusCallbackBase?: string;
  now: Date;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Longer texts fail instead of costing this many segments and more. */
  maxSegments?: number;
  partitions?: PartitionCache;
}

/**
 * Sends a claimed batch of SMS deliveries of one workspace: the SMS policy for the whole batch
 * first (no number, invalid number, opted out: skipped), then one provider request per allowed
 * item, a few at a time. It never throws once a request has been made, since a throw would lose
 * the outcomes of texts already sent and a rerun would send them twice: every failure is an outcome.
 * The only write is an opt-out when the provider says the recipient opted out with it (21610).
 * @example const outcomes = await sendSmsBatch({ db, provider, workspaceId, items, statusCallbackBase: smsWebhookUrls(publicUrl, workspaceId).status, now })
 */
export async function sendSmsBatch({
  db,
  provider,
  workspaceId,
  items,
  statusCallbackBase,
  now,
  concurrency = 4,
  maxSegments = 10,
  partitions = createPartitionCache(),
}: SendSmsBatchOptions): Promise<SmsOutcome[]> {
  if (items.length === 0) return [];
  const decisions = await decide(db, workspaceId, items);
  const recordProviderOptOut = (phone: string) =>
    complianceUnitOfWork(db, { clock: { now: () => now }, partitions }, (tx, at) =>
      optOutIn(tx, { workspaceId, phone, source: 'provider', detail: 'the provider refused a send: the recipient opted out' }, at),
    );
  return mapWithLimit(items, concurrency, async (item, i): Promise<SmsOutcome> => {
    const { deliveryId } = item;
    const decision = decisions[i]!;
    if (!decision.allowed) return { deliveryId, outcome: 'skipped', reason: decision.reason };
    const { to } = decision;
    const problem = bodyProblem(item.body, maxSegments);
    if (problem) return { deliveryId, outcome: 'failed', error: problem, to };
    if (!provider)
      return {
        deliveryId,
        outcome: 'failed',
        error: 'SMS is not configured: set KIZUNA_SMS_BASE_URL and the other KIZUNA_SMS_* settings',
        to,
      };
    const statusCallback = statusCallbackBase ? statusCallbackUrl(statusCallbackBase, deliveryId) : undefined;
    try {
      const sent = await provider.send({ to, body: item.body, statusCallback });
      return { deliveryId, outcome: 'sent', to, sid: sent.sid, providerStatus: sent.status, segments: smsSegments(item.body).segments };
    } catch (error) {
      if (!(error instanceof SmsSendError))
        return { deliveryId, outcome: 'retry', error: `sending failed: ${(error as Error).message}`, to, maybeSent: true };
      if (error.code === PROVIDER_OPT_OUT_CODE) {
        // The provider keeps its own STOP list (a STOP texted before we had this number, or to
        // another of our senders): take it over so we stop asking.
        const opted = await recordProviderOptOut(to).then(
          () => true,
          () => false,
        );
        if (opted) return { deliveryId, outcome: 'skipped', reason: 'sms_opt_out' };
      }
      if (error.permanent) return { deliveryId, outcome: 'failed', error: error.message, to };
      return { deliveryId, outcome: 'retry', error: error.message, to, maybeSent: error.maybeSent };
    }
  });
}

/** The policy decision per item, in item order: one contact read and one opt-out read per kind. */
async function decide(db: Kysely<DB>, workspaceId: string, items: readonly SmsItem[]): Promise<SmsDecision[]> {
  const { defaultRegion } = await smsWorkspace(db, workspaceId);
  const ids = [...new Set(items.map((item) => item.contactId).filter((id): id is string => id !== null))];
  const phones = new Map(
    ids.length === 0
      ? []
      : (
          await db.selectFrom('contacts').select(['id', 'phone']).where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute()
        ).map((row) => [row.id, row.phone]),
  );
  const decisions: SmsDecision[] = new Array(items.length);
  for (const kind of ['marketing', 'transactional'] as const) {
    const indexes = items.flatMap((item, i) => (item.kind === kind ? [i] : []));
    // A deleted contact (contact_id set null) has no number left to text.
    const recipients = indexes.map((i) => ({ contactId: items[i]!.contactId ?? '', phone: phones.get(items[i]!.contactId ?? '') ?? null }));
    const decided = await smsPolicy(db, workspaceId, recipients, { kind, defaultRegion });
    indexes.forEach((index, j) => {
      decisions[index] = decided[j]!;
    });
  }
  return decisions;
}

function bodyProblem(body: string, maxSegments: number): string | undefined {
  if (!body.trim()) return 'the message text is empty';
  const { encoding, segments } = smsSegments(body);
  if (segments > maxSegments)
    return `the message is ${segments} segments long (${encoding}); at most ${maxSegments} are sent: shorten the text`;
  return undefined;
}

/** Runs `work` over the items with at most `limit` at once; results in item order. */
async function mapWithLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

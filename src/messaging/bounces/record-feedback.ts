import { type Kysely, sql } from 'kysely';
import type { DB, DeliveryStatus } from '../../platform/db/schema.ts';
import { KizunaError } from '../../platform/errors.ts';
import { type ComplianceDeps, complianceUnitOfWork, recordComplianceEvent } from '../compliance/compliance-event.ts';
import { suppressIn } from '../compliance/suppression.ts';
import { getSendingSettings } from '../deliveries/sending-settings.ts';
import type { BounceCategory, BounceClass } from './classify.ts';
import { isUuid } from './verp.ts';

/** Which delivery a report is about. */
export interface DeliveryRef {
  /** From the VERP return path (verified) or the returned X-Kizuna-Delivery header; tried first. */
  deliveryId?: string | null;
  /** The returned Message-ID, tried when there is no id or it matches nothing. */
  messageId?: string | null;
  /** The address the report names: suppressed when the delivery recorded none. */
  recipient?: string | null;
}

export interface BounceInput extends DeliveryRef {
  bounce: BounceClass;
  /** `dsn`: an inbound report; `smtp`: a refusal while sending. Recorded as the suppression's source. */
  source?: 'dsn' | 'smtp';
  /** Soft bounces of one address within the window that suppress it like a hard bounce; default: the workspace's sending settings. */
  softBounceLimit?: number;
  softBounceWindowDays?: number;
}

export interface ComplaintInput extends DeliveryRef {
  /** The ARF Feedback-Type, lower-cased. */
  feedbackType: string;
  userAgent?: string | null;
}

/** What a report changed: `recorded` once per delivery; the same report again is a `duplicate`. */
export interface FeedbackOutcome {
  result: 'recorded' | 'duplicate' | 'ignored' | 'unmatched';
  deliveryId: string | null;
  workspaceId: string | null;
  /** recorded: hard_bounce, soft_bounce or complaint; otherwise why nothing was recorded. */
  reason: string;
  /** Whether the address is suppressed after this report; false whenever nothing was recorded. */
  suppressed: boolean;
}

/** The feedback types that are a person's complaint (RFC 5965 §7.3); not-spam and auth-failure are not. */
export const COMPLAINT_TYPES: ReadonlySet<string> = new Set(['abuse', 'fraud', 'virus']);

// Soft bounces that say something about our message, reputation or volume rather than about the
// mailbox: a blocklisting or a content filter refuses every recipient of a provider at once, and
// counting those would suppress a whole provider's audience after three campaigns.
const NOT_ABOUT_THE_ADDRESS: readonly BounceCategory[] = ['policy', 'message_too_large', 'rate_limited'];
// Never handed to a mail server: a report about them is stale or forged.
const NOT_SENT: ReadonlySet<DeliveryStatus> = new Set(['queued', 'deferred', 'skipped']);
const DAY_MS = 86_400_000;

/**
 * Records a bounce in one unit of work: the delivery's status (`bounced` for hard, `soft_bounced`
 * for soft), an `Email Bounced` event, and the suppression of the address on a hard bounce or
 * when it reaches `softBounceLimit` soft bounces within `softBounceWindowDays` (counted since the
 * last lift of its bounce suppression). Idempotent: a repeated report changes nothing.
 * @example await recordBounce(db, deps, { deliveryId, bounce: classifyBounce({ status: '5.1.1' }) })
 */
export async function recordBounce(db: Kysely<DB>, deps: ComplianceDeps, input: BounceInput): Promise<FeedbackOutcome> {
  const { bounce, source = 'dsn' } = input;
  return complianceUnitOfWork(db, deps, async (tx, now) => {
    const found = await lockDelivery(tx, input);
    if (!found) return unmatched(input);
    const { delivery: d, email } = found;
    const stop = notRecordable(d);
    if (stop) return stop;
    if (d.complained_at) return outcome(d, 'ignored', 'already_complained', false);
    // reason holds the category once recorded here; the pipeline's own 'bounced' (a refusal at
    // RCPT) has none and is classified now, possibly down to soft (552 5.2.2 at RCPT).
    const isRecordedHard = d.status === 'bounced' && d.reason !== null;
    if (isRecordedHard) return outcome(d, bounce.type === 'hard' ? 'duplicate' : 'ignored', 'already_bounced', false);
    if (d.status === 'soft_bounced' && bounce.type === 'soft') return outcome(d, 'duplicate', 'soft_bounce', false);

    await tx
      .updateTable('deliveries')
      .set({
        status: bounce.type === 'hard' ? 'bounced' : 'soft_bounced',
        reason: bounce.category,
        error: `${bounce.status ?? ''} ${bounce.diagnostic}`.trim().slice(0, 2000) || null,
        bounced_at: now,
      })
      .where('id', '=', d.id)
      .execute();
    if (d.contact_id) {
      await recordComplianceEvent(tx, {
        workspaceId: d.workspace_id,
        contactId: d.contact_id,
        name: 'Email Bounced',
        properties: {
          deliveryId: d.id,
          campaignId: d.campaign_id,
          bounceType: bounce.type,
          category: bounce.category,
          status: bounce.status,
          diagnostic: bounce.diagnostic.slice(0, 1000),
        },
        at: now,
      });
    }
    const reason = bounce.type === 'hard' ? 'hard_bounce' : 'soft_bounce';
    // The limit given by the caller, else the workspace's sending settings (default 3 in 30 days).
    const settings =
      input.softBounceLimit === undefined || input.softBounceWindowDays === undefined
        ? await getSendingSettings(tx, d.workspace_id)
        : undefined;
    const softBounceLimit = input.softBounceLimit ?? settings!.softBounceLimit;
    const softBounceWindowDays = input.softBounceWindowDays ?? settings!.softBounceWindowDays;
    const suppressed = email
      ? await suppressAfterBounce(tx, { d, email, bounce, source, softBounceLimit, softBounceWindowDays }, now)
      : false;
    return outcome(d, 'recorded', reason, suppressed);
  });
}

/** Suppresses the address after a hard bounce, or after a soft one that reaches the limit. */
async function suppressAfterBounce(
  tx: Kysely<DB>,
  {
    d,
    email,
    bounce,
    source,
    softBounceLimit,
    softBounceWindowDays,
  }: { d: LockedDelivery; email: string; bounce: BounceClass; source: string; softBounceLimit: number; softBounceWindowDays: number },
  now: Date,
): Promise<boolean> {
  let detail = `${bounce.status ?? ''} ${bounce.diagnostic}`.trim();
  if (bounce.type === 'soft') {
    const count = await softBouncesOf(tx, d, email, now, softBounceWindowDays);
    if (count < softBounceLimit) return false;
    detail = `${count} soft bounces in ${softBounceWindowDays} days (last: ${detail || bounce.category})`;
  }
  const suppression = {
    workspaceId: d.workspace_id,
    email,
    contactId: d.contact_id ?? undefined,
    reason: 'hard_bounce' as const,
    source,
    detail: detail.slice(0, 1000),
    properties: { deliveryId: d.id },
  };
  await suppressIn(tx, suppression, now);
  return true;
}

/**
 * Records a complaint (an ARF abuse report) in one unit of work: the delivery's status
 * `complained`, an `Email Complained` event and a `complaint` suppression, which stops
 * transactional mail too. Feedback that is no complaint (not-spam…) is ignored.
 * @example await recordComplaint(db, deps, { deliveryId, feedbackType: 'abuse' })
 */
export async function recordComplaint(db: Kysely<DB>, deps: ComplianceDeps, input: ComplaintInput): Promise<FeedbackOutcome> {
  if (!COMPLAINT_TYPES.has(input.feedbackType)) {
    return {
      result: 'ignored',
      deliveryId: input.deliveryId ?? null,
      workspaceId: null,
      reason: `feedback_type_${input.feedbackType}`,
      suppressed: false,
    };
  }
  return complianceUnitOfWork(db, deps, async (tx, now) => {
    const found = await lockDelivery(tx, input);
    if (!found) return unmatched(input);
    const { delivery: d, email } = found;
    const stop = notRecordable(d);
    if (stop) return stop;
    if (d.complained_at) return outcome(d, 'duplicate', 'complaint', false);

    await tx.updateTable('deliveries').set({ status: 'complained', complained_at: now }).where('id', '=', d.id).execute();
    if (d.contact_id) {
      await recordComplianceEvent(tx, {
        workspaceId: d.workspace_id,
        contactId: d.contact_id,
        name: 'Email Complained',
        properties: { deliveryId: d.id, campaignId: d.campaign_id, feedbackType: input.feedbackType },
        at: now,
      });
    }
    if (!email) return outcome(d, 'recorded', 'complaint', false);
    const detail = `${input.feedbackType} report${input.userAgent ? ` from ${input.userAgent}` : ''}`.slice(0, 1000);
    await suppressIn(
      tx,
      {
        workspaceId: d.workspace_id,
        email,
        contactId: d.contact_id ?? undefined,
        reason: 'complaint',
        source: 'arf',
        detail,
        properties: { deliveryId: d.id },
      },
      now,
    );
    return outcome(d, 'recorded', 'complaint', true);
  });
}

interface LockedDelivery {
  id: string;
  workspace_id: string;
  contact_id: string | null;
  campaign_id: string | null;
  status: DeliveryStatus;
  reason: string | null;
  complained_at: Date | null;
}

/**
 * The delivery, locked for this transaction (a report delivered twice at once records once), and
 * the address to suppress: the one it was sent to, else the report's, else the contact's.
 */
async function lockDelivery(tx: Kysely<DB>, ref: DeliveryRef): Promise<{ delivery: LockedDelivery; email: string | null } | undefined> {
  const base = tx
    .selectFrom('deliveries as d')
    .leftJoin('contacts as c', 'c.id', 'd.contact_id')
    .select([
      'd.id',
      'd.workspace_id',
      'd.contact_id',
      'd.campaign_id',
      'd.status',
      'd.reason',
      'd.complained_at',
      'd.to_address',
      'c.email',
    ])
    .where('d.channel', '=', 'email')
    .forUpdate('d');
  // A header value reaches SQL only as a UUID: anything else would fail the query, and a failing
  // report is retried by the sending MTA for days.
  const byId =
    ref.deliveryId && isUuid(ref.deliveryId) ? await base.where('d.id', '=', ref.deliveryId.toLowerCase()).executeTakeFirst() : undefined;
  const messageIds = messageIdForms(ref.messageId);
  const row = byId ?? (messageIds.length > 0 ? await base.where('d.message_id', 'in', messageIds).executeTakeFirst() : undefined);
  if (!row) return undefined;
  const { to_address, email, ...delivery } = row;
  return { delivery, email: (to_address ?? ref.recipient ?? email)?.trim().toLowerCase() || null };
}

// A delivery still 'sending' was handed to SMTP but its worker has not recorded that yet (a fast
// DSN can overtake it): failing here makes the receiver answer 451, and the MTA retries later.
function notRecordable(d: LockedDelivery): FeedbackOutcome | undefined {
  if (d.status === 'sending')
    throw new KizunaError('unavailable', `delivery ${d.id} is still being sent; its report can be recorded once the send is recorded`);
  return NOT_SENT.has(d.status) ? outcome(d, 'ignored', `not_sent_${d.status}`, false) : undefined;
}

async function softBouncesOf(tx: Kysely<DB>, d: LockedDelivery, email: string, now: Date, windowDays: number): Promise<number> {
  // One address's soft bounces are counted one report at a time: two reports in parallel would
  // each miss the other's row and neither would reach the limit.
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`kizuna-soft-bounce:${d.workspace_id}:${email}`}))`.execute(tx);
  const lifted = await tx
    .selectFrom('suppressions')
    .select((eb) => eb.fn.max('lifted_at').as('at'))
    .where('workspace_id', '=', d.workspace_id)
    .where('email', '=', email)
    .where('reason', '=', 'hard_bounce')
    .executeTakeFirst();
  // A lifted bounce suppression starts the count afresh: the bounces before it were forgiven.
  const since = new Date(Math.max(now.getTime() - windowDays * DAY_MS, lifted?.at ? new Date(lifted.at).getTime() : 0));
  let query = tx
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', d.workspace_id)
    .where(sql`lower(to_address)`, '=', email)
    .where('status', '=', 'soft_bounced')
    .where('bounced_at', '>=', since)
    .where(sql`coalesce(reason, 'other')`, 'not in', [...NOT_ABOUT_THE_ADDRESS]);
  // The contact's deliveries have an index; without a contact (deleted since) the workspace's are scanned.
  if (d.contact_id) query = query.where('contact_id', '=', d.contact_id);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

/** "<id@host>" and "id@host": stored as the pipeline got it from the transport, reported either way. */
function messageIdForms(messageId: string | null | undefined): string[] {
  const bare = messageId?.trim().replace(/^<|>$/g, '');
  return bare ? [`<${bare}>`, bare] : [];
}

function outcome(d: LockedDelivery, result: FeedbackOutcome['result'], reason: string, suppressed: boolean): FeedbackOutcome {
  return { result, deliveryId: d.id, workspaceId: d.workspace_id, reason, suppressed };
}

function unmatched(ref: DeliveryRef): FeedbackOutcome {
  return { result: 'unmatched', deliveryId: ref.deliveryId ?? null, workspaceId: null, reason: 'no_such_delivery', suppressed: false };
}

import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import type { ComplianceDeps } from '../compliance/compliance-event.ts';
import { classifyBounce } from './classify.ts';
import { type ParsedReport, parseReport } from './parse-report.ts';
import { type FeedbackOutcome, recordBounce, recordComplaint } from './record-feedback.ts';
import { parseReturnPath } from './verp.ts';

export interface IngestOptions {
  /** The BOUNCE_SECRET instance secret that signed the return paths. */
  secret: Buffer;
  /** The SMTP envelope's recipients: a VERP return path there names the delivery. */
  envelopeTo?: readonly string[];
  softBounceLimit?: number;
  softBounceWindowDays?: number;
}

export interface IngestResult {
  kind: ParsedReport['kind'];
  /** One for a DSN or a complaint; none for a message that is neither. */
  outcomes: FeedbackOutcome[];
  /** Why a message that is neither was left alone. */
  reason?: string;
}

/**
 * Reads one inbound message and records what it reports: a DSN's failed recipient as a bounce,
 * an ARF abuse report as a complaint. The delivery is found by the verified VERP return path
 * first, then by the returned X-Kizuna-Delivery header, then by the returned Message-ID. A
 * delayed DSN records nothing. Throws only when recording failed (retrying may succeed).
 * @example await ingestReport(db, deps, raw, { secret, envelopeTo: ['b-…@bounces.example.com'] })
 */
export async function ingestReport(
  db: Kysely<DB>,
  deps: ComplianceDeps,
  raw: Buffer | string,
  { secret, envelopeTo = [], softBounceLimit, softBounceWindowDays }: IngestOptions,
): Promise<IngestResult> {
  const report = await parseReport(raw);
  if (report.kind === 'other') return { kind: 'other', outcomes: [], reason: report.reason };
  const verified = (addresses: readonly (string | null)[]) =>
    addresses.flatMap((a) => (a ? [parseReturnPath(a, secret)?.deliveryId] : [])).find((id) => id !== undefined);

  if (report.kind === 'arf') {
    const deliveryId =
      verified([report.originalMailFrom, report.original.returnPath, ...envelopeTo, ...report.to]) ?? report.original.deliveryHeader;
    const outcome = await recordComplaint(db, deps, {
      deliveryId,
      messageId: report.original.messageId,
      recipient: report.originalRcptTo,
      feedbackType: report.feedbackType,
      userAgent: report.userAgent,
    });
    return { kind: 'arf', outcomes: [outcome] };
  }

  const deliveryId = verified([...envelopeTo, ...report.to]) ?? report.original.deliveryHeader;
  // With VERP one report is about one message to one address; the first failure is its bounce.
  const failed = report.recipients.find((r) => r.action === 'failed');
  if (!failed) {
    const actions = [...new Set(report.recipients.map((r) => r.action))].join('_');
    // Delayed: the MTA still tries and will report the final failure; delivered/relayed: success notices.
    return { kind: 'dsn', outcomes: [{ result: 'ignored', deliveryId, workspaceId: null, reason: actions, suppressed: false }] };
  }
  const outcome = await recordBounce(db, deps, {
    deliveryId,
    messageId: report.original.messageId,
    recipient: failed.originalRecipient ?? failed.finalRecipient,
    bounce: classifyBounce(failed),
    softBounceLimit,
    softBounceWindowDays,
  });
  return { kind: 'dsn', outcomes: [outcome] };
}

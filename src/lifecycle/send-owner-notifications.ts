import { type Kysely, sql } from 'kysely';
import type { MailTransport } from '../messaging/smtp/transport.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB, OwnerNotificationKind } from '../platform/db/schema.ts';
import { composeOwnerMail, type OwnerMail, ZOwnerNotificationFacts } from './owner-notification-mail.ts';
import { contactUrlOf } from './owner-notifications.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The wait after the nth failed attempt (SMTP down, 4xx); after the last, the email has failed. */
export const OWNER_MAIL_RETRY_DELAYS_MS: readonly number[] = [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 4 * HOUR, 12 * HOUR];
export const OWNER_MAIL_MAX_ATTEMPTS = OWNER_MAIL_RETRY_DELAYS_MS.length + 1;
/** How long a claimed email is hidden from other workers: past nodemailer's connection and greeting timeouts. */
export const OWNER_MAIL_LEASE_MS = 5 * MINUTE;

export interface OwnerMailSender {
  db: Kysely<DB>;
  clock: Clock;
  mailer: MailTransport;
  /** The server's public URL (config.publicUrl): each email links the contact under it. */
  publicUrl?: string;
}

interface Claimed {
  id: string;
  workspace_id: string;
  contact_id: string | null;
  to_email: string;
  kind: OwnerNotificationKind;
  facts: unknown;
  attempts: number;
  lease: Date;
  locale: string;
  timezone: string;
}

type Outcome = { sent: OwnerMail } | { error: string; retry: boolean };

/**
 * Sends the owner emails that are due, each once: claimed with FOR UPDATE SKIP LOCKED under a
 * lease (any number of workers may run this), marked `sending` as SMTP takes the message (a worker
 * whose lease ran out drops its copy mid-DATA), then `sent`, or due again after a backoff.
 * @returns how many emails were claimed.
 * @example await sendDueOwnerNotifications({ db, clock, mailer, publicUrl: config.publicUrl })
 */
export async function sendDueOwnerNotifications(
  deps: OwnerMailSender,
  { workspaceId, limit = 20 }: { workspaceId?: string; limit?: number } = {},
): Promise<number> {
  const { db, clock } = deps;
  const only = workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``;
  // A worker died after handing a message to SMTP: it may have arrived, so it is not sent again.
  await sql`
    UPDATE owner_notifications SET status = 'failed',
      last_error = 'interrupted while sending (worker stopped after handing it over); not retried so it cannot arrive twice'
    WHERE status = 'sending' AND next_attempt_at < ${clock.now()} ${only}`.execute(db);
  const now = clock.now();
  const lease = new Date(now.getTime() + OWNER_MAIL_LEASE_MS);
  const { rows } = await sql<Claimed>`
    WITH due AS (
      SELECT id FROM owner_notifications
      WHERE status = 'queued' AND next_attempt_at <= ${now} ${only}
      ORDER BY next_attempt_at LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    UPDATE owner_notifications n SET next_attempt_at = ${lease}
    FROM due, workspaces w
    WHERE n.id = due.id AND w.id = n.workspace_id
    RETURNING n.id, n.workspace_id, n.contact_id, n.to_email, n.kind, n.facts, n.attempts, n.next_attempt_at AS lease, w.locale, w.timezone`.execute(
    db,
  );
  await Promise.all(rows.map(async (row) => record(db, row, await send(deps, row), clock.now())));
  return rows.length;
}

async function send({ db, mailer, publicUrl }: OwnerMailSender, row: Claimed): Promise<Outcome> {
  let mail: OwnerMail;
  try {
    mail = composeOwnerMail(row.kind, ZOwnerNotificationFacts.parse(row.facts), {
      locale: row.locale,
      timeZone: row.timezone,
      contactUrl: contactUrlOf(publicUrl, row.contact_id),
    });
  } catch (error) {
    return { error: `the notification's facts do not compose: ${(error as Error).message}`, retry: false };
  }
  let handed = false;
  try {
    const result = await mailer.sendMail({
      workspaceId: row.workspace_id,
      to: row.to_email,
      ...mail,
      // RFC 3834: automated mail; out-of-office replies should not answer it.
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Kizuna-Notification': row.kind },
      onHandOver: async () => {
        const taken = await db
          .updateTable('owner_notifications')
          .set({ status: 'sending' })
          .where('id', '=', row.id)
          .where('status', '=', 'queued')
          .where('next_attempt_at', '=', row.lease)
          .executeTakeFirst();
        if (Number(taken.numUpdatedRows) !== 1) throw new Error('the claim on this notification ran out; another worker sends it');
        handed = true;
      },
    });
    if (result.accepted.length > 0) return { sent: mail };
    return { error: `the recipient was refused: ${result.response}`, retry: !/^5/.test(result.response) };
  } catch (error) {
    const { responseCode, message } = error as { responseCode?: number; message: string };
    // An answer from the server refused the message (4xx: try again; 5xx: never). No answer after
    // the hand-over: it may have arrived, so it is not sent again.
    const retry = responseCode ? responseCode < 500 : !handed;
    return { error: message, retry };
  }
}

async function record(db: Kysely<DB>, row: Claimed, outcome: Outcome, now: Date): Promise<void> {
  const attempts = row.attempts + 1;
  if ('sent' in outcome) {
    // Sent is sent, even when this worker's lease ran out meanwhile (then the row is failed as
    // interrupted); still `queued` under our lease only if no hand-over was seen.
    await db
      .updateTable('owner_notifications')
      .set({ status: 'sent', attempts, sent_at: now, last_error: null, ...outcome.sent })
      .where('id', '=', row.id)
      .where((eb) =>
        eb.or([eb('status', 'in', ['sending', 'failed']), eb.and([eb('status', '=', 'queued'), eb('next_attempt_at', '=', row.lease)])]),
      )
      .execute();
    return;
  }
  const again = outcome.retry && attempts < OWNER_MAIL_MAX_ATTEMPTS;
  await db
    .updateTable('owner_notifications')
    .set({
      status: again ? 'queued' : 'failed',
      attempts,
      last_error: outcome.error.slice(0, 1000),
      next_attempt_at: again ? new Date(now.getTime() + OWNER_MAIL_RETRY_DELAYS_MS[attempts - 1]!) : row.lease,
    })
    .where('id', '=', row.id)
    .where('status', 'in', ['queued', 'sending'])
    // Only while the claim is ours: a worker that took over records its own attempt.
    .where('next_attempt_at', '=', row.lease)
    .execute();
}

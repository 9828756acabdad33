import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import { noteContactChange } from '../../platform/db/contact-changes.ts';
import type { DB } from '../../platform/db/schema.ts';
import { invalidInput, notFound } from '../../platform/errors.ts';
import { escapeHtml } from '../../platform/escape-html.ts';
import { enqueueDeliveries } from '../deliveries/deliveries.ts';
import { type ComplianceDeps, complianceUnitOfWork, recordComplianceEvent } from './compliance-event.ts';
import { getPreferences, setTopic } from './preferences.ts';
import { liftUnsubscribes } from './suppression.ts';
import { signUnsubscribeToken, type UnsubscribeClaims } from './unsubscribe-token.ts';

/** The consents purpose of an email opt-in (segments read it with a `consent` condition). */
export const EMAIL_CONSENT_PURPOSE = 'email_marketing';
const CONFIRM_WITHIN_MS = 7 * 24 * 3_600_000;
export const DEFAULT_OPT_IN_WORDING = {
  ja: 'マーケティングメール（お知らせ・ご案内）の受信に同意します。配信はいつでも停止できます。',
  en: 'I agree to receive marketing email (news and offers). I can unsubscribe at any time.',
} as const;

export interface LinkSigning {
  publicUrl: string;
  secret: Buffer;
}

export interface OptInRequest {
  workspaceId: string;
  contactId: string;
  /** Topics to turn on when confirmed; none: only the unsubscribe is lifted. */
  topics?: string[];
  /** What the person is asked to agree to, as shown on the confirm page; defaults by locale. */
  wording?: string;
  /** Where the request came from: `preference_center`, `form:<id>`, `api`… */
  source: string;
  ip?: string;
}

/**
 * Starts a double opt-in: a pending confirmation (valid 7 days) and the URL of its confirm page,
 * which the sending pipeline mails to the contact. Nothing changes until the confirm POST.
 * @example const { confirmUrl } = await requestOptIn(db, { workspaceId, contactId, source: 'form:…' }, { publicUrl, secret }, clock)
 */
export async function requestOptIn(
  db: Kysely<DB>,
  request: OptInRequest,
  links: LinkSigning,
  clock: Clock,
): Promise<{ confirmationId: string; confirmUrl: string; expiresAt: string }> {
  const prefs = await getPreferences(db, request.workspaceId, request.contactId);
  if (!prefs.email) throw invalidInput([{ path: 'email', message: 'the contact has no email address to confirm' }]);
  const known = new Set(prefs.topics.map((t) => t.key));
  const unknown = (request.topics ?? []).filter((key) => !known.has(key));
  if (unknown.length > 0) throw invalidInput(unknown.map((key) => ({ path: `topics.${key}`, message: 'no such topic in this workspace' })));
  const now = clock.now();
  const id = randomUUID();
  const expiresAt = new Date(now.getTime() + CONFIRM_WITHIN_MS);
  await db
    .insertInto('optin_confirmations')
    .values({
      id,
      workspace_id: request.workspaceId,
      contact_id: request.contactId,
      email: prefs.email,
      topics: [...new Set(request.topics ?? [])],
      wording: request.wording ?? DEFAULT_OPT_IN_WORDING[prefs.locale],
      source: request.source,
      requested_at: now,
      requested_ip: request.ip ?? null,
      expires_at: expiresAt,
      confirmed_at: null,
      confirmed_ip: null,
    })
    .execute();
  const token = signUnsubscribeToken(
    { purpose: 'confirm', workspaceId: request.workspaceId, contactId: request.contactId, email: prefs.email, confirmationId: id },
    links.secret,
  );
  const confirmUrl = `${links.publicUrl.replace(/\/+$/, '')}/confirm/${token}`;
  // The confirmation mail goes through the pipeline like any message: transactional (an
  // unsubscribed person must still be able to come back), never to a bounced or complaining address.
  await enqueueDeliveries(
    db,
    [
      {
        workspaceId: request.workspaceId,
        contactId: request.contactId,
        channel: 'email',
        kind: 'transactional',
        source: 'system:opt-in',
        dedupeKey: `opt-in:${id}`,
        priority: 100,
        content: confirmationMail(prefs.locale, confirmUrl, request.wording ?? DEFAULT_OPT_IN_WORDING[prefs.locale]),
        dueAt: now,
      },
    ],
    now,
  );
  return { confirmationId: id, confirmUrl, expiresAt: expiresAt.toISOString() };
}

const CONFIRMATION_TEXT = {
  ja: {
    subject: 'メール配信のご確認',
    intro:
      'メール配信の再開（登録）のお申し込みを受け付けました。下のボタンから確認ページを開き、内容をご確認のうえ「確認する」を押してください。',
    button: '確認ページを開く',
    ignore: 'お心当たりがない場合は、このメールを破棄してください。確認されるまで配信は再開されません。',
  },
  en: {
    subject: 'Please confirm your subscription',
    intro:
      'We received a request to (re)subscribe this address. Open the confirmation page below and press “Confirm” to start receiving our email.',
    button: 'Open the confirmation page',
    ignore: 'If you did not ask for this, ignore this message: nothing is sent until you confirm.',
  },
} as const;

/** The double opt-in mail in the contact's language: the wording asked, and the confirm page's link. */
function confirmationMail(locale: 'ja' | 'en', confirmUrl: string, wording: string) {
  const t = CONFIRMATION_TEXT[locale];
  return {
    subject: t.subject,
    html: `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"></head><body style="font-family:sans-serif;line-height:1.6">
<p>${escapeHtml(t.intro)}</p><blockquote>${escapeHtml(wording)}</blockquote>
<p><a href="${escapeHtml(confirmUrl)}" style="display:inline-block;padding:10px 18px;background:#1a56db;color:#fff;border-radius:4px;text-decoration:none">${escapeHtml(t.button)}</a></p>
<p style="font-size:12px;color:#666">${escapeHtml(t.ignore)}</p></body></html>`,
    text: `${t.intro}\n\n${wording}\n\n${t.button}: ${confirmUrl}\n\n${t.ignore}\n`,
  };
}

export type ConfirmOutcome = 'confirmed' | 'already_confirmed' | 'expired';

/** The pending confirmation a confirm token names, for its page. */
export async function findConfirmation(db: Kysely<DB>, claims: UnsubscribeClaims) {
  const row = await db
    .selectFrom('optin_confirmations')
    .selectAll()
    .where('workspace_id', '=', claims.workspaceId)
    .where('contact_id', '=', claims.contactId)
    .where('id', '=', claims.confirmationId ?? '00000000-0000-0000-0000-000000000000')
    .executeTakeFirst();
  if (!row) throw notFound('confirmation', claims.confirmationId ?? '');
  return row;
}

/**
 * Confirms a double opt-in (the confirm POST): records the consent (wording, time, IP, source),
 * lifts the address's unsubscribe suppressions (never a bounce or complaint), turns on the
 * requested topics and writes `Subscribed`. Confirming twice changes nothing the second time.
 */
export async function confirmOptIn(
  db: Kysely<DB>,
  { claims, ip }: { claims: UnsubscribeClaims; ip?: string },
  deps: ComplianceDeps,
): Promise<ConfirmOutcome> {
  return complianceUnitOfWork(db, deps, async (tx, now) => {
    const pending = await findConfirmation(tx, claims);
    // The row lock serialises two confirm POSTs racing each other: one consent, one event.
    const row = await tx.selectFrom('optin_confirmations').selectAll().where('id', '=', pending.id).forUpdate().executeTakeFirstOrThrow();
    if (row.confirmed_at) return 'already_confirmed';
    if (row.expires_at <= now) return 'expired';
    await tx
      .updateTable('optin_confirmations')
      .set({ confirmed_at: now, confirmed_ip: ip ?? null })
      .where('id', '=', row.id)
      .execute();
    await tx
      .insertInto('consents')
      .values({
        id: randomUUID(),
        workspace_id: row.workspace_id,
        contact_id: row.contact_id,
        purpose: EMAIL_CONSENT_PURPOSE,
        granted: true,
        wording: row.wording,
        source: `double_opt_in:${row.source}`,
        ip: ip ?? null,
        recorded_at: now,
      })
      .execute();
    noteContactChange(tx, row.workspace_id, row.contact_id, ['consent']);
    const lifted = await liftUnsubscribes(tx, row.workspace_id, row.email, 'double_opt_in', now);
    // Topics deleted since the request are skipped; those already on write no event of their own.
    const states = await tx
      .selectFrom('subscription_topics as t')
      .leftJoin('topic_preferences as p', (join) => join.onRef('p.topic_id', '=', 't.id').on('p.contact_id', '=', row.contact_id))
      .select(['t.key', 'p.subscribed'])
      .where('t.workspace_id', '=', row.workspace_id)
      .where('t.key', 'in', row.topics.length > 0 ? row.topics : [''])
      .execute();
    const topics = states.filter((t) => t.subscribed !== true).map((t) => t.key);
    for (const key of topics) {
      await setTopic(tx, {
        workspaceId: row.workspace_id,
        contactId: row.contact_id,
        key,
        subscribed: true,
        source: 'double_opt_in',
        now,
        changed: false,
      });
    }
    await recordComplianceEvent(tx, {
      workspaceId: row.workspace_id,
      contactId: row.contact_id,
      name: 'Subscribed',
      properties: { doubleOptIn: true, source: row.source, topics, unsubscribeLifted: lifted > 0 },
      ip,
      at: now,
    });
    return 'confirmed';
  });
}

/**
 * Re-subscribes from the preference page or the API. After an unsubscribe from all, only a
 * confirmed double opt-in undoes it: a pending confirmation is made and its URL returned. A
 * contact still subscribed just gets the topics turned on.
 */
export async function resubscribe(
  db: Kysely<DB>,
  request: OptInRequest,
  links: LinkSigning,
  deps: ComplianceDeps,
): Promise<{ status: 'subscribed' } | { status: 'pending'; confirmUrl: string; confirmationId: string }> {
  const prefs = await getPreferences(db, request.workspaceId, request.contactId);
  if (prefs.unsubscribed) return { status: 'pending', ...(await requestOptIn(db, request, links, deps.clock)) };
  const on = new Map(prefs.topics.map((t) => [t.key, t.subscribed]));
  await complianceUnitOfWork(db, deps, async (tx, now) => {
    for (const key of request.topics ?? []) {
      if (!on.has(key)) throw invalidInput([{ path: `topics.${key}`, message: 'no such topic in this workspace' }]);
      await setTopic(tx, { ...request, key, subscribed: true, now, changed: on.get(key) !== true });
    }
  });
  return { status: 'subscribed' };
}

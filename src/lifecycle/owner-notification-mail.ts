import { z } from '@hono/zod-openapi';
import { fullNameOf } from '../contacts/contact-schema.ts';
import type { OwnerNotificationKind } from '../platform/db/schema.ts';
import { escapeHtml } from '../platform/escape-html.ts';

/** What an owner notification says, as data: written with the cause, composed into mail when sent. */
export const ZOwnerNotificationFacts = z.object({
  contact: z.object({
    id: z.string(),
    email: z.string().nullable(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    nameOrder: z.enum(['given_first', 'family_first']),
    company: z.string().nullable(),
    stage: z.string().nullable(),
    scores: z.array(z.object({ model: z.string(), score: z.number(), band: z.string().nullable() })).default([]),
  }),
  /** handoff.assigned: the SLA's due times. */
  handoff: z.object({ firstTouchDue: z.string(), decisionDue: z.string() }).optional(),
  /** handoff.sla_breached: which timer ran out, and when it was due. */
  breach: z.object({ timer: z.enum(['first_touch', 'decision']), due: z.string() }).optional(),
  /** owner.notified: the journey and its rendered message. */
  journey: z.object({ id: z.string(), name: z.string(), nodeId: z.string(), message: z.string() }).optional(),
});
export type OwnerNotificationFacts = z.infer<typeof ZOwnerNotificationFacts>;

export interface OwnerMail {
  subject: string;
  text: string;
  html: string;
}

/** The locale and zone the mail is written in, and where the contact can be opened (none: no link). */
export interface OwnerMailContext {
  locale: string;
  timeZone: string;
  contactUrl?: string;
}

type Words = typeof EN;

const EN = {
  subject: {
    assigned: (who: string) => `New MQL assigned to you: ${who}`,
    first_touch: (who: string) => `First touch overdue: ${who}`,
    decision: (who: string) => `Handoff decision overdue: ${who}`,
    journey: (who: string, journey: string) => `${journey}: ${who}`,
  },
  lead: {
    assigned: (who: string) => `${who} became a marketing-qualified lead and was handed over to you.`,
    first_touch: (who: string, due: string) => `The first touch with ${who} was due ${due} and is not recorded yet.`,
    decision: (who: string, due: string) => `Your decision (accept or reject) on ${who} was due ${due}.`,
    journey: (journey: string) => `The journey "${journey}" asks you to follow up:`,
  },
  labels: {
    name: 'Contact',
    company: 'Company',
    email: 'Email',
    stage: 'Stage',
    score: 'Score',
    firstTouchDue: 'First touch due',
    decisionDue: 'Decision due',
    open: 'Open in Kizuna',
  },
  company: (name: string) => ` (${name})`,
  footer: 'An internal notification from Kizuna to the contact’s owner.',
};

const JA: Words = {
  subject: {
    assigned: (who) => `【MQL】${who} の担当になりました`,
    first_touch: (who) => `【SLA超過】初回対応の期限を過ぎています: ${who}`,
    decision: (who) => `【SLA超過】判定の期限を過ぎています: ${who}`,
    journey: (who, journey) => `【${journey}】${who}`,
  },
  lead: {
    assigned: (who) => `${who} がMQLになり、あなたが担当に割り当てられました。`,
    first_touch: (who, due) => `${who} への初回対応の期限（${due}）を過ぎましたが、まだ記録がありません。`,
    decision: (who, due) => `${who} の判定（受け入れ・差し戻し）の期限（${due}）を過ぎています。`,
    journey: (journey) => `ジャーニー「${journey}」からのフォローアップ依頼です:`,
  },
  labels: {
    name: '氏名',
    company: '会社',
    email: 'メール',
    stage: 'ステージ',
    score: 'スコア',
    firstTouchDue: '初回対応期限',
    decisionDue: '判定期限',
    open: 'Kizuna で開く',
  },
  company: (name) => `（${name}）`,
  footer: 'Kizuna から担当者への社内通知です。',
};

/**
 * Composes an owner notification (pure): subject, text and a simple HTML part in the workspace's
 * language (ja, else en), naming the contact and saying why.
 * @example composeOwnerMail('handoff.assigned', facts, { locale: 'ja', timeZone: 'Asia/Tokyo' })
 */
export function composeOwnerMail(kind: OwnerNotificationKind, facts: OwnerNotificationFacts, context: OwnerMailContext): OwnerMail {
  const words = context.locale.startsWith('ja') ? JA : EN;
  const { contact } = facts;
  const name = fullNameOf({ first_name: contact.firstName, last_name: contact.lastName, name_order: contact.nameOrder });
  const person = name ?? contact.email ?? contact.id;
  const who = `${person}${contact.company ? words.company(contact.company) : ''}`;
  const when = (iso: string) => formatTime(iso, context);
  let subject: string;
  let lead: string;
  const rows: [string, string | null][] = [
    [words.labels.name, name],
    [words.labels.company, contact.company],
    [words.labels.email, contact.email],
    [words.labels.stage, contact.stage],
    ...contact.scores.map((s): [string, string] => [`${words.labels.score} (${s.model})`, `${s.score}${s.band ? ` / ${s.band}` : ''}`]),
  ];
  if (kind === 'handoff.sla_breached' && facts.breach) {
    subject = words.subject[facts.breach.timer](who);
    lead = words.lead[facts.breach.timer](person, when(facts.breach.due));
  } else if (kind === 'owner.notified' && facts.journey) {
    subject = words.subject.journey(who, facts.journey.name);
    lead = `${words.lead.journey(facts.journey.name)}\n\n${facts.journey.message}`;
  } else {
    subject = words.subject.assigned(who);
    lead = words.lead.assigned(person);
    if (facts.handoff)
      rows.push(
        [words.labels.firstTouchDue, when(facts.handoff.firstTouchDue)],
        [words.labels.decisionDue, when(facts.handoff.decisionDue)],
      );
  }
  const shown = rows.filter((r): r is [string, string] => Boolean(r[1]));
  const link = context.contactUrl ? [`${words.labels.open}: ${context.contactUrl}`] : [];
  const text = [lead, '', ...shown.map(([k, v]) => `${k}: ${v}`), '', ...link, ...(link.length ? [''] : []), '--', words.footer].join('\n');
  const html = [
    `<p>${escapeHtml(lead).replace(/\n/g, '<br>')}</p>`,
    `<table>${shown.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`,
    ...(context.contactUrl ? [`<p><a href="${escapeHtml(context.contactUrl)}">${escapeHtml(words.labels.open)}</a></p>`] : []),
    `<p><small>${escapeHtml(words.footer)}</small></p>`,
  ].join('\n');
  // Subjects are one line: a name or company with a line break must not fold into a header.
  return { subject: subject.replace(/\s+/g, ' ').trim(), text, html };
}

/** A due time as the owner reads it: in the workspace's zone, named. */
function formatTime(iso: string, { locale, timeZone }: OwnerMailContext): string {
  const format = new Intl.DateTimeFormat(locale.startsWith('ja') ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
  });
  return `${format.format(new Date(iso))} (${timeZone})`;
}

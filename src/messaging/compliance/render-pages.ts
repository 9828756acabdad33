import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ContactPreferences } from './preferences.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
export type PageLocale = 'ja' | 'en';

const STYLE = `body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1f2933;line-height:1.6}
fieldset{border:1px solid #cbd2d9;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}label{display:flex;gap:.5rem;align-items:flex-start;margin:.4rem 0}
.hint{color:#52606d;font-size:.9rem;margin:0 0 0 1.6rem}button{margin:.6rem .6rem 0 0;padding:.65rem 1.3rem;border:0;border-radius:6px;background:#2457c5;color:#fff;font:inherit;cursor:pointer}
button.secondary{background:#e4e7eb;color:#1f2933}.note{background:#f5f7fa;border-radius:6px;padding:.7rem 1rem}@media (prefers-color-scheme:dark){body{background:#111827;color:#e5e7eb}.note{background:#1f2937}button.secondary{background:#374151;color:#e5e7eb}}`;

const TEXT = {
  ja: {
    title: '配信設定',
    topics: '受け取るメール',
    frequency: '配信頻度',
    all: 'すべて受け取る',
    weekly: '週に1回まで',
    monthly: '月に1回まで',
    save: '設定を保存',
    unsubscribeAll: 'すべての配信を停止',
    unsubscribed: '現在、すべてのマーケティングメールの配信を停止しています。',
    resubscribe: '配信を再開する（確認メールを送ります）',
    saved: '設定を保存しました。',
    doneTitle: '配信を停止しました',
    done: 'マーケティングメールの配信を停止しました。お手続きは完了しています。',
    topicDone: 'このトピックのメール配信を停止しました。',
    pending: '確認メールのリンクから配信の再開を確定してください。',
    confirmTitle: 'メール受信の確認',
    confirm: '同意して登録を確定',
    confirmed: 'ご登録を確認しました。ありがとうございます。',
    alreadyConfirmed: 'このご登録はすでに確認済みです。',
    expired: 'この確認リンクは有効期限が切れています。もう一度お手続きください。',
    manage: '配信設定に戻る',
  },
  en: {
    title: 'Email preferences',
    topics: 'Email you receive',
    frequency: 'How often',
    all: 'Everything',
    weekly: 'At most once a week',
    monthly: 'At most once a month',
    save: 'Save preferences',
    unsubscribeAll: 'Unsubscribe from all',
    unsubscribed: 'You are unsubscribed from all marketing email.',
    resubscribe: 'Subscribe again (we will send a confirmation email)',
    saved: 'Your preferences are saved.',
    doneTitle: 'Unsubscribed',
    done: 'You have been unsubscribed from marketing email. Nothing more to do.',
    topicDone: 'You will no longer receive email about this topic.',
    pending: 'Please confirm with the link in the email we send you.',
    confirmTitle: 'Confirm your subscription',
    confirm: 'I agree: confirm',
    confirmed: 'Thank you: your subscription is confirmed.',
    alreadyConfirmed: 'This subscription is already confirmed.',
    expired: 'This confirmation link has expired. Please subscribe again.',
    manage: 'Back to email preferences',
  },
} as const;

export type PageText = keyof (typeof TEXT)['en'];

/** The preference page of `/u/{token}`: topics, frequency, unsubscribe from all. Shows; changes nothing. */
export function renderPreferencePage({ token, prefs, notice }: { token: string; prefs: ContactPreferences; notice?: PageText }): Html {
  const t = TEXT[prefs.locale];
  const action = `/u/${token}`;
  return page(
    prefs.locale,
    t.title,
    html`<h1>${t.title}</h1>${notice ? html`<p class="note" role="status">${t[notice]}</p>` : ''}
${prefs.email ? html`<p>${prefs.email}</p>` : ''}
${
  prefs.unsubscribed
    ? html`<p class="note">${t.unsubscribed}</p><form method="post" action="${action}/preferences"><input type="hidden" name="action" value="resubscribe"><button type="submit">${t.resubscribe}</button></form>`
    : ''
}
<form method="post" action="${action}/preferences"><input type="hidden" name="action" value="save">
${
  prefs.topics.length > 0
    ? html`<fieldset><legend>${t.topics}</legend>${prefs.topics.map(
        (topic) =>
          html`<label><input type="checkbox" name="topic" value="${topic.key}"${topic.subscribed ? ' checked' : ''}> ${
            prefs.locale === 'ja' ? topic.nameJa : topic.nameEn
          }</label>${topic.description ? html`<p class="hint">${topic.description}</p>` : ''}`,
      )}</fieldset>`
    : ''
}
<fieldset><legend>${t.frequency}</legend>${(['all', 'weekly', 'monthly'] as const).map(
      (f) => html`<label><input type="radio" name="frequency" value="${f}"${prefs.frequency === f ? ' checked' : ''}> ${t[f]}</label>`,
    )}</fieldset>
<button type="submit">${t.save}</button></form>
${prefs.unsubscribed ? '' : html`<form method="post" action="${action}"><button type="submit" class="secondary">${t.unsubscribeAll}</button></form>`}`,
  );
}

/** A short page after an action: unsubscribed, saved, confirmed… */
export function renderMessagePage(locale: PageLocale, title: PageText, message: PageText, backTo?: string): Html {
  const t = TEXT[locale];
  return page(
    locale,
    t[title],
    html`<h1>${t[title]}</h1><p role="status">${t[message]}</p>${backTo ? html`<p><a href="${backTo}">${t.manage}</a></p>` : ''}`,
  );
}

/** The confirm page of `/confirm/{token}`: the wording and a button; only its POST confirms. */
export function renderConfirmPage({ token, locale, wording }: { token: string; locale: PageLocale; wording: string }): Html {
  const t = TEXT[locale];
  return page(
    locale,
    t.confirmTitle,
    html`<h1>${t.confirmTitle}</h1><p>${wording}</p><form method="post" action="/confirm/${token}"><button type="submit">${t.confirm}</button></form>`,
  );
}

/** Bilingual: a broken link names no contact, so there is no locale to choose. */
export function renderInvalidLinkPage(): Html {
  return page(
    'ja',
    'リンクが無効です / Invalid link',
    html`<h1>リンクが無効です</h1><p>このリンクは正しくないか、途中で切れています。メール内のリンクをもう一度お試しください。</p><h1 lang="en">Invalid link</h1><p lang="en">This link is not valid: it may have been altered or cut short. Please use the link in the email again.</p>`,
  );
}

function page(locale: PageLocale, title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style>${raw(STYLE)}</style></head>
<body>${body}</body></html>`;
}

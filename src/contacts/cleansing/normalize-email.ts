/**
 * Email addresses as contacts are keyed by them: one canonical spelling, plus warnings for
 * addresses that are valid but poor leads (shared role inboxes, throwaway domains).
 */
import { createRequire } from 'node:module';
import validator from 'validator';

export type EmailWarning = 'role_account' | 'disposable_domain';

export type NormalizedEmail = { ok: true; email: string; warnings: EmailWarning[] } | { ok: false; reason: string };

// Lists are whitespace-separated words so the formatter keeps them to a few lines.
const wordSet = (words: string): ReadonlySet<string> => new Set(words.trim().split(/\s+/));

// Local parts of shared inboxes, including romanised Japanese ones (問い合わせ, 総務, 営業, 採用, 広報, 経理).
const ROLE_LOCAL_PARTS = wordSet(`
  info information sales support help helpdesk admin administrator contact office hello
  noreply no-reply no_reply donotreply do-not-reply webmaster postmaster hostmaster abuse
  marketing hr jobs careers recruit saiyo inquiry enquiry otoiawase toiawase soumu somu
  eigyo eigyou kouhou koho pr press billing accounting keiri team
`);

const FREE_MAIL_DOMAINS = wordSet(`
  gmail.com googlemail.com yahoo.com yahoo.co.jp ymail.com rocketmail.com outlook.com outlook.jp
  hotmail.com hotmail.co.jp hotmail.co.uk live.com live.jp msn.com icloud.com me.com mac.com aol.com
  docomo.ne.jp ezweb.ne.jp au.com softbank.ne.jp i.softbank.jp ymobile.ne.jp nifty.com biglobe.ne.jp
  ocn.ne.jp so-net.ne.jp excite.co.jp livedoor.com proton.me protonmail.com pm.me gmx.com gmx.net gmx.de
  mail.com zoho.com yandex.com yandex.ru qq.com 163.com 126.com naver.com daum.net web.de fastmail.com
`);

let disposable: { exact: ReadonlySet<string>; wildcard: ReadonlySet<string> } | undefined;

/** The disposable list is large (~120k names), so it is loaded on first use, never at import time. */
function disposableLists(): { exact: ReadonlySet<string>; wildcard: ReadonlySet<string> } {
  if (!disposable) {
    const require = createRequire(import.meta.url);
    disposable = {
      exact: new Set(require('disposable-email-domains') as string[]),
      wildcard: new Set(require('disposable-email-domains/wildcard.json') as string[]),
    };
  }
  return disposable;
}

// An import repeats the same few domains thousands of times; remember the answers (bounded).
const disposableByDomain = new Map<string, boolean>();

function isDisposableDomain(domain: string): boolean {
  const known = disposableByDomain.get(domain);
  if (known !== undefined) return known;
  const { exact, wildcard } = disposableLists();
  // wildcard.json lists domains whose every subdomain is disposable too (e.g. *.33mail.com).
  const labels = domain.split('.');
  const answer = exact.has(domain) || labels.some((_, i) => wildcard.has(labels.slice(i).join('.')));
  if (disposableByDomain.size >= 10_000) disposableByDomain.clear();
  disposableByDomain.set(domain, answer);
  return answer;
}

/**
 * The one spelling an address is stored and matched under (NFKC, trimmed, lower case, no <>
 * or mailto:), without validating it. normalizeEmail returns exactly this for a valid address.
 */
export function canonicalEmail(raw: string): string {
  let email = raw.normalize('NFKC').trim().toLowerCase();
  if (email.startsWith('<') && email.endsWith('>')) email = email.slice(1, -1).trim();
  if (email.startsWith('mailto:')) email = email.slice('mailto:'.length).trim();
  return email;
}

/**
 * Canonicalise and validate an address; warn about role inboxes and disposable domains.
 * @example normalizeEmail(' <Taro@Example.CO.JP> ') // { ok: true, email: 'taro@example.co.jp', warnings: [] }
 */
export function normalizeEmail(raw: string): NormalizedEmail {
  const email = canonicalEmail(raw);
  if (email === '') return { ok: false, reason: 'email address is empty: expected name@domain.tld' };
  if (!validator.isEmail(email, { require_tld: true, allow_display_name: false })) {
    return { ok: false, reason: `not a valid email address: expected name@domain.tld, got "${raw.trim()}"` };
  }
  const warnings: EmailWarning[] = [];
  // Sub-addressing (info+jp@) still reaches the shared inbox.
  const local = email.slice(0, email.lastIndexOf('@')).split('+')[0]!;
  if (ROLE_LOCAL_PARTS.has(local)) warnings.push('role_account');
  if (isDisposableDomain(emailDomain(email))) warnings.push('disposable_domain');
  return { ok: true, email, warnings };
}

/** The part after the last `@`, lower-cased. @example emailDomain('taro@Example.co.jp') // 'example.co.jp' */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** Whether a domain is a consumer mailbox provider, so it says nothing about the contact's company. */
export function isFreeMailDomain(domain: string): boolean {
  return FREE_MAIL_DOMAINS.has(domain.trim().toLowerCase());
}

/**
 * Hard: the address does not work (suppress it now). Soft: this message failed but the address
 * may still work (suppressed only after repeated soft bounces, see recordBounce).
 */
export type BounceType = 'hard' | 'soft';
export type BounceCategory =
  | 'unknown_user'
  | 'unknown_domain'
  | 'mailbox_disabled'
  | 'mailbox_full'
  | 'greylisted'
  | 'rate_limited'
  | 'policy'
  | 'message_too_large'
  | 'temporary'
  | 'other';

/** What a report says about one recipient; any part may be missing. */
export interface BounceEvidence {
  /** The DSN's Action: failed, delayed, delivered, relayed, expanded (RFC 3464 §2.3.3). */
  action?: string | null;
  /** The enhanced status code (RFC 3463), e.g. `5.1.1`: the DSN's Status field. */
  status?: string | null;
  /** The SMTP reply code, e.g. 550; read from the diagnostic when not given. */
  smtpCode?: number | null;
  /** The remote server's words: the Diagnostic-Code without its type, or an SMTP reply. */
  diagnostic?: string | null;
}

export interface BounceClass {
  type: BounceType;
  category: BounceCategory;
  /** The most specific enhanced status code seen (the Status field, or the reply's when the field says X.0.0). */
  status: string | null;
  /** The diagnostic on one line, continuation prefixes ("550-5.1.1 ") removed. */
  diagnostic: string;
}

// Only these say the address itself is dead; every other category is about the message, the
// sender, the network or a passing state of the mailbox.
const ADDRESS_DEAD: ReadonlySet<BounceCategory> = new Set(['unknown_user', 'unknown_domain', 'mailbox_disabled']);

// The class digit alone is wrong often enough that the text decides first: providers answer 550
// or 552 5.2.2 for a full mailbox (Gmail "552 5.2.2 … is over quota", Postfix's local delivery
// "5.2.2" for a mailbox over mailbox_size_limit), 550 for "try again later" and for throttling
// (Gmail "550 5.2.1 … receiving mail at a rate …" reuses the mailbox-disabled code), 550 5.7.1 for
// "email quota exceeded", and 5.4.1 for Microsoft's unknown recipients. Rules are tried in order,
// the narrower before the broader; the first match wins.
const TEXT_RULES: readonly (readonly [BounceCategory, RegExp])[] = [
  // About our own return path, not the recipient: Exim's sender verification failure quotes
  // "No Such User Here" for the address it called back.
  ['policy', /sender verif(y|ication) failed|sender address rejected|verification failed for <[^>]*>/],
  // Before the quota words: "daily sending quota exceeded" (Gmail 5.4.5) is about us.
  [
    'rate_limited',
    /rate.?limit|too many (messages|mails?|e-?mails|connections|concurrent)|throttl|receiving mail (too quickly|at a rate)|sending (quota|limit)|relay limit|unexpected volume|\[tss?\d\d\]|too fast/,
  ],
  // Gmail's "over quota for so long that the account is inactive" (OverQuotaPerm): dead, not full.
  ['mailbox_disabled', /out of storage space and inactive/],
  [
    'mailbox_full',
    /mailbox (is |has )?(full|exceeded)|full mailbox|mailbox_?full|over ?quota|quota (exceeded|exceed|full)|exceeded (the |its |their |storage |mailbox )*(quota|storage|allocation)|quotaexceeded|out of storage|inbox is full|storage (space )?(is )?full|disk quota|mailbox size limit|error writing message: file too large|too much mail data|(メールボックス|受信箱)[^。]*(容量|いっぱい|一杯|満杯)/,
  ],
  ['greylisted', /gr[ae]y.?list|postgrey/],
  // "Host not found, try again" is a DNS timeout (Postfix), not a missing domain.
  [
    'temporary',
    /temporar(il)?y|try (again )?later|try again|in progress|timed? ?out|connection (refused|reset|dropped|lost)|lost connection|server busy|system busy|insufficient system storage|queue (expired|lifetime)|message expired|expired in queue|delivery time expired|retry time not reached/,
  ],
  [
    'unknown_domain',
    /host or domain name not found|domain (name )?(not found|does not exist|doesn'?t exist|is not valid)|no such domain|unknown domain|unroutable domain|unrouteable address|null mx|no mx (record|host)|nxdomain|all relevant mx records point to non-existent hosts|host address lookups failed permanently/,
  ],
  [
    'mailbox_disabled',
    /(account|mailbox)( that you tried to reach)? (is |has been )?(disabled|deactivated|inactive|suspended|closed|expired)|user (account )?(is |has been )?(disabled|deactivated|inactive|suspended)|mailbox (is )?(no longer|not) (active|available|in use)|moved permanently/,
  ],
  [
    'unknown_user',
    /(user|recipient|mailbox|address|account)( that you tried to reach)? (unknown|not found|does not exist|doesn'?t exist|not exist|is unknown|not listed)|(unknown|invalid|no such|bad) (user|recipient|mailbox|local.?part|address|account|destination mailbox)|user doesn'?t have an? .* account|recipientnotfound|mailbox not found|mailbox unavailable|addressee unknown|not our customer|access denied\. as\(\d+\)|no mailbox here|(宛先|あて先|ユーザー?|アカウント|メールアドレス)[^。]*(存在しません|見つかりません|不明)/,
  ],
  [
    'message_too_large',
    /message (size |length )?(is )?too (big|large)|message (size|length) exceeds|exceeds? (the )?(fixed )?maximum message size|exceeded .* message size limit|too big for system/,
  ],
  [
    'policy',
    /spam|junk|unsolicited|blocked|block ?list|blacklist|deny ?list|dnsbl|spamhaus|barracuda|spamcop|reputation|not authorized|not permitted|policy|dmarc|\bspf\b|dkim|unauthenticated|authentication|ptr record|reverse dns|relay(ing)? (access )?denied|access denied|rejected for|content rejected|virus|malware|phish|banned/,
  ],
];

/**
 * Classifies one recipient's failure from the enhanced status, the reply code and the text together.
 * A `delayed` Action is always soft: the MTA is still trying.
 * @example classifyBounce({ action: 'failed', status: '5.2.2', diagnostic: 'smtp; 552 5.2.2 Mailbox full' }) // { type: 'soft', category: 'mailbox_full', … }
 */
export function classifyBounce(evidence: BounceEvidence): BounceClass {
  const diagnostic = cleanDiagnostic(evidence.diagnostic ?? '');
  const reply = readReply(diagnostic);
  const field = normalStatus(evidence.status);
  // A Status of X.0.0 says only "failed"; the remote server's own code is more specific.
  const status = field && !field.endsWith('.0.0') ? field : (reply.status ?? field);
  const smtpCode = evidence.smtpCode ?? reply.code;
  const isDelayed = evidence.action?.trim().toLowerCase() === 'delayed';
  const isPermanent = !isDelayed && permanence(status, smtpCode, evidence.action);
  const text = diagnostic.toLowerCase();
  const category =
    TEXT_RULES.find(([, pattern]) => pattern.test(text))?.[0] ?? categoryOfStatus(status) ?? (isPermanent ? 'other' : 'temporary');
  return { type: isPermanent && ADDRESS_DEAD.has(category) ? 'hard' : 'soft', category, status, diagnostic };
}

/**
 * One line of diagnostic text: the type prefix ("smtp; ", "X-Postfix; ") and the repeated
 * prefixes of a multi-line reply ("550-5.1.1 …\n 550-5.1.1 …") removed, whitespace collapsed.
 */
export function cleanDiagnostic(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const withoutType = flat.replace(/^(smtp|x-[a-z0-9-]+|x-unix);\s*/i, '');
  const lead = /^(\d{3})([ -])([245]\.\d{1,3}\.\d{1,3} )?/.exec(withoutType);
  if (!lead) return withoutType;
  const prefix = new RegExp(`\\s${lead[1]}[ -]${lead[3] ? lead[3].trim().replace(/\./g, '\\.') : ''}\\s?`, 'g');
  const rest = withoutType.slice(lead[0].length).replace(prefix, ' ');
  return `${lead[1]} ${lead[3] ?? ''}${rest}`.replace(/\s+/g, ' ').trim();
}

function readReply(diagnostic: string): { code: number | null; status: string | null } {
  const code = /^([245]\d\d)\b/.exec(diagnostic)?.[1];
  // Not inside an IP address ("blocked 5.6.7.8"); "(#5.5.0)" is qmail's way of writing one.
  const status = /(?:^|[\s#(])([245]\.\d{1,3}\.\d{1,3})(?![.\d])/.exec(diagnostic)?.[1] ?? null;
  return { code: code ? Number(code) : null, status };
}

function normalStatus(status: string | null | undefined): string | null {
  const match = /([245])\.(\d{1,3})\.(\d{1,3})/.exec(status ?? '');
  return match ? `${match[1]}.${Number(match[2])}.${Number(match[3])}` : null;
}

// The enhanced status first (it is per recipient), then the reply code; with neither, a
// "failed" Action is final.
function permanence(status: string | null, smtpCode: number | null, action: string | null | undefined): boolean {
  if (status?.startsWith('5.')) return true;
  if (status?.startsWith('4.')) return false;
  if (smtpCode !== null) return smtpCode >= 500;
  return (action ?? 'failed').trim().toLowerCase() === 'failed';
}

// RFC 3463's subject.detail, for when the text says nothing useful (Postfix's full mailbox is
// "5.2.2" with the text "input/output error").
function categoryOfStatus(status: string | null): BounceCategory | undefined {
  if (!status) return undefined;
  const [, subject, detail] = status.split('.').map(Number) as [number, number, number];
  const code = `${subject}.${detail}`;
  const exact: Record<string, BounceCategory> = {
    '1.1': 'unknown_user',
    '1.2': 'unknown_domain',
    '1.3': 'unknown_user',
    '1.6': 'mailbox_disabled',
    '1.10': 'unknown_domain',
    '2.1': 'mailbox_disabled',
    '2.2': 'mailbox_full',
    '2.3': 'message_too_large',
    '3.4': 'message_too_large',
    '4.4': 'unknown_domain',
  };
  if (exact[code]) return exact[code];
  if (subject === 3 || subject === 4) return 'temporary';
  if (subject === 6 || subject === 7) return 'policy';
  return undefined;
}

import { describe, expect, it } from 'vitest';
import { type BounceCategory, type BounceEvidence, type BounceType, classifyBounce, cleanDiagnostic } from './classify.ts';

// Real-world replies (addresses and hosts replaced), as they appear in a DSN's Status and
// Diagnostic-Code. "disagree" marks cases where the class digit alone would classify wrongly.
const CASES: readonly (readonly [string, BounceEvidence, BounceType, BounceCategory])[] = [
  // Gmail
  [
    'Gmail: no such account',
    {
      status: '5.1.1',
      diagnostic:
        "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try\n 550-5.1.1 double-checking the recipient's email address for typos or\n 550-5.1.1 unnecessary spaces. For more information, go to\n 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser 41be03b00d2f7-5f4d1b0si3.12 - gsmtp",
    },
    'hard',
    'unknown_user',
  ],
  [
    'Gmail: account disabled',
    {
      status: '5.2.1',
      diagnostic: 'smtp; 550-5.2.1 The email account that you tried to reach is disabled. https://support.google.com/mail/?p=DisabledUser',
    },
    'hard',
    'mailbox_disabled',
  ],
  [
    'Gmail: over quota, transient',
    {
      status: '4.2.2',
      diagnostic: 'smtp; 452-4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to',
    },
    'soft',
    'mailbox_full',
  ],
  [
    'Gmail: over quota as 552 5.2.2 (disagree: permanent code, passing state)',
    {
      status: '5.2.2',
      diagnostic:
        'smtp; 552-5.2.2 The email account that you tried to reach is over quota. https://support.google.com/mail/?p=OverQuotaPerm',
    },
    'soft',
    'mailbox_full',
  ],
  [
    'Gmail: out of storage for so long that the account is inactive',
    { status: '5.2.2', diagnostic: "smtp; 552 5.2.2 The recipient's inbox is out of storage space and inactive." },
    'hard',
    'mailbox_disabled',
  ],
  [
    'Gmail: 550 5.2.1 receiving mail at a rate (disagree: mailbox-disabled code, throttling)',
    {
      status: '5.2.1',
      diagnostic:
        'smtp; 550-5.2.1 The user you are trying to contact is receiving mail at a rate that\n 550-5.2.1 prevents additional messages from being delivered. https://support.google.com/mail/?p=ReceivingRatePerm',
    },
    'soft',
    'rate_limited',
  ],
  [
    'Gmail: 550 5.7.1 email quota exceeded (disagree: policy code, full mailbox)',
    { status: '5.7.1', diagnostic: 'smtp; 550 5.7.1 Email quota exceeded.' },
    'soft',
    'mailbox_full',
  ],
  [
    'Gmail: unauthenticated sender blocked',
    {
      status: '5.7.26',
      diagnostic:
        'smtp; 550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.',
    },
    'soft',
    'policy',
  ],
  [
    'Gmail: unusual rate of unsolicited mail',
    {
      status: '4.7.28',
      diagnostic:
        'smtp; 421-4.7.28 Gmail has detected an unusual rate of mail originating from your IP. Mail has been temporarily rate limited.',
    },
    'soft',
    'rate_limited',
  ],
  [
    "Gmail: message exceeded Google's size limits",
    { status: '5.3.4', diagnostic: "smtp; 552-5.3.4 Your message exceeded Google's message size limits." },
    'soft',
    'message_too_large',
  ],
  // Outlook.com and Microsoft 365
  [
    'Outlook.com: 5.5.0 mailbox unavailable (disagree: syntax-class code, unknown user)',
    {
      status: '5.5.0',
      diagnostic:
        'smtp; 550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [BN1NAM02FT055.eop-nam02.prod.protection.outlook.com]',
    },
    'hard',
    'unknown_user',
  ],
  [
    'Microsoft 365: recipient not found',
    { status: '5.1.10', diagnostic: 'smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup' },
    'hard',
    'unknown_user',
  ],
  [
    'Microsoft 365: directory-based edge blocking, 5.4.1 (disagree: routing code, unknown user)',
    {
      status: '5.4.1',
      diagnostic:
        'smtp; 550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DM6NAM11FT012.eop-nam11.prod.protection.outlook.com]',
    },
    'hard',
    'unknown_user',
  ],
  [
    'Microsoft 365: quota exceeded as 554 5.2.2',
    {
      status: '5.2.2',
      diagnostic: 'smtp; 554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded',
    },
    'soft',
    'mailbox_full',
  ],
  [
    'Outlook.com: our network on their block list',
    {
      status: '5.7.1',
      diagnostic:
        "smtp; 550 5.7.1 Unfortunately, messages from [192.0.2.5] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
    },
    'soft',
    'policy',
  ],
  [
    'Outlook.com: server busy',
    { status: '4.7.500', diagnostic: 'smtp; 451 4.7.500 Server busy. Please try again later from [192.0.2.5]. (S77714)' },
    'soft',
    'temporary',
  ],
  // Yahoo
  [
    'Yahoo: no such account',
    {
      status: '5.0.0',
      diagnostic:
        "smtp; 554 delivery error: dd This user doesn't have a yahoo.com account (taro@yahoo.com) [0] - mta1234.mail.gq1.yahoo.com",
    },
    'hard',
    'unknown_user',
  ],
  [
    'Yahoo: mailbox disabled',
    {
      status: '5.0.0',
      diagnostic: 'smtp; 554 30 Sorry, your message to taro@yahoo.com cannot be delivered. This mailbox is disabled (554.30).',
    },
    'hard',
    'mailbox_disabled',
  ],
  [
    'Yahoo: deferred for volume (TSS04)',
    {
      status: '4.7.0',
      diagnostic:
        'smtp; 421 4.7.0 [TSS04] Messages from 192.0.2.5 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes',
    },
    'soft',
    'rate_limited',
  ],
  [
    'Yahoo: Spamhaus listing, 553 5.7.1 (permanent, but about us)',
    {
      status: '5.7.1',
      diagnostic: "smtp; 553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.5, because the ip is in Spamhaus's list",
    },
    'soft',
    'policy',
  ],
  // Postfix
  ['Postfix local(8): unknown user', { status: '5.1.1', diagnostic: 'X-Postfix; unknown user: "nobody-here"' }, 'hard', 'unknown_user'],
  [
    'Postfix local(8): mailbox over mailbox_size_limit, text says nothing (disagree: 5.x, full)',
    { status: '5.2.2', diagnostic: 'x-unix; input/output error' },
    'soft',
    'mailbox_full',
  ],
  [
    'Postfix relay: virtual mailbox table',
    { status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 <taro@example.jp>: Recipient address rejected: User unknown in virtual mailbox table' },
    'hard',
    'unknown_user',
  ],
  [
    'Postfix: no such domain',
    {
      status: '5.4.4',
      diagnostic: 'X-Postfix; Host or domain name not found. Name service error for name=example.invalid type=A: Host not found',
    },
    'hard',
    'unknown_domain',
  ],
  [
    'Postfix: DNS timeout after the queue lifetime (failed, but transient)',
    {
      action: 'failed',
      status: '4.4.3',
      diagnostic: 'X-Postfix; Host or domain name not found. Name service error for name=example.jp type=MX: Host not found, try again',
    },
    'soft',
    'temporary',
  ],
  [
    'Postfix: greylisting by postgrey',
    {
      status: '4.2.0',
      diagnostic:
        'smtp; 450 4.2.0 <taro@example.jp>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.jp.html',
    },
    'soft',
    'greylisted',
  ],
  [
    'Postfix: access table (policy under a recipient-rejected prefix)',
    { status: '5.7.1', diagnostic: 'smtp; 554 5.7.1 <taro@example.jp>: Recipient address rejected: Access denied' },
    'soft',
    'policy',
  ],
  [
    'Postfix: connection refused until the message expired',
    { action: 'failed', status: '4.4.1', diagnostic: 'X-Postfix; connect to mx.example.jp[192.0.2.7]:25: Connection refused' },
    'soft',
    'temporary',
  ],
  [
    'A 4xx "user unknown" (a directory lookup that failed) stays soft',
    { status: '4.1.1', diagnostic: 'smtp; 450 4.1.1 <taro@example.jp>: Recipient address rejected: User unknown in local recipient table' },
    'soft',
    'unknown_user',
  ],
  // Exim
  ['Exim: unrouteable address', { status: '5.0.0', diagnostic: 'X-Exim; Unrouteable address' }, 'hard', 'unknown_domain'],
  [
    'Exim: mailbox is full (appendfile)',
    { status: '5.0.0', diagnostic: 'X-Exim; mailbox is full: retry timeout exceeded' },
    'soft',
    'mailbox_full',
  ],
  [
    'Exim: our sender failed their callout, quoting "No Such User Here" (disagree: user text, about us)',
    {
      status: '5.0.0',
      diagnostic: 'smtp; 550-Verification failed for <bounce@mail.example.com>\n 550-No Such User Here\n 550 Sender verify failed',
    },
    'soft',
    'policy',
  ],
  [
    'Exim: retry time not reached',
    { status: '4.0.0', action: 'failed', diagnostic: 'X-Exim; retry time not reached for any host after a long failure period' },
    'soft',
    'temporary',
  ],
  [
    'A 550 that says try again later (disagree: permanent code, transient text)',
    { status: '5.0.0', diagnostic: 'smtp; 550 Too busy, please try again later' },
    'soft',
    'temporary',
  ],
  // Japanese carriers
  [
    'docomo: unknown user (also its answer to a subscriber blocking the sender)',
    { status: '5.0.0', diagnostic: 'smtp; 550 Unknown user ***@docomo.ne.jp' },
    'hard',
    'unknown_user',
  ],
  ['docomo: too much mail data', { status: '5.0.0', diagnostic: 'smtp; 552 too much mail data' }, 'soft', 'mailbox_full'],
  ['au (KDDI): user unknown', { status: '5.1.1', diagnostic: 'smtp; 550 <***@ezweb.ne.jp>: User unknown' }, 'hard', 'unknown_user'],
  [
    'SoftBank: invalid recipient',
    { status: '5.1.1', diagnostic: 'smtp; 550 Invalid recipient: <***@softbank.ne.jp>' },
    'hard',
    'unknown_user',
  ],
  [
    'A Japanese-language server: recipient does not exist',
    { status: '5.0.0', diagnostic: 'smtp; 550 宛先のメールアドレスは存在しません' },
    'hard',
    'unknown_user',
  ],
  [
    'A Japanese-language server: mailbox capacity',
    { status: '5.0.0', diagnostic: 'smtp; 552 メールボックスの容量が上限を超えています' },
    'soft',
    'mailbox_full',
  ],
  // Codes alone
  ['Status only: 5.1.1', { status: '5.1.1' }, 'hard', 'unknown_user'],
  ['Status only: 5.1.10 (null MX)', { status: '5.1.10' }, 'hard', 'unknown_domain'],
  ['Status only: 5.3.4', { status: '5.3.4' }, 'soft', 'message_too_large'],
  [
    'Status 5.0.0, reply says 5.1.1: the reply is more specific',
    { status: '5.0.0', diagnostic: 'smtp; 550 5.1.1 rejected' },
    'hard',
    'unknown_user',
  ],
  ['Reply code only, permanent and unexplained', { diagnostic: '550 rejected' }, 'soft', 'other'],
  ['Nothing but a failed Action', { action: 'failed' }, 'soft', 'other'],
  [
    'A delayed DSN is soft whatever its text',
    { action: 'delayed', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 User unknown' },
    'soft',
    'unknown_user',
  ],
];

describe('classifyBounce', () => {
  it.each(CASES)('%s', (_name, evidence, type, category) => {
    const result = classifyBounce({ action: 'failed', ...evidence });
    expect({ type: result.type, category: result.category }).toEqual({ type, category });
  });

  it('keeps the most specific status: the Status field unless it says X.0.0', () => {
    expect(classifyBounce({ status: '5.0.0', diagnostic: 'smtp; 550 5.1.1 <a@b.jp>: User unknown' }).status).toBe('5.1.1');
    expect(classifyBounce({ status: '4.4.7', diagnostic: 'smtp; 452 4.2.2 Mailbox full' }).status).toBe('4.4.7');
    expect(classifyBounce({ diagnostic: '550 no' }).status).toBeNull();
    expect(classifyBounce({ diagnostic: '554 Client host 5.6.7.8 blocked' }).status).toBeNull();
    expect(classifyBounce({ diagnostic: '550 invalid address (#5.1.1)' }).status).toBe('5.1.1');
  });

  it('takes a reply code given apart from the text (a synchronous refusal)', () => {
    expect(classifyBounce({ smtpCode: 550, diagnostic: 'Requested action not taken: mailbox unavailable' })).toMatchObject({
      type: 'hard',
      category: 'unknown_user',
    });
    expect(classifyBounce({ smtpCode: 450, diagnostic: 'Requested action not taken: mailbox unavailable' }).type).toBe('soft');
  });
});

describe('cleanDiagnostic', () => {
  it('joins a multi-line reply and drops its type and continuation prefixes', () => {
    expect(
      cleanDiagnostic(
        "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try\n 550-5.1.1 double-checking the recipient's email address for typos or\n 550 5.1.1 unnecessary spaces.",
      ),
    ).toBe(
      "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
    );
    expect(cleanDiagnostic('X-Postfix; unknown user: "nobody"')).toBe('unknown user: "nobody"');
    expect(cleanDiagnostic('')).toBe('');
  });
});

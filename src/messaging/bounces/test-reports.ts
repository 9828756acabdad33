// Builders of RFC-shaped reports for tests: a DSN as an MTA writes it (RFC 3464) and an abuse
// report as a mailbox provider's feedback loop sends it (RFC 5965).

export interface OriginalHeaders {
  messageId?: string;
  deliveryId?: string;
  returnPath?: string;
  to?: string;
}

export interface DsnOptions {
  /** The envelope/header recipient of the DSN: the return path. */
  to: string;
  recipient: string;
  action?: 'failed' | 'delayed' | 'delivered';
  status: string;
  diagnostic: string;
  original?: OriginalHeaders;
  /** Quote only the headers (text/rfc822-headers) instead of the whole message. */
  headersOnly?: boolean;
  boundary?: string;
}

/** A Postfix-style DSN for one recipient. */
export function dsnMessage({
  to,
  recipient,
  action = 'failed',
  status,
  diagnostic,
  original = {},
  headersOnly = false,
  boundary = 'B0UND.1775400000/mta.example.net',
}: DsnOptions): string {
  return lines([
    'From: Mail Delivery System <MAILER-DAEMON@mta.example.net>',
    `To: ${to}`,
    action === 'delayed' ? 'Subject: Delayed Mail (still being retried)' : 'Subject: Undelivered Mail Returned to Sender',
    'Date: Mon, 6 Apr 2026 10:00:05 +0900 (JST)',
    'Message-Id: <20260406010005.AB12C3D4E5@mta.example.net>',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mta.example.net.',
    '',
    `<${recipient}>: ${diagnostic.replace(/^[^;]*;\s*/, '')}`,
    '',
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mta.example.net',
    'X-Postfix-Queue-ID: AB12C3D4E5',
    'Arrival-Date: Mon, 6 Apr 2026 10:00:00 +0900 (JST)',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    `Original-Recipient: rfc822;${recipient}`,
    `Action: ${action}`,
    `Status: ${status}`,
    'Remote-MTA: dns; mx.example.jp',
    `Diagnostic-Code: ${diagnostic}`,
    ...(action === 'delayed' ? ['Will-Retry-Until: Sat, 11 Apr 2026 10:00:00 +0900 (JST)'] : []),
    '',
    `--${boundary}`,
    `Content-Description: ${headersOnly ? 'Undelivered Message Headers' : 'Undelivered Message'}`,
    `Content-Type: ${headersOnly ? 'text/rfc822-headers' : 'message/rfc822'}`,
    '',
    ...originalMessage({ to: recipient, ...original }, headersOnly),
    `--${boundary}--`,
    '',
  ]);
}

export interface ArfOptions {
  to: string;
  feedbackType?: string;
  originalMailFrom?: string;
  originalRcptTo?: string;
  original?: OriginalHeaders;
  headersOnly?: boolean;
}

/** An ARF abuse report as a feedback loop sends it. */
export function arfMessage({
  to,
  feedbackType = 'abuse',
  originalMailFrom,
  originalRcptTo = 'taro@example.jp',
  original = {},
  headersOnly = false,
}: ArfOptions): string {
  const boundary = 'arf_boundary_3f2a';
  return lines([
    'From: Feedback Loop <feedback@fbl.example.jp>',
    `To: ${to}`,
    'Subject: FW: Spring sale',
    'Date: Tue, 7 Apr 2026 09:12:00 +0900',
    'Message-ID: <fbl-778812@fbl.example.jp>',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=feedback-report;\r\n\tboundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset="US-ASCII"',
    'Content-Transfer-Encoding: 7bit',
    '',
    'This is an email abuse report for an email message received from IP 192.0.2.25 on Tue, 7 Apr 2026 09:10:00 +0900.',
    '',
    `--${boundary}`,
    'Content-Type: message/feedback-report',
    '',
    `Feedback-Type: ${feedbackType}`,
    'User-Agent: ExampleFBL/1.0',
    'Version: 1',
    ...(originalMailFrom ? [`Original-Mail-From: <${originalMailFrom}>`] : []),
    `Original-Rcpt-To: <${originalRcptTo}>`,
    'Arrival-Date: Tue, 7 Apr 2026 09:10:00 +0900',
    'Reporting-MTA: dns; fbl.example.jp',
    'Source-IP: 192.0.2.25',
    'Reported-Domain: mail.example.com',
    '',
    `--${boundary}`,
    `Content-Type: ${headersOnly ? 'text/rfc822-headers' : 'message/rfc822'}`,
    'Content-Disposition: inline',
    '',
    ...originalMessage({ to: originalRcptTo, ...original }, headersOnly),
    `--${boundary}--`,
    '',
  ]);
}

function originalMessage({ messageId, deliveryId, returnPath, to }: OriginalHeaders, headersOnly: boolean): string[] {
  return [
    ...(returnPath ? [`Return-Path: <${returnPath}>`] : []),
    'Received: from kizuna.example.com (kizuna.example.com [192.0.2.25])\r\n\tby mta.example.net (Postfix) with ESMTP id AB12C3D4E5',
    'From: Kizuna Shop <news@mail.example.com>',
    `To: ${to ?? 'taro@example.jp'}`,
    'Subject: Spring sale',
    'Date: Mon, 6 Apr 2026 10:00:00 +0900',
    ...(messageId ? [`Message-ID: ${messageId}`] : []),
    ...(deliveryId ? [`X-Kizuna-Delivery: ${deliveryId}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    ...(headersOnly ? [] : ['Spring sale: everything 20% off.', '']),
  ];
}

function lines(parts: string[]): string {
  return parts.join('\r\n');
}

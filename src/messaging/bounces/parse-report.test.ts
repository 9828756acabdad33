import { describe, expect, it } from 'vitest';
import { classifyBounce } from './classify.ts';
import { fieldGroups, parseReport } from './parse-report.ts';

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

// What Debian's Postfix 3.7 returned for a local user that does not exist (only ids shortened).
const POSTFIX_UNKNOWN_USER = crlf(`Received: by mail.kizuna.test (Postfix)
	id E3CCE1684A6; Thu,  3 Dec 2026 06:04:19 +0000 (UTC)
Date: Thu,  3 Dec 2026 06:04:19 +0000 (UTC)
From: Mail Delivery System <MAILER-DAEMON@mail.kizuna.test>
Subject: Undelivered Mail Returned to Sender
To: b-0123456789abcdef0123456789abcdef0123456789abcdef@bounces.kizuna.test
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="DAA4D1684A0.1796277859/mail.kizuna.test"
Content-Transfer-Encoding: 8bit
Message-Id: <20261203060419.E3CCE1684A6@mail.kizuna.test>

This is a MIME-encapsulated message.

--DAA4D1684A0.1796277859/mail.kizuna.test
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mail.kizuna.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<nobody-here@mail.kizuna.test>: unknown user: "nobody-here"

--DAA4D1684A0.1796277859/mail.kizuna.test
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.kizuna.test
X-Postfix-Queue-ID: DAA4D1684A0
X-Postfix-Sender: rfc822; b-0123456789abcdef0123456789abcdef0123456789abcdef@bounces.kizuna.test
Arrival-Date: Thu,  3 Dec 2026 06:04:19 +0000 (UTC)

Final-Recipient: rfc822; nobody-here@mail.kizuna.test
Original-Recipient: rfc822;nobody-here@mail.kizuna.test
Action: failed
Status: 5.1.1
Diagnostic-Code: X-Postfix; unknown user: "nobody-here"

--DAA4D1684A0.1796277859/mail.kizuna.test
Content-Description: Undelivered Message
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

Return-Path: <b-0123456789abcdef0123456789abcdef0123456789abcdef@bounces.kizuna.test>
Received: from [127.0.0.1] (unknown [127.0.0.1])
	by mail.kizuna.test (Postfix) with ESMTP id DAA4D1684A0
	for <nobody-here@mail.kizuna.test>; Thu,  3 Dec 2026 06:04:19 +0000 (UTC)
X-Kizuna-Delivery: 7d3e1c1a-0b7e-4f6b-9a51-6a0f1c2b3d4e
From: Kizuna <news@kizuna.test>
To: nobody-here@mail.kizuna.test
Subject: test
Message-ID: <7d3e1c1a-0b7e-4f6b-9a51-6a0f1c2b3d4e@kizuna.test>
Date: Thu, 03 Dec 2026 06:04:19 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

hello

--DAA4D1684A0.1796277859/mail.kizuna.test--
`);

// Our relay (Postfix) refused by Gmail at RCPT: a folded multi-line reply, headers only returned.
const POSTFIX_FROM_GMAIL = crlf(`From: MAILER-DAEMON@relay.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: b-1f0c2a9e6b7d4c8e9f0a1b2c3d4e5f60a1b2c3d4e5f60718@bounces.example.com
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="9A1B2C3D4E.1775437200/relay.example.com"

--9A1B2C3D4E.1775437200/relay.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

<taro.yamada@gmail.com>: host gmail-smtp-in.l.google.com[142.250.0.26] said:
    550-5.1.1 The email account that you tried to reach does not exist.

--9A1B2C3D4E.1775437200/relay.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.com
X-Postfix-Queue-ID: 9A1B2C3D4E
Arrival-Date: Mon,  6 Apr 2026 10:00:00 +0900 (JST)

Final-Recipient: rfc822; taro.yamada@gmail.com
Original-Recipient: rfc822;taro.yamada@gmail.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.com
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does
    not exist. Please try 550-5.1.1 double-checking the recipient's email
    address for typos or 550-5.1.1 unnecessary spaces. For more information, go
    to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser
    d2e1a72fcca58-7393d7a5e2bsi1234567b3a.123 - gsmtp

--9A1B2C3D4E.1775437200/relay.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <b-1f0c2a9e6b7d4c8e9f0a1b2c3d4e5f60a1b2c3d4e5f60718@bounces.example.com>
From: Kizuna Shop <news@mail.example.com>
To: taro.yamada@gmail.com
Subject: =?UTF-8?B?5pil44Gu44K744O844Or?=
Message-ID: <1f0c2a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60@mail.example.com>
X-Kizuna-Delivery: 1f0c2a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60

--9A1B2C3D4E.1775437200/relay.example.com--
`);

// Exchange Online's NDR: an HTML/text alternative first, field names in its own capitalisation.
const MICROSOFT_NDR = crlf(`From: postmaster@contoso.onmicrosoft.com
To: <b-1f0c2a9e6b7d4c8e9f0a1b2c3d4e5f60a1b2c3d4e5f60718@bounces.example.com>
Subject: Undeliverable: Spring sale
Content-Type: multipart/report; report-type=delivery-status;
	boundary="_000_a1b2c3d4e5f6_"
MIME-Version: 1.0

--_000_a1b2c3d4e5f6_
Content-Type: multipart/alternative; differences=Content-Type;
	boundary="_002_a1b2c3d4e5f6_"

--_002_a1b2c3d4e5f6_
Content-Type: text/plain; charset="us-ascii"

Your message to hanako@contoso.com couldn't be delivered.

--_002_a1b2c3d4e5f6_
Content-Type: text/html; charset="us-ascii"

<html><body><p>Your message to hanako@contoso.com couldn't be delivered.</p></body></html>

--_002_a1b2c3d4e5f6_--

--_000_a1b2c3d4e5f6_
Content-Type: message/delivery-status

Reporting-MTA: dns;BN8PR04MB6100.namprd04.prod.outlook.com
Received-From-MTA: dns;relay.example.com
Arrival-Date: Mon, 6 Apr 2026 01:00:00 +0000

Final-recipient: RFC822; hanako@contoso.com
Action: failed
Status: 5.1.10
Diagnostic-code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup

--_000_a1b2c3d4e5f6_
Content-Type: text/rfc822-headers

Received: from relay.example.com (192.0.2.25) by BN8PR04MB6100.namprd04.prod.outlook.com
From: Kizuna Shop <news@mail.example.com>
To: <hanako@contoso.com>
Subject: Spring sale
Message-ID: <1f0c2a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60@mail.example.com>
--_000_a1b2c3d4e5f6_--
`);

// Exim reporting two recipients of one message (not our VERP case, but MTAs do it).
const EXIM_TWO_RECIPIENTS = crlf(`From: Mail Delivery System <Mailer-Daemon@mx.example.net>
To: bounce@mail.example.com
Subject: Mail delivery failed: returning message to sender
Content-Type: multipart/report; report-type=delivery-status; boundary=1775437200-eximdsn-1804289383
MIME-Version: 1.0

--1775437200-eximdsn-1804289383
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

--1775437200-eximdsn-1804289383
Content-type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Action: failed
Final-Recipient: rfc822;jiro@example.net
Status: 5.0.0
Diagnostic-Code: X-Exim; Unrouteable address

Action: delayed
Final-Recipient: rfc822;saburo@example.net
Status: 4.0.0
Remote-MTA: dns; mx2.example.net
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full
Will-Retry-Until: Wed, 8 Apr 2026 10:00:00 +0900

--1775437200-eximdsn-1804289383
Content-type: message/rfc822

From: news@mail.example.com
To: jiro@example.net, saburo@example.net
Subject: Spring sale
Message-ID: <x1@mail.example.com>

Sale.
--1775437200-eximdsn-1804289383--
`);

// A feedback-loop report in the shape of RFC 5965 Appendix B.2, quoting the whole message.
const ARF_ABUSE = crlf(`From: <abusedesk@fbl.example.jp>
Date: Tue, 7 Apr 2026 09:12:00 +0900
Subject: FW: Spring sale
To: <fbl@bounces.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
     boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.25 on Tue, 7 Apr 2026 09:10:00 +0900.
For more information about this format please see
http://www.mipassoc.org/arf/.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <b-1f0c2a9e6b7d4c8e9f0a1b2c3d4e5f60a1b2c3d4e5f60718@bounces.example.com>
Original-Rcpt-To: <hanako@example.jp>
Arrival-Date: Tue, 7 Apr 2026 09:10:00 +0900
Reporting-MTA: dns; fbl.example.jp
Source-IP: 192.0.2.25
Authentication-Results: mail.example.jp;
  spf=pass smtp.mail=b-1f0c2a9e6b7d4c8e9f0a1b2c3d4e5f60a1b2c3d4e5f60718@bounces.example.com
Reported-Domain: mail.example.com

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

Return-Path: <b-1f0c2a9e6b7d4c8e9f0a1b2c3d4e5f60a1b2c3d4e5f60718@bounces.example.com>
From: Kizuna Shop <news@mail.example.com>
Received: from relay.example.com (relay.example.com [192.0.2.25])
      by mx.example.jp with ESMTP id O8GdP9ZGwk
      for <hanako@example.jp>; Tue, 7 Apr 2026 09:10:00 +0900
To: <hanako@example.jp>
Subject: Spring sale
Message-ID: <1f0c2a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60@mail.example.com>
X-Kizuna-Delivery: 1f0c2a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60
Date: Mon, 6 Apr 2026 10:00:00 +0900

Spring sale: everything 20% off.

--part1_13d.2e68ed54_boundary--
`);

// A redacted report quoting headers only; a "not-spam" verdict is no complaint.
const ARF_NOT_SPAM_HEADERS = crlf(`From: feedback@fbl.example.net
To: fbl@bounces.example.com
Subject: Feedback report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="b2"

--b2
Content-Type: text/plain

A recipient marked a message as not spam.

--b2
Content-Type: message/feedback-report

Feedback-Type: not-spam
User-Agent: Example-FBL/2.1
Version: 1

--b2
Content-Type: text/rfc822-headers

From: Kizuna Shop <news@mail.example.com>
To: redacted@example.net
Message-ID: <0a0b0c0d-0000-4000-8000-000000000001@mail.example.com>
--b2--
`);

const VACATION = crlf(`From: hanako@example.jp
To: b-1f0c2a9e6b7d4c8e9f0a1b2c3d4e5f60a1b2c3d4e5f60718@bounces.example.com
Subject: Out of office
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8

I am away until Monday.
`);

describe('parseReport: delivery status notifications', () => {
  it("reads Postfix's DSN for an unknown local user, with the returned message's ids", async () => {
    const report = await parseReport(POSTFIX_UNKNOWN_USER);
    expect(report).toEqual({
      kind: 'dsn',
      to: ['b-0123456789abcdef0123456789abcdef0123456789abcdef@bounces.kizuna.test'],
      reportingMta: 'mail.kizuna.test',
      recipients: [
        {
          finalRecipient: 'nobody-here@mail.kizuna.test',
          originalRecipient: 'nobody-here@mail.kizuna.test',
          action: 'failed',
          status: '5.1.1',
          diagnostic: 'X-Postfix; unknown user: "nobody-here"',
          remoteMta: null,
        },
      ],
      original: {
        messageId: '<7d3e1c1a-0b7e-4f6b-9a51-6a0f1c2b3d4e@kizuna.test>',
        deliveryHeader: '7d3e1c1a-0b7e-4f6b-9a51-6a0f1c2b3d4e',
        returnPath: 'b-0123456789abcdef0123456789abcdef0123456789abcdef@bounces.kizuna.test',
      },
    });
  });

  it('joins a folded multi-line Gmail reply and reads headers-only returns (text/rfc822-headers)', async () => {
    const report = await parseReport(POSTFIX_FROM_GMAIL);
    if (report.kind !== 'dsn') throw new Error(`expected a DSN, got ${report.kind}`);
    const [recipient] = report.recipients;
    expect(recipient?.remoteMta).toBe('gmail-smtp-in.l.google.com');
    expect(report.original.deliveryHeader).toBe('1f0c2a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60');
    expect(classifyBounce({ ...recipient, action: recipient?.action })).toMatchObject({
      type: 'hard',
      category: 'unknown_user',
      status: '5.1.1',
      diagnostic: expect.stringMatching(
        /^550 5\.1\.1 The email account that you tried to reach does not exist\. Please try double-checking/,
      ),
    });
  });

  it("reads Exchange Online's NDR (nested alternative, its own field capitalisation)", async () => {
    const report = await parseReport(MICROSOFT_NDR);
    if (report.kind !== 'dsn') throw new Error(`expected a DSN, got ${report.kind}`);
    expect(report.recipients).toEqual([
      expect.objectContaining({ finalRecipient: 'hanako@contoso.com', action: 'failed', status: '5.1.10' }),
    ]);
    expect(report.original).toEqual({
      messageId: '<1f0c2a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60@mail.example.com>',
      deliveryHeader: null,
      returnPath: null,
    });
  });

  it('keeps every recipient of a multi-recipient DSN with its own Action', async () => {
    const report = await parseReport(EXIM_TWO_RECIPIENTS);
    if (report.kind !== 'dsn') throw new Error(`expected a DSN, got ${report.kind}`);
    expect(report.recipients.map((r) => [r.finalRecipient, r.action, r.status])).toEqual([
      ['jiro@example.net', 'failed', '5.0.0'],
      ['saburo@example.net', 'delayed', '4.0.0'],
    ]);
    expect(report.original.messageId).toBe('<x1@mail.example.com>');
  });
});

describe('parseReport: abuse reports (ARF)', () => {
  it('reads the feedback type, the envelope sender and the quoted message', async () => {
    expect(await parseReport(ARF_ABUSE)).toEqual({
      kind: 'arf',
      to: ['fbl@bounces.example.com'],
      feedbackType: 'abuse',
      userAgent: 'SomeGenerator/1.0',
      originalMailFrom: 'b-1f0c2a9e6b7d4c8e9f0a1b2c3d4e5f60a1b2c3d4e5f60718@bounces.example.com',
      originalRcptTo: 'hanako@example.jp',
      original: {
        messageId: '<1f0c2a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60@mail.example.com>',
        deliveryHeader: '1f0c2a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60',
        returnPath: 'b-1f0c2a9e6b7d4c8e9f0a1b2c3d4e5f60a1b2c3d4e5f60718@bounces.example.com',
      },
    });
  });

  it('reads a redacted headers-only report and its not-spam verdict', async () => {
    expect(await parseReport(ARF_NOT_SPAM_HEADERS)).toMatchObject({
      kind: 'arf',
      feedbackType: 'not-spam',
      originalMailFrom: null,
      originalRcptTo: null,
      original: { messageId: '<0a0b0c0d-0000-4000-8000-000000000001@mail.example.com>', deliveryHeader: null },
    });
  });
});

describe('parseReport: anything else', () => {
  it('is other, with the reason, and never throws', async () => {
    expect(await parseReport(VACATION)).toEqual({ kind: 'other', reason: 'not a multipart/report' });
    expect(await parseReport(Buffer.from([0, 1, 2, 255, 254]))).toMatchObject({ kind: 'other' });
    expect(await parseReport('')).toMatchObject({ kind: 'other' });
    const disposition = POSTFIX_UNKNOWN_USER.replace(/report-type=delivery-status/, 'report-type=disposition-notification').replace(
      /Content-Type: message\/delivery-status/,
      'Content-Type: message/disposition-notification',
    );
    expect(await parseReport(disposition)).toEqual({ kind: 'other', reason: 'report-type=disposition-notification is not handled' });
  });
});

describe('fieldGroups', () => {
  it('splits on blank lines, unfolds continuation lines and keeps the first of a repeated field', () => {
    expect(
      fieldGroups(
        'Reporting-MTA: dns; a\r\n\r\nAction: failed\r\nDiagnostic-Code: smtp; 550 5.1.1\r\n  no such user\r\nAction: delayed\r\n',
      ).map((g) => Object.fromEntries(g)),
    ).toEqual([{ 'reporting-mta': 'dns; a' }, { action: 'failed', 'diagnostic-code': 'smtp; 550 5.1.1\n  no such user' }]);
  });
});

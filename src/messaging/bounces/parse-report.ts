import { type Attachment, type HeaderLines, simpleParser } from 'mailparser';

export const DELIVERY_HEADER = 'X-Kizuna-Delivery';

/** One recipient's part of a DSN (RFC 3464 §2.3). Addresses without their type ("rfc822;"). */
export interface RecipientStatus {
  finalRecipient: string | null;
  originalRecipient: string | null;
  /** failed, delayed, delivered, relayed or expanded, lower-cased. */
  action: string;
  status: string | null;
  /** The Diagnostic-Code as sent, type included ("smtp; 550 5.1.1 …"). */
  diagnostic: string | null;
  remoteMta: string | null;
}

/** What the report quotes of our message (its headers, or all of it). */
export interface ReturnedMessage {
  messageId: string | null;
  /** The X-Kizuna-Delivery header, unverified. */
  deliveryHeader: string | null;
  returnPath: string | null;
}

export type ParsedReport =
  | { kind: 'dsn'; to: string[]; reportingMta: string | null; recipients: RecipientStatus[]; original: ReturnedMessage }
  | {
      kind: 'arf';
      to: string[];
      /** abuse, fraud, virus, other, not-spam, auth-failure… (RFC 5965 §3.1, RFC 6591), lower-cased. */
      feedbackType: string;
      userAgent: string | null;
      originalMailFrom: string | null;
      originalRcptTo: string | null;
      original: ReturnedMessage;
    }
  | { kind: 'other'; reason: string };

const STATUS_PARTS = new Set(['message/delivery-status', 'message/global-delivery-status']);
const ORIGINAL_PARTS = new Set(['message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers']);

// keepDeliveryStatus: mailparser would otherwise fold the status part into the text body.
// ignoreEmbedded (passed through to its MIME splitter): an inline message/rfc822, as RFC 5965's
// own example sends the reported message, would otherwise be parsed into the body and its
// Message-ID lost; kept whole, it is an attachment we read the headers of.
const REPORT_PARSING = {
  keepDeliveryStatus: true,
  ignoreEmbedded: true,
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipImageLinks: true,
} as Parameters<typeof simpleParser>[1];

/**
 * Reads an inbound message as a delivery status notification (RFC 3464), an abuse report in the
 * Abuse Reporting Format (RFC 5965), or neither. Never throws for a malformed message: a message
 * that cannot be read is `other`, since reading it again would not help.
 * @example const report = await parseReport(raw); if (report.kind === 'dsn') report.recipients[0]?.status
 */
export async function parseReport(raw: Buffer | string): Promise<ParsedReport> {
  let parsed: Awaited<ReturnType<typeof simpleParser>>;
  try {
    parsed = await simpleParser(raw, REPORT_PARSING);
  } catch (error) {
    return { kind: 'other', reason: `unreadable message: ${(error as Error).message}` };
  }
  const contentType = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const reportType = contentType?.value === 'multipart/report' ? contentType.params?.['report-type']?.toLowerCase() : undefined;
  const statusPart = parsed.attachments.find((a) => STATUS_PARTS.has(a.contentType));
  const feedbackPart = parsed.attachments.find((a) => a.contentType === 'message/feedback-report');
  const originalPart = parsed.attachments.find((a) => ORIGINAL_PARTS.has(a.contentType));
  // The report's own To: the return path, which names the delivery when no envelope is at hand.
  const to = [parsed.to ?? []].flat().flatMap((group) => group.value.flatMap((a) => (a.address ? [a.address] : [])));

  if (feedbackPart && (reportType === 'feedback-report' || !statusPart)) {
    const [fields = new Map<string, string>()] = fieldGroups(feedbackPart.content.toString('utf8'));
    const feedbackType = fields.get('feedback-type')?.toLowerCase();
    if (!feedbackType) return { kind: 'other', reason: 'feedback report without a Feedback-Type' };
    return {
      kind: 'arf',
      to,
      feedbackType,
      userAgent: fields.get('user-agent') ?? null,
      originalMailFrom: address(fields.get('original-mail-from')),
      originalRcptTo: address(fields.get('original-rcpt-to')),
      original: await returnedMessage(originalPart),
    };
  }
  if (statusPart) {
    const groups = fieldGroups(statusPart.content.toString('utf8'));
    const perMessage = groups.find((g) => g.has('reporting-mta'));
    const recipients = groups
      .filter((g) => g.has('action') || g.has('final-recipient'))
      .map(
        (g): RecipientStatus => ({
          finalRecipient: address(g.get('final-recipient')),
          originalRecipient: address(g.get('original-recipient')),
          action: (g.get('action') ?? 'failed').trim().toLowerCase(),
          status: g.get('status') ?? null,
          diagnostic: g.get('diagnostic-code') ?? null,
          remoteMta: typed(g.get('remote-mta')),
        }),
      );
    if (recipients.length === 0) return { kind: 'other', reason: 'delivery status without a recipient' };
    return {
      kind: 'dsn',
      to,
      reportingMta: typed(perMessage?.get('reporting-mta')),
      recipients,
      original: await returnedMessage(originalPart),
    };
  }
  return { kind: 'other', reason: reportType ? `report-type=${reportType} is not handled` : 'not a multipart/report' };
}

/**
 * Groups of header-style fields separated by blank lines (the body of message/delivery-status
 * and message/feedback-report): names lower-cased, folded lines joined, the first of a repeated
 * field kept.
 */
export function fieldGroups(text: string): Map<string, string>[] {
  const groups: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.size > 0) groups.push(current);
      current = new Map();
      last = undefined;
    } else if (/^[ \t]/.test(line) && last) {
      current.set(last, `${current.get(last)}\n${line}`);
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (current.has(name)) {
        last = undefined;
        continue;
      }
      current.set(name, line.slice(colon + 1).trim());
      last = name;
    }
  }
  if (current.size > 0) groups.push(current);
  return groups;
}

async function returnedMessage(part: Attachment | undefined): Promise<ReturnedMessage> {
  if (!part) return { messageId: null, deliveryHeader: null, returnPath: null };
  // Only the header block matters; some reports cut the headers short of their blank line.
  const text = part.content.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const headerBlock = `${end < 0 ? text : text.slice(0, end)}\r\n\r\n`;
  const inner = await simpleParser(headerBlock, { skipHtmlToText: true, skipTextToHtml: true });
  return {
    messageId: inner.messageId ?? null,
    deliveryHeader: headerValue(inner.headerLines, DELIVERY_HEADER),
    returnPath: address(headerValue(inner.headerLines, 'Return-Path') ?? undefined),
  };
}

function headerValue(lines: HeaderLines, name: string): string | null {
  const line = lines.find((l) => l.key === name.toLowerCase())?.line;
  return line === undefined
    ? null
    : line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim() || null;
}

/** "rfc822; <a@b.jp>" → "a@b.jp" (the address type dropped; RFC 3464 §2.1.2). */
function address(value: string | undefined): string | null {
  const bare = typed(value)?.replace(/^<|>$/g, '').trim();
  return bare ? bare : null;
}

/** "dns; mx.example.jp" → "mx.example.jp". */
function typed(value: string | undefined): string | null {
  if (value === undefined) return null;
  const semicolon = value.indexOf(';');
  return (semicolon < 0 ? value : value.slice(semicolon + 1)).replace(/\s+/g, ' ').trim() || null;
}

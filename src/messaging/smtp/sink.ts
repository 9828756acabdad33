import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type AddressObject, type HeaderLines, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { type Clock, systemClock } from '../../platform/clock.ts';
import { KizunaError } from '../../platform/errors.ts';
import { type CaughtMail, createMailbox, type Mailbox } from './mailbox.ts';

export const WORKSPACE_HEADER = 'X-Kizuna-Workspace';

export interface SinkAddress {
  host: string;
  port: number;
}

/** The dev SMTP sink: an SMTP server on loopback that keeps what it receives in a mailbox. */
export interface MailSink extends Omit<Mailbox, 'add'> {
  /** Listens; resolves with the bound address (the real port when 0 was asked for). */
  start(): Promise<SinkAddress>;
  /** Stops listening; open client connections get a short grace period. */
  stop(): Promise<void>;
  /** The bound address; throws before start(). */
  address(): SinkAddress;
  /** The mailbox behind the sink (for routes, which need no SMTP). */
  mailbox: Mailbox;
}

export interface MailSinkOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Loopback only by default: the sink has no authentication and no TLS. */
  host?: string;
  maxMessages?: number;
  maxMessageBytes?: number;
  clock?: Clock;
  /** A client's connection failing (a reset, a timeout): reported, never fatal. */
  onConnectionError?: (error: Error) => void;
}

/**
 * Creates the sink; nothing listens until start().
 * @example const sink = createMailSink({ port: 0 }); const { port } = await sink.start();
 */
export function createMailSink({
  port = 2525,
  host = '127.0.0.1',
  maxMessages = 1000,
  maxMessageBytes = 25 * 1024 * 1024,
  clock = systemClock,
  onConnectionError = () => {},
}: MailSinkOptions = {}): MailSink {
  const mailbox = createMailbox({ maxMessages });
  let bound: SinkAddress | undefined;
  let failStart: ((error: Error) => void) | undefined;
  const server = new SMTPServer({
    name: 'kizuna-dev-sink',
    banner: 'Kizuna dev mail sink: nothing is delivered',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: maxMessageBytes,
    logger: false,
    closeTimeout: 500,
    onData(stream, session, callback) {
      receive(stream, session, clock, maxMessageBytes).then(
        (mail) => {
          mailbox.add(mail);
          callback(null, `Caught as ${mail.id}`);
        },
        (error: Error & { responseCode?: number }) => callback(error),
      );
    },
  });
  // smtp-server emits listen errors and every client connection's errors here; without a
  // listener one client hanging up mid-message would crash the process.
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (!failStart) return onConnectionError(error);
    failStart(
      error.code === 'EADDRINUSE'
        ? new KizunaError(
            'config_invalid',
            `KIZUNA_MAIL_SINK_PORT: ${host}:${port} is in use; choose another port, or 0 for any free one`,
            {
              cause: error,
            },
          )
        : error,
    );
  });

  return {
    mailbox,
    list: mailbox.list,
    get: mailbox.get,
    clear: mailbox.clear,
    waitFor: mailbox.waitFor,
    address: () => {
      if (!bound) throw new Error('the mail sink has not been started');
      return bound;
    },
    start: () =>
      new Promise((resolve, reject) => {
        failStart = reject;
        server.listen(port, host, () => {
          failStart = undefined;
          bound = { host, port: (server.server.address() as AddressInfo).port };
          resolve(bound);
        });
      }),
    stop: () => new Promise((resolve) => (bound ? server.close(() => resolve()) : resolve())),
  };
}

async function receive(stream: SMTPServerDataStream, session: SMTPServerSession, clock: Clock, maxBytes: number): Promise<CaughtMail> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  if (stream.sizeExceeded) throw Object.assign(new Error(`message exceeds the sink's limit of ${maxBytes} bytes`), { responseCode: 552 });
  const raw = Buffer.concat(chunks);
  const parsed = await simpleParser(raw);
  const headers = headerRecord(parsed.headerLines);
  const { mailFrom, rcptTo } = session.envelope;
  return {
    id: randomUUID(),
    workspaceId: headers[WORKSPACE_HEADER.toLowerCase()]?.[0] ?? null,
    envelope: { from: mailFrom ? mailFrom.address : null, to: rcptTo.map((r) => r.address) },
    messageId: parsed.messageId ?? null,
    from: addressText(parsed.from),
    to: addressText(parsed.to),
    subject: parsed.subject ?? '',
    text: parsed.text ?? null,
    html: parsed.html || null,
    headers,
    date: parsed.date ? parsed.date.toISOString() : null,
    receivedAt: clock.now().toISOString(),
    sizeBytes: raw.length,
  };
}

/** Header lines by lower-cased name, values unfolded (RFC 5322 §2.2.3) and trimmed. */
function headerRecord(lines: HeaderLines): Record<string, string[]> {
  // No prototype: a header named "constructor" or "__proto__" must be just a header.
  const headers: Record<string, string[]> = Object.create(null);
  for (const { key, line } of lines) {
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n(?=[ \t])/g, '')
      .trim();
    const values = headers[key] ?? [];
    values.push(value);
    headers[key] = values;
  }
  return headers;
}

function addressText(address: AddressObject | AddressObject[] | undefined): string {
  if (!address) return '';
  return Array.isArray(address) ? address.map((a) => a.text).join(', ') : address.text;
}

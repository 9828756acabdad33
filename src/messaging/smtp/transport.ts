import { Transform } from 'node:stream';
import nodemailer from 'nodemailer';
import type { Config } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { type SinkAddress, WORKSPACE_HEADER } from './sink.ts';

/** One message as Kizuna hands it to SMTP: already rendered, addressed, owned by a workspace. */
export interface OutgoingMail {
  /** Written into X-Kizuna-Workspace on every message. */
  workspaceId: string;
  to: string | string[];
  /** Defaults to the configured mailFrom. */
  from?: string;
  replyTo?: string;
  subject: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  /** The Message-ID header, e.g. `<delivery-id@mail.example.com>`; nodemailer makes one up when absent. */
  messageId?: string;
  /** The SMTP envelope (e.g. a VERP return path); defaults to the From and To headers. */
  envelope?: { from: string; to: string[] };
  /**
   * Called when a connection takes the message; the end of DATA waits for the promise it returns,
   * so the server cannot accept the message before it settles. Rejecting drops the connection
   * mid-DATA: the server discards the message and sendMail rejects with that error.
   */
  onHandOver?: () => Promise<void>;
}

export interface SentMail {
  /** The Message-ID header given to the message; bounces and complaints refer to it. */
  messageId: string;
  accepted: string[];
  rejected: string[];
  /** The server's last reply, e.g. "250 2.0.0 Ok: queued as 4Zx9". */
  response: string;
}

/** The port the rest of Kizuna sends through. */
export interface MailTransport {
  sendMail(mail: OutgoingMail): Promise<SentMail>;
  /** Closes the pool's connections; messages still queued fail. */
  close(): void;
}

export type MailTransportConfig = Pick<
  Config,
  | 'mailMode'
  | 'mailFrom'
  | 'smtpHost'
  | 'smtpPort'
  | 'smtpSecure'
  | 'smtpUser'
  | 'smtpPassword'
  | 'smtpPoolSize'
  | 'smtpMaxMessagesPerSecond'
  | 'smtpSenders'
>;

/**
 * A pooled nodemailer transport for the configured mode: into the dev sink (sink mode, `sink`
 * required) or to the configured SMTP server, rate-limited per second (smtp mode).
 * @example const transport = createMailTransport({ config, sink: sink.address() })
 */
export function createMailTransport({ config, sink }: { config: MailTransportConfig; sink?: SinkAddress }): MailTransport {
  const fallback = nodemailer.createTransport(poolOptions(config, sink));
  // Several senders (smtp mode): one pool and rate limit per sending domain; the sink takes everything.
  const bySender = new Map(
    (config.mailMode === 'smtp' ? (config.smtpSenders ?? []) : []).map((sender) => [
      sender.domain.toLowerCase(),
      nodemailer.createTransport({
        pool: true,
        maxConnections: sender.poolSize,
        host: sender.host,
        port: sender.port,
        secure: sender.secure,
        auth: sender.user ? { user: sender.user, pass: sender.password } : undefined,
        ...(sender.maxMessagesPerSecond ? { rateDelta: 1000, rateLimit: sender.maxMessagesPerSecond } : {}),
      }),
    ]),
  );
  for (const transporter of [fallback, ...bySender.values()]) transporter.use('stream', holdEndOfData);
  const transporterFor = (from: string) => bySender.get(/@([^\s@<>]+)>?\s*$/.exec(from)?.[1]?.toLowerCase() ?? '') ?? fallback;
  return {
    sendMail: async (mail) => {
      const transporter = transporterFor(mail.from ?? config.mailFrom);
      if (!/^[A-Za-z0-9_-]+$/.test(mail.workspaceId))
        throw new KizunaError('internal', `mail must name the workspace it is sent for, got "${mail.workspaceId}"`);
      const headers = Object.fromEntries(
        Object.entries(mail.headers ?? {}).filter(([name]) => name.toLowerCase() !== WORKSPACE_HEADER.toLowerCase()),
      );
      try {
        const info = await transporter.sendMail({
          from: mail.from ?? config.mailFrom,
          to: mail.to,
          replyTo: mail.replyTo,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          envelope: mail.envelope,
          messageId: mail.messageId,
          headers: { ...headers, [WORKSPACE_HEADER]: mail.workspaceId },
          ...(mail.onHandOver ? { [HAND_OVER]: mail.onHandOver } : {}),
        });
        return { messageId: info.messageId, accepted: strings(info.accepted), rejected: strings(info.rejected), response: info.response };
      } catch (error) {
        // Every recipient refused: a per-recipient answer, like a partial refusal, not a failure of the transport.
        const refused = error as { code?: string; rejected?: unknown[]; response?: string; messageId?: string };
        if (refused.code !== 'EENVELOPE' || !refused.rejected?.length) throw error;
        return { messageId: refused.messageId ?? '', accepted: [], rejected: strings(refused.rejected), response: refused.response ?? '' };
      }
    },
    close: () => {
      fallback.close();
      for (const transporter of bySender.values()) transporter.close();
    },
  };
}

const HAND_OVER = 'kizunaOnHandOver';

/**
 * A nodemailer stream plugin: the message's stream (created when a connection takes it, once per
 * try) calls the hand-over hook and holds its end, and so the terminating dot, until the hook settles.
 */
const holdEndOfData: Parameters<ReturnType<typeof nodemailer.createTransport>['use']>[1] = (mail, done) => {
  const onHandOver = (mail.data as Record<string, unknown>)[HAND_OVER] as (() => Promise<void>) | undefined;
  if (onHandOver)
    (mail.message as unknown as { transform(make: () => Transform): void }).transform(() => {
      let handed: Promise<void> | undefined;
      const handOver = () => {
        if (!handed) {
          handed = onHandOver();
          // Observed at the end of the stream; until then a refusal must not count as unhandled.
          handed.catch(() => undefined);
        }
        return handed;
      };
      return new Transform({
        transform(chunk, _encoding, callback) {
          void handOver();
          callback(null, chunk);
        },
        flush(callback) {
          handOver().then(() => callback(), callback);
        },
      });
    });
  done();
};

function poolOptions(config: MailTransportConfig, sink: SinkAddress | undefined) {
  const pool = { pool: true as const, maxConnections: config.smtpPoolSize };
  if (config.mailMode === 'sink') {
    if (!sink) throw new KizunaError('internal', 'sink mode sends into the dev mail sink: start it and pass its address');
    // The sink speaks plain SMTP on loopback and offers no STARTTLS.
    return { ...pool, host: sink.host, port: sink.port, secure: false, ignoreTLS: true };
  }
  if (!config.smtpHost) throw new KizunaError('config_invalid', 'KIZUNA_SMTP_HOST: required when KIZUNA_MAIL_MODE is smtp');
  return {
    ...pool,
    host: config.smtpHost,
    port: config.smtpPort,
    secure: config.smtpSecure,
    auth: config.smtpUser ? { user: config.smtpUser, pass: config.smtpPassword } : undefined,
    // nodemailer's limit is shared by the pool's connections: a per-sender messages/second cap.
    ...(config.smtpMaxMessagesPerSecond ? { rateDelta: 1000, rateLimit: config.smtpMaxMessagesPerSecond } : {}),
  };
}

function strings(addresses: unknown[] | undefined): string[] {
  return (addresses ?? []).map((a) => (typeof a === 'string' ? a : (a as { address: string }).address));
}

import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { PartitionCache } from '../../events/event-partitions.ts';
import type { Clock } from '../../platform/clock.ts';
import type { DB } from '../../platform/db/schema.ts';
import { KizunaError } from '../../platform/errors.ts';
import { instanceSecret } from '../../platform/instance-secret.ts';
import type { Logger } from '../../platform/logger.ts';
import { type IngestResult, ingestReport } from './ingest-report.ts';
import { BOUNCE_SECRET, parseReturnPath } from './verp.ts';

/** The local part that feedback loops (ARF) are registered with: `fbl@{bounce domain}`. */
export const FEEDBACK_LOCAL_PART = 'fbl';

export interface BounceReceiverOptions {
  db: Kysely<DB>;
  clock: Clock;
  partitions: PartitionCache;
  /** Loopback by default: the listener has no authentication and no TLS. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The bounce domain (KIZUNA_BOUNCE_DOMAIN): the domain of the return paths and of fbl@. */
  domain: string;
  /** Defaults to the BOUNCE_SECRET instance secret, read at start(). */
  secret?: Buffer;
  logger?: Logger;
  softBounceLimit?: number;
  softBounceWindowDays?: number;
  maxMessageBytes?: number;
}

export interface BounceReceiver {
  /** Listens; resolves with the bound address (the real port when 0 was asked for). */
  start(): Promise<{ host: string; port: number }>;
  /** Stops listening; open connections get a short grace period. */
  stop(): Promise<void>;
  /** Records one report without SMTP (the same path as a received message); needs start() or a secret. */
  ingest(raw: Buffer | string, envelopeTo?: readonly string[]): Promise<IngestResult>;
}

/**
 * The inbound SMTP listener for bounces (DSNs to VERP return paths) and complaints (ARF to
 * fbl@domain). Other recipients are refused at RCPT. A report is acknowledged only once it is
 * recorded: a failure answers 451 so the sending MTA keeps it and retries.
 * @example const receiver = createBounceReceiver({ db, clock, partitions, domain: 'bounces.example.com', port: 2526 }); await receiver.start();
 */
export function createBounceReceiver({
  db,
  clock,
  partitions,
  host = '127.0.0.1',
  port = 2526,
  domain,
  secret: givenSecret,
  logger,
  softBounceLimit,
  softBounceWindowDays,
  maxMessageBytes = 10 * 1024 * 1024,
}: BounceReceiverOptions): BounceReceiver {
  const bounceDomain = domain.toLowerCase();
  let secret = givenSecret;
  let bound: { host: string; port: number } | undefined;
  let failStart: ((error: Error) => void) | undefined;

  const ingest = async (raw: Buffer | string, envelopeTo: readonly string[] = []) => {
    secret ??= await instanceSecret(db, BOUNCE_SECRET, clock);
    return ingestReport(db, { clock, partitions }, raw, { secret, envelopeTo, softBounceLimit, softBounceWindowDays });
  };

  const isOurs = (address: string) => {
    const at = address.lastIndexOf('@');
    const local = address.slice(0, at).toLowerCase();
    if (at < 0 || address.slice(at + 1).toLowerCase() !== bounceDomain) return false;
    // postmaster: RFC 5321 §4.5.1 has every domain accept it.
    return (
      local === FEEDBACK_LOCAL_PART || local === 'postmaster' || (secret !== undefined && parseReturnPath(address, secret) !== undefined)
    );
  };

  const server = new SMTPServer({
    name: `kizuna-bounces.${bounceDomain}`,
    banner: 'Kizuna bounce and feedback receiver',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: maxMessageBytes,
    logger: false,
    closeTimeout: 1000,
    onRcptTo(address, _session, callback) {
      if (isOurs(address.address)) return callback();
      callback(Object.assign(new Error(`5.1.1 <${address.address}>: no such recipient here`), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      receive(stream, session, maxMessageBytes, ingest).then(
        (result) => {
          for (const o of result.outcomes)
            logger?.info({ kind: result.kind, ...o }, `bounce receiver: ${result.kind} ${o.result} (${o.reason})`);
          if (result.kind === 'other')
            logger?.info({ reason: result.reason, envelope: session.envelope.rcptTo }, 'bounce receiver: not a report');
          callback(null, `${result.kind} ${result.outcomes.map((o) => o.result).join(',') || 'noted'}`);
        },
        (error: Error & { responseCode?: number }) => {
          if (error.responseCode === 552) return callback(error);
          logger?.error(
            { err: error, envelope: session.envelope.rcptTo },
            'bounce receiver: could not record a report; the sender will retry',
          );
          callback(Object.assign(new Error('4.3.0 the report could not be recorded; try again later'), { responseCode: 451 }));
        },
      );
    },
  });
  // smtp-server emits listen errors and every client connection's errors here; without a
  // listener one client hanging up mid-message would crash the process.
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (!failStart) return logger?.warn({ err: error }, 'bounce receiver: connection error');
    failStart(
      error.code === 'EADDRINUSE'
        ? new KizunaError(
            'config_invalid',
            `KIZUNA_INBOUND_SMTP_PORT: ${host}:${port} is in use; choose another port, or 0 for any free one`,
            {
              cause: error,
            },
          )
        : error,
    );
  });

  return {
    ingest,
    async start() {
      secret ??= await instanceSecret(db, BOUNCE_SECRET, clock);
      return new Promise((resolve, reject) => {
        failStart = reject;
        server.listen(port, host, () => {
          failStart = undefined;
          bound = { host, port: (server.server.address() as AddressInfo).port };
          resolve(bound);
        });
      });
    },
    stop: () => new Promise((resolve) => (bound ? server.close(() => resolve()) : resolve())),
  };
}

async function receive(
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  maxBytes: number,
  ingest: (raw: Buffer, envelopeTo: readonly string[]) => Promise<IngestResult>,
): Promise<IngestResult> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  if (stream.sizeExceeded) throw Object.assign(new Error(`5.3.4 message exceeds the limit of ${maxBytes} bytes`), { responseCode: 552 });
  return ingest(
    Buffer.concat(chunks),
    session.envelope.rcptTo.map((r) => r.address),
  );
}

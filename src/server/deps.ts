import type { Kysely } from 'kysely';
import type { Mailbox } from '../messaging/smtp/mailbox.ts';
import type { MailTransport } from '../messaging/smtp/transport.ts';
import type { Clock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import type { Engine } from '../platform/db/database.ts';
import type { DB } from '../platform/db/schema.ts';
import type { Logger } from '../platform/logger.ts';
import type { Principal } from '../workspaces/api-keys.ts';

/** The resources every route shares, passed down explicitly (no globals). */
export interface ServerDeps {
  db: Kysely<DB>;
  engine: Engine;
  clock: Clock;
  config: Config;
  logger: Logger;
  /** Wakes the background worker so queued work (imports) starts without waiting for the next poll. */
  notifyWork?: () => void;
  /** Outgoing mail; absent in a process that sends none. */
  mailer?: MailTransport;
  /** The dev SMTP sink's mailbox: present in sink mode in the process that runs the sink. */
  devMailbox?: Mailbox;
}

export type AppEnv = { Variables: { principal: Principal } };

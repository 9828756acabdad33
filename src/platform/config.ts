import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { KizunaError } from './errors.ts';
import { isOutboundAllowEntry } from './net/outbound.ts';
import { isTimeZone } from './time-zone.ts';

/**
 * All configuration, parsed once: defaults → file (kizuna.config.json) → environment → flags.
 * This is the only module that reads process.env; everything else receives a frozen Config.
 */
export const ZConfig = z
  .object({
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    host: z.string().min(1).default('0.0.0.0'),
    dataDir: z.string().min(1).default('./.kizuna'),
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
      .optional(),
    adminKey: z.string().min(24, 'must be at least 24 characters').optional(),
    writeKey: z.string().min(24, 'must be at least 24 characters').optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    logFormat: z.enum(['pretty', 'json']).default('pretty'),
    maxBodyBytes: z.coerce
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    maxImportBytes: z.coerce
      .number()
      .int()
      .positive()
      .default(200 * 1024 * 1024),
    defaultRegion: z
      .string()
      .regex(/^[A-Z]{2}$/, 'expected an ISO 3166 two-letter country code such as JP')
      .default('JP'),
    defaultTimezone: z.string().refine(isTimeZone, 'expected an IANA time zone such as Asia/Tokyo').default('Asia/Tokyo'),
    workerPollMs: z.coerce.number().int().positive().default(500),
    ingestPerSecond: z.coerce.number().int().positive().default(2000),
    /** Where people reach this server: the base of unsubscribe, preference and confirmation links (default: localhost on `port`). */
    publicUrl: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL such as https://mail.example.com' })
      .transform((url) => url.replace(/\/+$/, ''))
      .default('http://localhost:8080'),
    // Outgoing mail. 'sink' (the default) hands every message to the built-in dev SMTP sink of
    // `kizuna start`, so a development install never mails real people; 'smtp' delivers.
    mailMode: z.enum(['sink', 'smtp']).default('sink'),
    mailFrom: z
      .string()
      .regex(/^([^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, 'expected an address such as "Kizuna <no-reply@example.com>"')
      .default('Kizuna <no-reply@kizuna.local>'),
    /** Loopback port of the dev SMTP sink (sink mode); 0 picks a free one. */
    mailSinkPort: z.coerce.number().int().min(0).max(65535).default(2525),
    smtpHost: z.string().min(1).optional(),
    smtpPort: z.coerce.number().int().min(1).max(65535).default(587),
    /** true: TLS from the first byte (port 465); false: plain, upgraded by STARTTLS when offered. */
    smtpSecure: z.union([z.boolean(), z.stringbool()]).default(false),
    smtpUser: z.string().min(1).optional(),
    /** A secret: from the environment or the config file only, never a command-line flag. */
    smtpPassword: z.string().min(1).optional(),
    smtpPoolSize: z.coerce.number().int().positive().max(100).default(5),
    /** Per-sender rate limit; unset: as fast as the pool goes. */
    smtpMaxMessagesPerSecond: z.coerce.number().int().positive().optional(),
    /**
     * Several senders: mail From one of these domains goes through its own SMTP server, pool and
     * rate limit (per process); any other From uses KIZUNA_SMTP_HOST. JSON in the environment.
     */
    smtpSenders: z
      .preprocess(
        (value, ctx) => {
          if (typeof value !== 'string') return value;
          try {
            return JSON.parse(value);
          } catch {
            ctx.addIssue({ code: 'custom', message: 'expected a JSON array of senders: [{"domain": …, "host": …}]' });
            return z.NEVER;
          }
        },
        z
          .array(
            z
              .object({
                domain: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'expected a sender domain such as news.example.com'),
                host: z.string().min(1),
                port: z.number().int().min(1).max(65535).default(587),
                secure: z.boolean().default(false),
                user: z.string().min(1).optional(),
                password: z.string().min(1).optional(),
                poolSize: z.number().int().positive().max(100).default(5),
                maxMessagesPerSecond: z.number().int().positive().optional(),
              })
              .strict(),
          )
          .max(50),
      )
      .default([]),
    /** The domain of VERP return paths (bounces+…@domain); its MX must reach the inbound SMTP listener. Defaults to mailFrom's domain. */
    bounceDomain: z
      .string()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$|^[a-z0-9-]+\.local$|^localhost$/i, 'expected a domain such as bounces.example.com')
      .optional(),
    /** Inbound SMTP for bounces (DSN) and complaints (ARF); 0 picks a free port. */
    inboundSmtpPort: z.coerce.number().int().min(0).max(65535).default(2526),
    inboundSmtpHost: z.string().min(1).default('127.0.0.1'),
    /** SMS through a Twilio-compatible HTTP API; unset: SMS deliveries fail as not configured. */
    smsBaseUrl: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
    smsAccountSid: z.string().min(1).optional(),
    /** A secret: from the environment or the config file only. Also verifies inbound webhooks. */
    smsAuthToken: z.string().min(1).optional(),
    smsFrom: z.string().min(1).optional(),
    /**
     * Networks and hosts that webhooks (endpoints and journey steps) may reach although they are not
     * public: loopback, private, link-local and other special addresses are refused otherwise.
     * Comma-separated in the environment: `10.20.0.0/16,crm.internal`.
     */
    outboundAllow: z
      .preprocess(
        (value) =>
          typeof value === 'string'
            ? value
                .split(',')
                .map((entry) => entry.trim())
                .filter(Boolean)
            : value,
        z.array(
          z.string().refine(isOutboundAllowEntry, 'expected IP addresses, CIDR networks (10.0.0.0/8) or host names, comma-separated'),
        ),
      )
      .default([]),
    /** `kizuna start` on a new embedded data folder loads the demo workspace (never on PostgreSQL). */
    demo: z.union([z.boolean(), z.stringbool()]).default(true),
  })
  // A typo in kizuna.config.json must not be silently ignored.
  .strict()
  .superRefine((config, ctx) => {
    if (config.mailMode === 'smtp' && !config.smtpHost)
      ctx.addIssue({
        code: 'custom',
        path: ['smtpHost'],
        message: 'required when KIZUNA_MAIL_MODE is smtp: the SMTP server to send through',
      });
    if (config.smtpUser && !config.smtpPassword)
      ctx.addIssue({ code: 'custom', path: ['smtpPassword'], message: 'required when KIZUNA_SMTP_USER is set' });
  });

export type Config = Readonly<z.infer<typeof ZConfig>>;
type ConfigInput = Partial<Record<keyof Config, unknown>>;

/** Where each setting comes from in the environment; also names the variable in errors. */
export const ENV_NAMES: Record<keyof Config, string> = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'KIZUNA_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  adminKey: 'KIZUNA_ADMIN_KEY',
  writeKey: 'KIZUNA_WRITE_KEY',
  logLevel: 'LOG_LEVEL',
  logFormat: 'KIZUNA_LOG_FORMAT',
  maxBodyBytes: 'KIZUNA_MAX_BODY_BYTES',
  maxImportBytes: 'KIZUNA_MAX_IMPORT_BYTES',
  defaultRegion: 'KIZUNA_DEFAULT_REGION',
  defaultTimezone: 'KIZUNA_DEFAULT_TIMEZONE',
  workerPollMs: 'KIZUNA_WORKER_POLL_MS',
  ingestPerSecond: 'KIZUNA_INGEST_PER_SECOND',
  publicUrl: 'KIZUNA_PUBLIC_URL',
  mailMode: 'KIZUNA_MAIL_MODE',
  mailFrom: 'KIZUNA_MAIL_FROM',
  mailSinkPort: 'KIZUNA_MAIL_SINK_PORT',
  smtpHost: 'KIZUNA_SMTP_HOST',
  smtpPort: 'KIZUNA_SMTP_PORT',
  smtpSecure: 'KIZUNA_SMTP_SECURE',
  smtpUser: 'KIZUNA_SMTP_USER',
  smtpPassword: 'KIZUNA_SMTP_PASSWORD',
  smtpPoolSize: 'KIZUNA_SMTP_POOL_SIZE',
  smtpMaxMessagesPerSecond: 'KIZUNA_SMTP_MAX_MESSAGES_PER_SECOND',
  smtpSenders: 'KIZUNA_SMTP_SENDERS',
  bounceDomain: 'KIZUNA_BOUNCE_DOMAIN',
  inboundSmtpPort: 'KIZUNA_INBOUND_SMTP_PORT',
  inboundSmtpHost: 'KIZUNA_INBOUND_SMTP_HOST',
  smsBaseUrl: 'KIZUNA_SMS_BASE_URL',
  smsAccountSid: 'KIZUNA_SMS_ACCOUNT_SID',
  smsAuthToken: 'KIZUNA_SMS_AUTH_TOKEN',
  smsFrom: 'KIZUNA_SMS_FROM',
  outboundAllow: 'KIZUNA_OUTBOUND_ALLOW',
  demo: 'KIZUNA_DEMO',
};

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  flags?: ConfigInput;
  /** Path of a JSON config file; defaults to KIZUNA_CONFIG or ./kizuna.config.json when present. */
  file?: string;
  cwd?: string;
}

/** Parses configuration from all sources and fails fast, naming the variable that is wrong. */
export function loadConfig({ env = process.env, flags = {}, file, cwd = process.cwd() }: LoadConfigOptions = {}): Config {
  const fromFile = readConfigFile(file ?? env.KIZUNA_CONFIG, cwd);
  const fromEnv: ConfigInput = {};
  for (const [key, name] of Object.entries(ENV_NAMES) as [keyof Config, string][]) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  if (fromEnv.logFormat === undefined && env.NODE_ENV === 'production') fromEnv.logFormat = 'json';
  const merged: ConfigInput = { ...fromFile, ...fromEnv, ...dropUndefined(flags) };
  // Unset, the public URL is this server on its own port (PORT=3000: links point at :3000).
  if (merged.publicUrl === undefined && /^[1-9][0-9]*$/.test(String(merged.port ?? '')))
    merged.publicUrl = `http://localhost:${merged.port}`;
  const parsed = ZConfig.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      if (issue.path.length === 0) return `config file: ${issue.message}`;
      const key = String(issue.path[0]) as keyof Config;
      // A setting missing altogether (required by another one) is named by its variable.
      const source =
        key in flags && flags[key] !== undefined
          ? `--${kebab(key)}`
          : key in fromEnv || !(key in fromFile)
            ? ENV_NAMES[key]
            : `${key} (config file)`;
      return `${source}: ${issue.message}`;
    });
    throw new KizunaError('config_invalid', `Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return Object.freeze(parsed.data);
}

function readConfigFile(path: string | undefined, cwd: string): ConfigInput {
  const target = resolve(cwd, path ?? 'kizuna.config.json');
  if (!existsSync(target)) {
    if (path) throw new KizunaError('config_invalid', `KIZUNA_CONFIG: file ${target} does not exist`);
    return {};
  }
  try {
    const value: unknown = JSON.parse(readFileSync(target, 'utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
    return value as ConfigInput;
  } catch (error) {
    throw new KizunaError('config_invalid', `${target}: ${(error as Error).message}`);
  }
}

function dropUndefined(input: ConfigInput): ConfigInput {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

import { serve as serveHttp } from '@hono/node-server';
import { loadDemo } from '../../demo/load-demo.ts';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { type BounceReceiver, createBounceReceiver } from '../../messaging/bounces/receiver.ts';
import { mailDomainOf } from '../../messaging/compliance/list-unsubscribe.ts';
import { createDeliveryPipeline } from '../../messaging/deliveries/pipeline.ts';
import { smsProviderFromConfig } from '../../messaging/sms/provider.ts';
import { createMailSink, type MailSink } from '../../messaging/smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../../messaging/smtp/transport.ts';
import { loadConfig } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { createWorker } from '../../platform/jobs/worker.ts';
import { createOutboundPolicy } from '../../platform/net/outbound.ts';
import { createApp } from '../../server/app.ts';
import { backgroundWork } from '../../server/background.ts';
import { bootstrap } from '../../workspaces/bootstrap.ts';
import { openRuntime, type Runtime } from '../runtime.ts';
import { summary } from './demo-run.ts';

type Mode = 'all' | 'api' | 'worker';
export type StartOptions = { port?: string; host?: string; mailMode?: string; demo?: boolean };

/** `kizuna start`, `serve` or `worker`: starts what the mode runs; SIGTERM or SIGINT stops it in order and exits. */
export async function runStart(mode: Mode, options: StartOptions): Promise<void> {
  const config = loadConfig({
    flags: { port: options.port, host: options.host, mailMode: options.mailMode, demo: options.demo === false ? false : undefined },
  });
  if (mode !== 'all' && !config.databaseUrl) {
    // The embedded database lives inside one process: an API without workers would queue imports forever.
    throw new KizunaError(
      'config_invalid',
      `"kizuna ${mode === 'api' ? 'serve' : 'worker'}" runs beside other processes and needs DATABASE_URL (a PostgreSQL server); on the embedded database use "kizuna start"`,
    );
  }
  const runtime = await openRuntime(config);
  const { logger, database, clock } = runtime;
  const boot = await bootstrap(database.db, config, clock);
  if (boot.generatedAdminKey) {
    logger.info('first start: created the default workspace');
    process.stdout.write(`\n  Admin API key (shown once, keep it safe):\n\n    ${boot.generatedAdminKey}\n\n`);
  }
  const mail = await startMail(runtime, mode);
  // A new embedded data folder gets the demo workspace (never PostgreSQL: a shared server is no
  // place for made-up people; nor real SMTP: their addresses are made up).
  const demo =
    mode === 'all' && boot.createdWorkspace && !config.databaseUrl && config.demo && config.mailMode === 'sink'
      ? new AbortController()
      : undefined;
  const worker = mode === 'api' ? undefined : createBackgroundWorker(runtime, mail.transport);
  // The demo replays its days on a virtual clock; a worker on the real clock would run the
  // demo's timers (due, in real time) before the replay reaches them: it starts after the demo.
  if (!demo) worker?.start();
  const bounces = mode === 'api' ? undefined : await startBounces(runtime);
  const server =
    mode === 'worker'
      ? undefined
      : serveHttp(
          {
            fetch: createApp({
              db: database.db,
              engine: database.engine,
              clock,
              config,
              logger,
              notifyWork: worker?.notify,
              mailer: mail.transport,
              devMailbox: mail.sink?.mailbox,
            }).fetch,
            port: config.port,
            hostname: config.host,
          },
          (info) =>
            logger.info(
              `Kizuna listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${info.port} (${database.engine}) — API reference at /api/docs`,
            ),
        );
  const loading =
    demo &&
    loadDemoInBackground(runtime, mail.transport!, demo.signal).finally(() => {
      if (!demo.signal.aborted) worker?.start();
    });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    demo?.abort();
    await loading;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await worker?.stop();
    await bounces?.stop();
    mail.transport?.close();
    await mail.sink?.stop();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * Sink mode: `kizuna start` runs the dev SMTP sink and sends into it, so a development install
 * never mails real people. Other processes in sink mode send nothing. smtp mode: the pool.
 */
async function startMail({ config, logger, clock }: Runtime, mode: Mode): Promise<{ transport?: MailTransport; sink?: MailSink }> {
  if (config.mailMode === 'smtp') {
    logger.info(`outgoing mail goes to ${config.smtpHost}:${config.smtpPort} (KIZUNA_MAIL_MODE=smtp)`);
    return { transport: createMailTransport({ config }) };
  }
  if (mode !== 'all') {
    logger.warn('KIZUNA_MAIL_MODE is sink: this process sends no mail; set KIZUNA_MAIL_MODE=smtp and KIZUNA_SMTP_HOST to deliver');
    return {};
  }
  const sink = createMailSink({
    port: config.mailSinkPort,
    clock,
    onConnectionError: (error) => logger.debug({ err: error }, 'dev mail sink: a client connection failed'),
  });
  const address = await sink.start();
  logger.info(
    `dev mail sink on smtp://${address.host}:${address.port} catches all outgoing mail (KIZUNA_MAIL_MODE=sink) — see GET /api/dev/mail`,
  );
  return { sink, transport: createMailTransport({ config, sink: address }) };
}

function createBackgroundWorker({ database, clock, logger, config }: Runtime, mailer: MailTransport | undefined) {
  const db = database.db;
  const pipeline = mailer ? createDeliveryPipeline({ db, clock, config, mailer, sms: smsProviderFromConfig(config), logger }) : undefined;
  return createWorker({
    db,
    clock,
    logger,
    pollMs: config.workerPollMs,
    ...backgroundWork({
      db,
      clock,
      logger,
      pipeline,
      mailer,
      publicUrl: config.publicUrl,
      engine: database.engine,
      outbound: createOutboundPolicy(config.outboundAllow),
    }),
  });
}

/**
 * Loads the demo after the API listens (the full demo takes minutes on a small machine): the API
 * answers meanwhile, the demo workspace fills day by day, and its mail lands in the dev mailbox.
 * A failure is logged, never fatal: the server is useful without the demo.
 */
async function loadDemoInBackground({ database, logger, config }: Runtime, mailer: MailTransport, signal: AbortSignal): Promise<void> {
  logger.info('first start: loading the demo workspace in the background (--no-demo or KIZUNA_DEMO=false to skip)');
  try {
    const result = await loadDemo(database.db, {
      config,
      mailer,
      logger,
      signal,
      onProgress: (p) => {
        if (p.day % 10 === 0 || p.day === p.days)
          logger.info(`demo: day ${p.day}/${p.days}, ${p.contacts} contacts, ${p.events} events (${Math.round(p.elapsedMs / 1000)} s)`);
      },
    });
    process.stdout.write(summary(result, config));
  } catch (error) {
    if (signal.aborted) logger.warn('the demo load was interrupted by the shutdown; "kizuna demo --replace" loads it again');
    else logger.error({ err: error }, 'loading the demo failed; the server runs without it ("kizuna demo --replace" tries again)');
  }
}

/**
 * The inbound SMTP listener for bounces (DSN) and complaints (ARF). Several workers on one host
 * share one listener: a process that finds the port taken leaves it to the one that has it.
 */
async function startBounces({ database, clock, logger, config }: Runtime): Promise<BounceReceiver | undefined> {
  const receiver = createBounceReceiver({
    db: database.db,
    clock,
    partitions: createPartitionCache(),
    host: config.inboundSmtpHost,
    port: config.inboundSmtpPort,
    domain: config.bounceDomain ?? mailDomainOf(config.mailFrom),
    logger,
  });
  try {
    const address = await receiver.start();
    logger.info(`bounces and complaints received on smtp://${address.host}:${address.port} (KIZUNA_INBOUND_SMTP_PORT)`);
    return receiver;
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    logger.warn(`inbound SMTP port ${config.inboundSmtpPort} is taken: another process receives bounces on this host`);
    return undefined;
  }
}

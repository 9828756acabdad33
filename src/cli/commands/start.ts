import { serve as serveHttp } from '@hono/node-server';
import type { Command } from 'commander';
import { IMPORT_JOB, importJobHandler } from '../../imports/imports.ts';
import { drainDueHandoffs, recycleDueHandoffs } from '../../lifecycle/handoff.ts';
import { loadConfig } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { createWorker } from '../../platform/jobs/worker.ts';
import { drainDueScoreChecks } from '../../scoring/checks.ts';
import { SCORE_REBUILD_JOB, scoreRebuildHandler } from '../../scoring/models.ts';
import { drainDueSegmentChecks } from '../../segments/membership.ts';
import { SEGMENT_REBUILD_JOB, segmentRebuildHandler } from '../../segments/segments.ts';
import { createApp } from '../../server/app.ts';
import { drainDueWebhooks } from '../../webhooks/deliver.ts';
import { bootstrap } from '../../workspaces/bootstrap.ts';
import { openRuntime, type Runtime } from '../runtime.ts';

type Mode = 'all' | 'api' | 'worker';

/** `start` (API + workers), `serve` (API only) and `worker` (workers only) share one runner. */
export function registerStart(program: Command): void {
  const describe = {
    all: 'run the API and the background workers in one process (embedded database unless DATABASE_URL is set)',
    api: 'run the stateless HTTP API only, on PostgreSQL (DATABASE_URL); run several behind a load balancer',
    worker: 'run background workers only (imports and other queued jobs), on PostgreSQL (DATABASE_URL); add processes to add throughput',
  } as const;
  for (const [name, mode] of [
    ['start', 'all'],
    ['serve', 'api'],
    ['worker', 'worker'],
  ] as const) {
    const command = program.command(name).description(describe[mode]);
    if (mode !== 'worker')
      command
        .option('-p, --port <port>', 'HTTP port (env PORT, default 8080)')
        .option('--host <host>', 'interface to listen on (env HOST, default 0.0.0.0)');
    command.action(async (options: { port?: string; host?: string }) => {
      await run(mode, options);
    });
  }
}

async function run(mode: Mode, options: { port?: string; host?: string }): Promise<void> {
  const config = loadConfig({ flags: { port: options.port, host: options.host } });
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
  const worker = mode === 'api' ? undefined : startWorker(runtime);
  const server =
    mode === 'worker'
      ? undefined
      : serveHttp(
          {
            fetch: createApp({ db: database.db, engine: database.engine, clock, config, logger, notifyWork: worker?.notify }).fetch,
            port: config.port,
            hostname: config.host,
          },
          (info) =>
            logger.info(
              `Kizuna listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${info.port} (${database.engine}) — API reference at /api/docs`,
            ),
        );
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await worker?.stop();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

function startWorker({ database, clock, logger, config }: Runtime) {
  const worker = createWorker({
    db: database.db,
    clock,
    logger,
    pollMs: config.workerPollMs,
    handlers: {
      [IMPORT_JOB]: importJobHandler({ db: database.db, clock, logger }),
      [SEGMENT_REBUILD_JOB]: segmentRebuildHandler({ db: database.db, clock, logger }),
      [SCORE_REBUILD_JOB]: scoreRebuildHandler({ db: database.db, clock, logger }),
    },
    ticks: [
      () => drainDueScoreChecks(database.db, clock),
      () => drainDueSegmentChecks(database.db, clock),
      () => drainDueHandoffs(database.db, clock),
      () => drainDueWebhooks(database.db, clock),
      () => recycleDueHandoffs(database.db, clock),
    ],
  });
  worker.start();
  return worker;
}

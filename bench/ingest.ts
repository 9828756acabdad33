import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { stringify } from 'csv-stringify/sync';
import { createPartitionCache, ensureEventPartitions } from '../src/events/event-partitions.ts';
import { systemClock } from '../src/platform/clock.ts';
import { loadConfig } from '../src/platform/config.ts';
import { type Database, openDatabase } from '../src/platform/db/database.ts';
import { createLogger } from '../src/platform/logger.ts';
import { createApp } from '../src/server/app.ts';
import { createApiKey } from '../src/workspaces/api-keys.ts';
import { BENCH_DATABASE, freshWorkspace, openBenchDatabase } from './bench-database.ts';
import { copyCsv } from './copy.ts';
import { generateEvents, type SyntheticCall, storedEvent } from './generate-events.ts';
import { assertIngestedEvents } from './ingest-check.ts';
import type { BenchContext } from './run.ts';
import { type LoadRun, percentile, sendBatches } from './send-batches.ts';

export const BATCH_SIZE = 100;
// The high end of the 4–8 concurrent clients: a fleet of senders, which is the load that
// group commit is for (requests waiting behind a transaction are stored together).
const CLIENTS = 8;
const PEOPLE = 2000;
const LIMIT_RUNS = 3;
const EVENT_COLUMNS = [
  ...['workspace_id', 'id', 'message_id', 'type', 'name', 'contact_id', 'anonymous_id', 'user_id'],
  ...['properties', 'traits', 'context', 'occurred_at', 'received_at'],
] as const;

/**
 * Tracking throughput against its limit: `rows / 10` synthetic calls posted to the real HTTP app
 * on loopback as `/v1/batch` requests (identity resolution included), then a raw COPY of the
 * same event rows into the same empty `events` table.
 * @returns one `RESULT ingest-<engine> …` line per engine.
 */
export async function benchIngest({ rows, engines, serverUrl, log }: BenchContext): Promise<string[]> {
  // rows / 10 (10,000 by default): a few seconds per engine at today's 2–4k events/s, and enough
  // rows that the COPY limit is not measured on a table that fits in a few buffer pages.
  const count = Math.max(BATCH_SIZE, Math.round(rows / 10));
  const now = systemClock.now();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const calls = generateEvents({ count, people: PEOPLE, from: monthStart, to: now });
  log(`ingest: ${count} events from ${PEOPLE} people, /v1/batch of ${BATCH_SIZE} from ${CLIENTS} concurrent clients`);
  const results: string[] = [];
  for (const engine of engines) {
    const database = await openBenchDatabase(engine, serverUrl);
    // The app gets the pool `kizuna serve` opens (openBenchDatabase's two connections would cap concurrency).
    const served = engine === 'postgres' ? await openDatabase({ databaseUrl: benchDatabaseUrl(serverUrl!) }) : database;
    try {
      const run = await timeIngest(served, calls, log);
      const limitMs = await timeCopy(database, calls, [monthStart, now]);
      const ours = count / (run.elapsedMs / 1000);
      const limit = count / (limitMs / 1000);
      const [p50, p99] = [percentile(run.latenciesMs, 50), percentile(run.latenciesMs, 99)];
      log(
        `ingest on ${engine}: /v1/batch ${seconds(run.elapsedMs)} (${Math.round(ours)} events/s, p50 ${ms(p50)}, p99 ${ms(p99)}), COPY ${seconds(limitMs)} (${Math.round(limit)} events/s)`,
      );
      results.push(
        `RESULT ingest-${engine} ratio=${(ours / limit).toFixed(2)} ours=${Math.round(ours)} limit=${Math.round(limit)} p50_ms=${Math.round(p50)} p99_ms=${Math.round(p99)} events=${count}`,
      );
    } finally {
      if (served !== database) await served.close();
      await database.close();
    }
  }
  return results;
}

/** Posts the calls to a fresh workspace (after `prepare`, which may publish models and rules) and checks what was stored. */
export async function timeIngest(
  database: Database,
  calls: SyntheticCall[],
  log: BenchContext['log'],
  prepare?: (workspaceId: string) => Promise<void>,
): Promise<LoadRun> {
  const workspace = await freshWorkspace(database);
  await prepare?.(workspace.id);
  const { key } = await createApiKey(database.db, { workspaceId: workspace.id, name: 'bench', scope: 'write' }, systemClock);
  // A rate far above the offered load: the benchmark measures ingestion, not the limiter.
  const config = loadConfig({ env: {}, flags: { logLevel: 'silent', logFormat: 'json', ingestPerSecond: 10_000_000 } });
  const app = createApp({ db: database.db, engine: database.engine, clock: systemClock, config, logger: createLogger(config) });
  const server = await listen(app.fetch);
  let run: LoadRun;
  try {
    run = await sendBatches({ baseUrl: server.baseUrl, writeKey: key, calls, batchSize: BATCH_SIZE, clients: CLIENTS });
  } finally {
    await server.close();
  }
  for (const [status, times] of countBy(run.failures.map((f) => f.slice(0, 3)))) {
    const note = status === '409' ? ' (the official clients do not retry a 409: those batches would be lost)' : '';
    log(`ingest on ${database.engine}: ${times} requests answered ${status} and were sent again${note}`);
  }
  const counts = await assertIngestedEvents(database.db, workspace.id, calls);
  log(
    `ingest on ${database.engine}: stored ${counts.events} of ${calls.length} events (each messageId once), ${counts.contacts} contacts for ${counts.expectedContacts} userIds, ${counts.attributed} events attributed of ${counts.expectedAttributed} expected`,
  );
  if (counts.attributed < counts.expectedAttributed) {
    log(
      `ingest on ${database.engine}: ${counts.expectedAttributed - counts.attributed} events of identified cookies stayed anonymous (stored while a concurrent identify of their cookie was uncommitted)`,
    );
  }
  return run;
}

/** The fastest of LIMIT_RUNS COPYs from the same empty state: a few thousand rows take a tenth of a second, so one run is noise. */
async function timeCopy(database: Database, calls: SyntheticCall[], window: Date[]): Promise<number> {
  let bestMs = Number.POSITIVE_INFINITY;
  for (let run = 0; run < LIMIT_RUNS; run++) {
    const workspace = await freshWorkspace(database);
    await ensureEventPartitions(database.db, window, createPartitionCache());
    const receivedAt = systemClock.now().toISOString();
    const csv = stringify(
      calls.map((call) => {
        const e = storedEvent(call);
        return [
          ...[workspace.id, randomUUID(), e.message_id, e.type, e.name, null, e.anonymous_id, e.user_id],
          ...[e.properties, e.traits, e.context, e.occurred_at, receivedAt],
        ];
      }),
    );
    const started = performance.now();
    await copyCsv(database, 'events', EVENT_COLUMNS, csv);
    bestMs = Math.min(bestMs, performance.now() - started);
  }
  return bestMs;
}

/** The real HTTP server on a random loopback port. */
function listen(fetch: Parameters<typeof serve>[0]['fetch']): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({
        baseUrl: `http://127.0.0.1:${info.port}`,
        close: () => new Promise((done, fail) => server.close((error) => (error ? fail(error) : done()))),
      }),
    );
  });
}

export function benchDatabaseUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${BENCH_DATABASE}`;
  return url.toString();
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

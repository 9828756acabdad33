import { sql } from 'kysely';
import { createJourney, publishJourney } from '../src/journeys/journeys.ts';
import { advanceDueEnrolments, enrolContacts } from '../src/journeys/runtime.ts';
import { createTemplateRenderer } from '../src/messaging/templates/render.ts';
import { createTemplate, publishTemplate } from '../src/messaging/templates/templates.ts';
import { createVirtualClock, systemClock } from '../src/platform/clock.ts';
import type { Database } from '../src/platform/db/database.ts';
import { analyzeGrownTables } from '../src/platform/db/refresh-statistics.ts';
import { freshWorkspace, openBenchDatabase } from './bench-database.ts';
import type { BenchContext } from './run.ts';
import { percentile } from './send-batches.ts';

const BATCH = 500;
const POLL_MS = 500;

/**
 * Journey throughput: contacts through a 3-step journey with a wait (send → wait 1 h → tag)
 * under a virtual clock, as node executions per second, against a bare `FOR UPDATE SKIP LOCKED`
 * claim loop over the same number of rows on the same database; then timer lateness in real time
 * (waits of a few seconds, a worker polling every 500 ms as `kizuna worker` does by default).
 * @returns one `RESULT journeys-<engine> …` line per engine.
 */
export async function benchJourneys({ rows, engines, serverUrl, log }: BenchContext): Promise<string[]> {
  const count = Math.max(1000, rows);
  const results: string[] = [];
  log(`journeys: ${count} contacts through send → wait 1 h → tag, batches of ${BATCH}; a bare SKIP LOCKED loop over ${count * 3} rows`);
  for (const engine of engines) {
    const database = await openBenchDatabase(engine, serverUrl);
    try {
      const limit = await bareClaimLoop(database, count * 3);
      const { rate, executions } = await throughput(database, count);
      const lateness = await timerLateness(database, Math.min(2000, count));
      results.push(
        `RESULT journeys-${engine} ratio=${(rate / limit).toFixed(2)} ours=${Math.round(rate)} limit=${Math.round(limit)} node_executions=${executions} contacts=${count} timer_lateness_p50_ms=${Math.round(percentile(lateness, 50))} timer_lateness_p99_ms=${Math.round(percentile(lateness, 99))}`,
      );
    } finally {
      await database.close();
    }
  }
  return results;
}

/**
 * The limit: claim-and-complete of `n` due rows in batches, nothing else, in the shape the runtime
 * uses (claim a batch with FOR UPDATE SKIP LOCKED, complete it, commit). The table is analysed
 * before the loop: a table the planner has no statistics for is read by a sequential scan and a
 * sort on every claim, which made this "limit" 5–10 times slower than it is, and by how much
 * depended on when autovacuum happened to analyse it mid-loop (12k–62k/s between runs on one machine).
 */
async function bareClaimLoop(database: Database, n: number): Promise<number> {
  const { db } = database;
  await sql`DROP TABLE IF EXISTS bench_claims`.execute(db);
  await sql`CREATE TABLE bench_claims (id bigint PRIMARY KEY, due_at timestamptz NOT NULL, status text NOT NULL)`.execute(db);
  await sql`CREATE INDEX bench_claims_due ON bench_claims (due_at) WHERE status = 'q'`.execute(db);
  await sql`INSERT INTO bench_claims SELECT n, now() - interval '1 hour', 'q' FROM generate_series(1, ${n}) AS n`.execute(db);
  await sql`ANALYZE bench_claims`.execute(db);
  const started = performance.now();
  for (;;) {
    const claimed = await db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ id: string }>`
        SELECT id FROM bench_claims WHERE status = 'q' AND due_at <= now() ORDER BY due_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`.execute(
        tx,
      );
      if (rows.length > 0) await sql`UPDATE bench_claims SET status = 'd' WHERE id = ANY(${rows.map((r) => r.id)}::bigint[])`.execute(tx);
      return rows.length;
    });
    if (claimed === 0) break;
  }
  const rate = n / ((performance.now() - started) / 1000);
  await sql`DROP TABLE bench_claims`.execute(db);
  return rate;
}

async function setupJourney(database: Database, count: number, wait: Record<string, number>, clock = systemClock) {
  const { db } = database;
  const workspace = await freshWorkspace(database);
  const workspaceId = workspace.id;
  await sql`
    INSERT INTO contacts (id, workspace_id, email, last_name, created_at, updated_at)
    SELECT gen_random_uuid(), ${workspaceId}, 'p' || n || '@example.jp', '山田', now(), now() FROM generate_series(1, ${count}) AS n`.execute(
    db,
  );
  const renderer = createTemplateRenderer();
  const body = '<p>{{ contact.lastName }} 様</p><p><a href="{{ unsubscribe_url }}">配信停止</a></p>';
  const template = await createTemplate(
    db,
    workspaceId,
    { name: 'welcome', definition: { format: 'html', defaultLocale: 'ja', locales: { ja: { subject: 'ようこそ', body } } } },
    { clock, renderer },
  );
  await publishTemplate(db, workspaceId, template.id, { clock, renderer });
  const journey = await createJourney(
    db,
    workspaceId,
    {
      name: 'bench',
      definition: {
        trigger: { type: 'manual' },
        start: 'welcome',
        nodes: [
          { id: 'welcome', type: 'send', templateId: template.id, next: 'pause' },
          { id: 'pause', type: 'wait', duration: wait, next: 'tag' },
          { id: 'tag', type: 'tag', add: ['nurtured'] },
        ],
      },
    },
    clock,
  );
  await publishJourney(db, workspaceId, journey.id, clock);
  const ids = (await db.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).execute()).map((r) => r.id);
  return { workspaceId, journeyId: journey.id, ids };
}

/** Node executions per second: enrol everyone, run the first step, jump past the wait, run the rest. */
async function throughput(database: Database, count: number): Promise<{ rate: number; executions: number }> {
  const { db } = database;
  const clock = createVirtualClock(new Date());
  const { workspaceId, journeyId, ids } = await setupJourney(database, count, { hours: 1 }, clock);
  for (let i = 0; i < ids.length; i += 5000)
    await db
      .transaction()
      .execute((tx) =>
        enrolContacts(tx, { workspaceId, journeyId, contactIds: ids.slice(i, i + 5000), now: clock.now(), source: 'bench' }),
      );
  // What an embedded install's worker does within 30 s of a bulk enrolment (PostgreSQL's autovacuum
  // does it there): without statistics, every claim reads and sorts all due enrolments.
  if (database.engine === 'pglite') await analyzeGrownTables(db);
  const started = performance.now();
  while ((await advanceDueEnrolments(db, clock, { limit: BATCH })) > 0) {}
  clock.advance(3_600_000);
  while ((await advanceDueEnrolments(db, clock, { limit: BATCH })) > 0) {}
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM journey_enrolments WHERE journey_id = ${journeyId} AND status = 'completed'`.execute(db);
  if (rows[0]!.n !== count) throw new Error(`journeys bench: ${rows[0]!.n} of ${count} enrolments completed`);
  // send, wait (parks), wait (passes), tag: four node executions per contact.
  const executions = count * 4;
  return { rate: executions / seconds, executions };
}

/** How late waits end: each enrolment's "passed" step against the time its wait was due, in real time. */
async function timerLateness(database: Database, count: number): Promise<number[]> {
  const { db } = database;
  const { workspaceId, journeyId, ids } = await setupJourney(database, count, { seconds: 3 });
  // Enrolled in ten waves 200 ms apart, so wake times are spread over two seconds.
  for (let i = 0; i < 10; i++) {
    const wave = ids.filter((_, j) => j % 10 === i);
    await db
      .transaction()
      .execute((tx) => enrolContacts(tx, { workspaceId, journeyId, contactIds: wave, now: systemClock.now(), source: 'bench' }));
    await advanceDueEnrolments(db, systemClock, { workspaceId, limit: count });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    while ((await advanceDueEnrolments(db, systemClock, { workspaceId, limit: BATCH })) > 0) {}
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM journey_enrolments WHERE journey_id = ${journeyId} AND status = 'active'`.execute(db);
    if (rows[0]!.n === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const { rows } = await sql<{ late: number }>`
    SELECT extract(epoch FROM p.at - (w.detail->>'until')::timestamptz) * 1000 AS late
    FROM journey_steps p JOIN journey_steps w ON w.enrolment_id = p.enrolment_id AND w.node_id = 'pause' AND w.outcome = 'waiting'
    WHERE p.journey_id = ${journeyId} AND p.node_id = 'pause' AND p.outcome = 'passed'`.execute(db);
  if (rows.length !== count) throw new Error(`journeys bench: ${rows.length} of ${count} waits ended`);
  return rows.map((r) => Number(r.late)).sort((a, b) => a - b);
}

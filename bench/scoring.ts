import { createPartitionCache } from '../src/events/event-partitions.ts';
import type { SegmentCall } from '../src/events/event-schema.ts';
import { ingestEvents } from '../src/events/ingest-events.ts';
import { publishLifecycle, saveLifecycleDraft } from '../src/lifecycle/lifecycle.ts';
import { systemClock } from '../src/platform/clock.ts';
import type { Database } from '../src/platform/db/database.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import { SEED_BANDS } from '../src/scoring/model.ts';
import { createScoringModel, publishScoringModel } from '../src/scoring/models.ts';
import { freshWorkspace, openBenchDatabase } from './bench-database.ts';
import { generateEvents } from './generate-events.ts';
import { benchDatabaseUrl, timeIngest } from './ingest.ts';
import type { BenchContext } from './run.ts';
import { type LoadRun, percentile } from './send-batches.ts';

const field = (name: string, operator: string, value?: unknown) => ({
  type: 'field',
  field: name,
  operator,
  ...(value === undefined ? {} : { value }),
});
const page = (id: string, prefix: string, points: number, extra = {}) => ({
  id,
  label: id,
  kind: 'behavior',
  call: 'page',
  where: [{ property: 'path', operator: 'starts_with', value: prefix }],
  points,
  ...extra,
});
const track = (id: string, event: string, points: number, extra = {}) => ({ id, label: id, kind: 'behavior', event, points, ...extra });
const attribute = (id: string, condition: unknown, points: number) => ({ id, label: id, kind: 'attribute', condition, points });

/** Three models, thirty rules: fit (attributes), engagement (behaviour with limits and decay), product usage. */
export const MODELS = [
  {
    name: 'fit',
    rules: [
      attribute('size_small', field('company.employeeCount', 'lt', 100), 5),
      attribute('size_mid', field('company.employeeCount', 'between', [100, 999]), 15),
      attribute('size_large', field('company.employeeCount', 'gte', 1000), 25),
      attribute('industry', field('company.industry', 'in', ['Software', 'Finance']), 20),
      attribute('decision', field('roleLevel', 'gte', 'director'), 25),
      attribute('influencer', field('roleLevel', 'in', ['lead', 'manager']), 15),
      attribute('staff', field('roleLevel', 'eq', 'staff'), 5),
      attribute('jp', field('country', 'eq', 'JP'), 5),
      attribute('free_mail', field('email', 'ends_with', '@gmail.com'), -10),
      attribute('has_phone', field('phone', 'is_set'), 3),
    ],
  },
  {
    name: 'engagement',
    rules: [
      page('pricing', '/pricing', 10, { oncePerDays: 1 }),
      page('case_study', '/case-studies', 8),
      page('features', '/features', 7, { cap: 21 }),
      page('blog', '/blog', 3, { cap: 15 }),
      page('webinars', '/webinars', 5),
      page('contact', '/contact', 10),
      page('docs', '/docs', 2, { cap: 10 }),
      track('whitepaper', 'Whitepaper Downloaded', 15),
      track('webinar', 'Webinar Registered', 20),
      track('demo', 'Demo Requested', 30),
      track('cta', 'CTA Clicked', 5, { maxTimes: 3 }),
      track('video', 'Video Played', 3),
    ],
    decay: {
      everyDays: 30,
      steps: [
        { afterDays: 30, points: 5 },
        { afterDays: 60, points: 10 },
      ],
    },
  },
  {
    name: 'product',
    rules: [
      track('signed_in', 'Signed In', 1, { oncePerDays: 1 }),
      track('trial', 'Trial Started', 20, { maxTimes: 1 }),
      track('report', 'Report Exported', 5),
      track('seat', 'Seat Added', 10),
      track('invoice', 'Invoice Paid', 30),
      page('home', '/', 1, { cap: 5 }),
      page('getting_started', '/docs/getting-started', 5, { maxTimes: 1 }),
      attribute('trialing', field('lifecycleStage', 'eq', 'Opportunity'), 10),
    ],
  },
];

/** Pairs of runs (without, with scoring); each side's fastest counts. */
const ROUNDS = 3;

/**
 * Tracking throughput with scoring and the lifecycle on (3 models, 30 rules, 2 stage rules)
 * against the same traffic with nothing to react: the cost of deciding in the unit of work.
 * @returns one `RESULT scoring-<engine> …` line per engine.
 */
export async function benchScoring({ rows, engines, serverUrl, log }: BenchContext): Promise<string[]> {
  const count = Math.max(100, Math.round(rows / 10));
  const now = systemClock.now();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const calls = generateEvents({ count, people: 2000, from: monthStart, to: now });
  const rules = MODELS.reduce((n, m) => n + m.rules.length, 0);
  log(`scoring: ${count} events through /v1/batch, with ${MODELS.length} models (${rules} rules) and 2 stage rules, and with none`);
  const results: string[] = [];
  for (const engine of engines) {
    const database = await openBenchDatabase(engine, serverUrl);
    const served = engine === 'postgres' ? await openDatabase({ databaseUrl: benchDatabaseUrl(serverUrl!) }) : database;
    try {
      const decide = async (workspaceId: string) => {
        let first: string | undefined;
        for (const { name, ...definition } of MODELS) {
          const model = await createScoringModel(
            database.db,
            workspaceId,
            { name, definition: { ...definition, bands: SEED_BANDS } },
            systemClock,
          );
          await publishScoringModel(database.db, workspaceId, model.id, systemClock);
          first ??= model.id;
        }
        await saveLifecycleDraft(
          database.db,
          workspaceId,
          {
            definition: {
              rules: [
                { stage: 'Lead', condition: field('email', 'is_set') },
                {
                  stage: 'MQL',
                  condition: {
                    type: 'and',
                    conditions: [field('roleLevel', 'gte', 'manager'), { type: 'score', modelId: first, operator: 'gte', value: 40 }],
                  },
                },
              ],
            },
          },
          systemClock,
        );
        await publishLifecycle(database.db, workspaceId, systemClock);
      };
      // Alternate the two a few times and keep each one's best run: a shared 2-core machine
      // swings ±20% between identical runs, more than the difference under measurement.
      let plain: LoadRun | undefined;
      let decided: LoadRun | undefined;
      const best = (a: LoadRun | undefined, b: LoadRun) => (a && a.elapsedMs <= b.elapsedMs ? a : b);
      for (let round = 0; round < ROUNDS; round++) {
        plain = best(plain, await timeIngest(served, calls, log));
        decided = best(decided, await timeIngest(served, calls, log, decide));
      }
      if (!plain || !decided) throw new Error('no benchmark round ran');
      const rate = (run: LoadRun) => count / (run.elapsedMs / 1000);
      const ratio = rate(decided) / rate(plain);
      const p99 = (run: LoadRun) => percentile(run.latenciesMs, 99);
      log(
        `scoring on ${engine}: with models ${Math.round(rate(decided))} events/s (p99 ${Math.round(p99(decided))} ms), without ${Math.round(rate(plain))} events/s (p99 ${Math.round(p99(plain))} ms)`,
      );
      const scored = await database.db
        .selectFrom('contact_scores')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const ledger = await database.db
        .selectFrom('score_ledger')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      log(`scoring on ${engine}: ${scored.n} scores, ${ledger.n} ledger rows written`);
      results.push(
        `RESULT scoring-${engine} ratio=${ratio.toFixed(2)} ours=${Math.round(rate(decided))} limit=${Math.round(rate(plain))} p99_ms=${Math.round(p99(decided))} events=${count} rules=${rules}`,
      );
      const history = await timeLongHistory(database);
      log(
        `scoring on ${engine}: one more event of a contact with ${SHORT} events ${history.short.toFixed(1)} ms, with ${LONG} events ${history.long.toFixed(1)} ms`,
      );
      results.push(
        `RESULT scoring-history-${engine} ratio=${(history.short / history.long).toFixed(2)} ms_at_${SHORT}=${history.short.toFixed(1)} ms_at_${LONG}=${history.long.toFixed(1)}`,
      );
    } finally {
      if (served !== database) await served.close();
      await database.close();
    }
  }
  return results;
}

const SHORT = 100;
const LONG = 3000;

/**
 * What one more event costs a contact with a long history against one with a short history
 * (same models, same kind of traffic, one event per transaction): a score that re-read the whole
 * history grew with it; resuming the stored replay keeps it flat (ratio near 1).
 */
async function timeLongHistory(database: Database): Promise<{ short: number; long: number }> {
  const workspace = await freshWorkspace(database);
  for (const { name, ...definition } of MODELS) {
    const model = await createScoringModel(
      database.db,
      workspace.id,
      { name, definition: { ...definition, bands: SEED_BANDS } },
      systemClock,
    );
    await publishScoringModel(database.db, workspace.id, model.id, systemClock);
  }
  const partitions = createPartitionCache();
  const paths = ['/pricing', '/blog/notes', '/docs/api', '/features', '/'];
  const tracks = ['Signed In', 'Report Exported', 'Video Played', 'CTA Clicked'];
  const start = systemClock.now().getTime() - 20 * 86_400_000;
  let sent = 0;
  const next = (): SegmentCall => {
    const timestamp = new Date(start + sent * 60_000).toISOString();
    sent++;
    return (
      sent % 2
        ? { type: 'page', userId: 'heavy-user', properties: { path: paths[sent % paths.length] }, timestamp }
        : { type: 'track', userId: 'heavy-user', event: tracks[sent % tracks.length], timestamp }
    ) as SegmentCall;
  };
  const ingest = (calls: SegmentCall[]) => ingestEvents(database.db, { workspaceId: workspace.id, calls, partitions }, systemClock);
  const perEvent = async () => {
    let best = Number.POSITIVE_INFINITY;
    // Best of three runs of 20 single events: a shared machine's pauses are not the history's cost.
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      for (let i = 0; i < 20; i++) await ingest([next()]);
      best = Math.min(best, (performance.now() - started) / 20);
    }
    return best;
  };
  while (sent < SHORT) await ingest(Array.from({ length: Math.min(100, SHORT - sent) }, next));
  const short = await perEvent();
  while (sent < LONG) await ingest(Array.from({ length: Math.min(100, LONG - sent) }, next));
  const long = await perEvent();
  return { short, long };
}

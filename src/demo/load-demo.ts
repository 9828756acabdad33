import { type Kysely, sql } from 'kysely';
import { upsertCompanies } from '../companies/companies.ts';
import { bulkUpsertContacts } from '../contacts/contacts.ts';
import { createPartitionCache, type PartitionCache } from '../events/event-partitions.ts';
import { ingestEvents } from '../events/ingest-events.ts';
import { submitForm } from '../forms/submit-form.ts';
import { advanceDueEnrolments, enrolDueDates, processJourneyInbox } from '../journeys/runtime.ts';
import { drainDueHandoffs, recycleDueHandoffs } from '../lifecycle/handoff.ts';
import { sendDueOwnerNotifications } from '../lifecycle/send-owner-notifications.ts';
import { createDeliveryPipeline, type DeliveryPipeline } from '../messaging/deliveries/pipeline.ts';
import type { MailTransport } from '../messaging/smtp/transport.ts';
import { type Clock, createVirtualClock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import { analyzeGrownTables } from '../platform/db/refresh-statistics.ts';
import type { DB } from '../platform/db/schema.ts';
import { KizunaError } from '../platform/errors.ts';
import { claimJobs, completeJob } from '../platform/jobs/jobs.ts';
import type { Logger } from '../platform/logger.ts';
import { drainDueScoreChecks } from '../scoring/checks.ts';
import { SCORE_REBUILD_JOB } from '../scoring/models.ts';
import { drainDueSegmentChecks } from '../segments/membership.ts';
import { SEGMENT_REBUILD_JOB } from '../segments/segments.ts';
import { backgroundWork } from '../server/background.ts';
import { createApiKey } from '../workspaces/api-keys.ts';
import { createWorkspace } from '../workspaces/workspaces.ts';
import { DEMO_DEFAULTS } from './demo-defaults.ts';
import { type DemoDefinitions, installDemoDefinitions } from './demo-definitions.ts';
import { installDemoJourneys } from './demo-journeys.ts';
import { createEmailEngagement } from './email-engagement.ts';
import { type DemoHappening, generateBehaviour, webinarStops } from './generate-behaviour.ts';
import { type DemoContact, generateCompanies, generateContacts } from './generate-people.ts';
import { createRandom } from './random.ts';
import { workSalesDesk } from './sales-desk.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface DemoProgress {
  day: number;
  days: number;
  contacts: number;
  events: number;
  elapsedMs: number;
}

export interface LoadDemoOptions {
  contacts?: number;
  days?: number;
  seed?: number;
  workspaceName?: string;
  /** Where the simulated window ends; default: now. */
  end?: Date;
  /** Replace a workspace of the same name instead of refusing. */
  replace?: boolean;
  /** Sends the journeys' mail (into the dev sink); without one, mail stays queued. */
  mailer?: MailTransport;
  config: Pick<Config, 'publicUrl' | 'mailFrom' | 'bounceDomain' | 'outboundAllow'>;
  /** Mail due in the window's last hours is left queued, for the next `kizuna start` to catch. */
  holdMailHours?: number;
  /** The virtual clock's step: events of a step go in together, then every background tick runs. */
  stepMinutes?: number;
  logger?: Logger;
  onProgress?: (progress: DemoProgress) => void;
  /** Stops the load between two steps (a shutdown); the partial workspace stays. */
  signal?: AbortSignal;
  /** Wall-clock milliseconds, for progress only (business time is the virtual clock). */
  wallClock?: () => number;
}

export interface DemoResult {
  workspaceId: string;
  workspaceName: string;
  adminKey: string;
  modelId: string;
  segments: DemoDefinitions['segments'];
  journeys: string[];
  formId: string;
  contacts: number;
  companies: number;
  events: number;
  /** Opens and clicks recorded on sent mail. */
  engagements: number;
  start: Date;
  end: Date;
  elapsedMs: number;
}

/**
 * Loads the demo workspace through the real modules: definitions first, then companies and the
 * imported base of contacts, then the window replayed on a virtual clock — each step's sign-ups
 * and tracking calls ingested together, then every background tick run until it has nothing
 * left, so scores decay, segments follow, journeys wait, branch and send, and mail goes
 * through the delivery pipeline. Deterministic for a seed (ids and keys aside).
 * @example const demo = await loadDemo(db, { contacts: 200, days: 30, config, mailer })
 */
export async function loadDemo(db: Kysely<DB>, options: LoadDemoOptions): Promise<DemoResult> {
  const {
    contacts: contactCount = DEMO_DEFAULTS.contacts,
    days = DEMO_DEFAULTS.days,
    seed = DEMO_DEFAULTS.seed,
    workspaceName = DEMO_DEFAULTS.workspaceName,
    stepMinutes = DEMO_DEFAULTS.stepMinutes,
    holdMailHours = 0,
    wallClock = () => performance.now(),
  } = options;
  const began = wallClock();
  const stepMs = stepMinutes * MINUTE;
  const loadedAt = options.end ?? new Date();
  const end = new Date(Math.floor(loadedAt.getTime() / HOUR) * HOUR);
  const start = new Date(end.getTime() - days * DAY);
  const clock = createVirtualClock(new Date(start.getTime() - HOUR));

  await makeRoom(db, workspaceName, options.replace ?? false);
  // Created now, not at the window's start: "the first workspace" (the CLI's and bootstrap's
  // default) stays the one made by the first start.
  const realTime = { now: () => loadedAt };
  const workspace = await createWorkspace(db, { name: workspaceName, defaultRegion: 'JP', timezone: 'Asia/Tokyo', locale: 'ja' }, realTime);
  const workspaceId = workspace.id;
  const adminKey = (await createApiKey(db, { workspaceId, name: 'demo admin key', scope: 'admin' }, realTime)).key;
  const definitions = await installDemoDefinitions(db, workspaceId, clock);
  // Publishing queued the model's and segments' rebuilds: run them now, while the workspace is
  // empty (instant), rather than leave them to re-score everyone at the next start.
  const rebuilds = backgroundWork({ db, clock, logger: options.logger }).handlers;
  for (const job of await claimJobs(db, { workerId: 'demo', kinds: [SCORE_REBUILD_JOB, SEGMENT_REBUILD_JOB], limit: 100 }, clock)) {
    // Another workspace's stale job: its lease (on the virtual clock, long past) frees it for a real worker.
    if (job.workspace_id !== workspaceId) continue;
    await rebuilds[job.kind]!(job, { workerId: 'demo' });
    await completeJob(db, job, clock);
  }
  const journeys = await installDemoJourneys(db, workspaceId, clock, definitions, { days });

  stopIfAborted(options.signal);
  const random = createRandom(seed);
  const companies = generateCompanies(random.fork('companies'), Math.max(2, Math.round(contactCount / 12.5)));
  for (let i = 0; i < companies.length; i += 200)
    assertWritten(
      'companies',
      await upsertCompanies(
        db,
        workspaceId,
        companies.slice(i, i + 200).map(({ name, domain, industry, employeeCount, country, revenueBand }) => ({
          name,
          domain,
          industry,
          employeeCount,
          country,
          revenueBand,
        })),
        clock,
      ),
    );
  const people = generateContacts(random.fork('contacts'), companies, contactCount, days);
  const personaByEmail = new Map(people.map((p) => [String(p.input.email), p.persona]));
  const timeline = people
    .flatMap((person) => generateBehaviour(random.fork(`behaviour:${person.index}`), person, { start: start.getTime(), days }))
    .sort((a, b) => a.at - b.at);

  // The base: contacts known before the window opens (an old list, a trade show).
  clock.set(new Date(start.getTime() - 30 * MINUTE));
  await upsertPeople(
    db,
    workspaceId,
    people.filter((p) => p.joinDay === 0),
    clock,
  );
  // PGlite runs no autovacuum: without fresh statistics the engines' per-contact queries are
  // planned as if the tables were empty (scans over the whole workspace for one contact).
  await analyzeGrownTables(db);

  stopIfAborted(options.signal);
  const partitions = createPartitionCache();
  const mail = options.mailer
    ? createDeliveryPipeline({ db, clock, config: options.config, mailer: options.mailer, logger: options.logger })
    : undefined;
  const sending = demoTicks({
    db,
    clock,
    workspaceId,
    journeyIds: journeys.journeyIds,
    pipeline: mail,
    owners: options.mailer ? { mailer: options.mailer, publicUrl: options.config.publicUrl } : undefined,
  });
  const holding = demoTicks({ db, clock, workspaceId, journeyIds: journeys.journeyIds });
  const engagement = createEmailEngagement({ db, workspaceId, seed, personaByEmail, partitions });
  let next = 0;
  let events = 0;
  let known = people.filter((p) => p.joinDay === 0).length;
  let lastDay = -1;
  const stops = webinarStops(start.getTime(), days);
  let nextStop = 0;
  for (let at = start.getTime(); at < end.getTime(); ) {
    stopIfAborted(options.signal);
    while (nextStop < stops.length && stops[nextStop]! <= at) nextStop++;
    const stepEnd = Math.min(at + stepMs, end.getTime(), stops[nextStop] ?? Number.POSITIVE_INFINITY);
    clock.set(new Date(stepEnd));
    const step: DemoHappening[] = [];
    while (next < timeline.length && timeline[next]!.at < stepEnd) step.push(timeline[next++]!);
    const joining = step.flatMap((h) => (h.kind === 'join' ? [h.contact] : []));
    if (joining.length) await upsertPeople(db, workspaceId, joining, clock);
    for (const person of joining) if (signsUpByForm(person)) await signUp(db, journeys.formId, person, partitions, clock);
    known += joining.length;
    const calls = step.flatMap((h) => (h.kind === 'call' ? [h.call] : []));
    for (let i = 0; i < calls.length; i += 500) await ingestEvents(db, { workspaceId, calls: calls.slice(i, i + 500), partitions }, clock);
    events += calls.length;
    await drainTicks(stepEnd > end.getTime() - holdMailHours * HOUR ? holding : sending);
    await engagement.step(clock);
    const day = Math.floor((stepEnd - start.getTime() - 1) / DAY);
    if (day !== lastDay) {
      // The tables grow from nothing: statistics kept fresh as they grow, as the worker of
      // `kizuna start` does every 5 minutes (a look at table sizes; only grown tables are analysed).
      await analyzeGrownTables(db);
      // Sales works its queue once a day (after the day's last step).
      await workSalesDesk(db, workspaceId, seed, clock);
      await drainTicks(holding);
      lastDay = day;
      options.onProgress?.({ day: day + 1, days, contacts: known, events, elapsedMs: wallClock() - began });
    }
    at = stepEnd;
  }
  return {
    workspaceId,
    workspaceName,
    adminKey,
    modelId: definitions.modelId,
    segments: definitions.segments,
    journeys: journeys.journeyIds,
    formId: journeys.formId,
    contacts: people.length,
    companies: companies.length,
    events,
    engagements: engagement.recorded(),
    start,
    end,
    elapsedMs: wallClock() - began,
  };
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new KizunaError('conflict', 'the demo load was interrupted; run "kizuna demo --replace" to load it again');
}

/**
 * The background ticks of `kizuna start` (src/server/background.ts), scoped to the demo's
 * workspace and journeys: the virtual clock must never fire another workspace's due rows. The
 * demo has no webhook endpoints and no campaigns, so those two ticks are left out.
 */
function demoTicks({
  db,
  clock,
  workspaceId,
  journeyIds,
  pipeline,
  owners,
}: {
  db: Kysely<DB>;
  clock: Clock;
  workspaceId: string;
  journeyIds: readonly string[];
  pipeline?: DeliveryPipeline;
  /** Sales owners' emails (handoffs, SLA breaches, notify_owner) go to the same mailbox as the demo's mail. */
  owners?: { mailer: MailTransport; publicUrl?: string };
}): (() => Promise<number>)[] {
  const scope = { workspaceId };
  return [
    () => drainDueScoreChecks(db, clock, scope),
    () => drainDueSegmentChecks(db, clock, scope),
    () => drainDueHandoffs(db, clock, scope),
    () => recycleDueHandoffs(db, clock, scope),
    () => processJourneyInbox(db, clock, scope),
    () => enrolDueDates(db, clock, { journeyIds }),
    () => advanceDueEnrolments(db, clock, scope),
    ...(pipeline ? [() => pipeline.drain(scope)] : []),
    ...(owners ? [() => sendDueOwnerNotifications({ db, clock, ...owners }, scope)] : []),
  ];
}

/** Runs every tick until a whole round finds nothing due. */
async function drainTicks(ticks: readonly (() => Promise<number>)[]): Promise<void> {
  for (let busy = true; busy; ) {
    busy = false;
    for (const tick of ticks) while ((await tick()) > 0) busy = true;
  }
}

async function upsertPeople(db: Kysely<DB>, workspaceId: string, people: readonly DemoContact[], clock: Clock) {
  for (let i = 0; i < people.length; i += 1000)
    assertWritten(
      'contacts',
      await bulkUpsertContacts(
        db,
        workspaceId,
        people.slice(i, i + 1000).map((p) => p.input),
        clock,
      ),
    );
}

/** Sign-ups from search and social come through the form (which starts the welcome series); the rest are entered by sales. */
function signsUpByForm(person: DemoContact): boolean {
  const source = (person.input.custom as { lead_source?: string }).lead_source;
  return source === 'organic' || source === 'paid_search';
}

async function signUp(db: Kysely<DB>, formId: string, person: DemoContact, partitions: PartitionCache, clock: Clock): Promise<void> {
  const { email = '', lastName = '', firstName = '', companyName = '' } = person.input as Record<string, string | undefined>;
  const result = await submitForm(
    db,
    {
      formId,
      values: { email, lastName, firstName, companyName },
      anonymousId: `anon-${person.userId}`,
      consent: true,
      ip: '203.0.113.10',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    },
    partitions,
    clock,
  );
  if (!result.ok) throw new Error(`demo sign-up of ${email} was refused: ${JSON.stringify(result.errors)}`);
}

/** The generator writes only valid rows: a rejected one is a bug in the demo, said loudly. */
function assertWritten(what: string, outcomes: readonly ({ status: string; errors?: unknown } & object)[]): void {
  const rejected = outcomes.find((o) => o.status === 'rejected');
  if (rejected) throw new Error(`demo ${what}: a generated row was rejected: ${JSON.stringify(rejected)}`);
}

/** A workspace of that name already there: refused, or (replace) deleted with everything in it. */
async function makeRoom(db: Kysely<DB>, name: string, replace: boolean): Promise<void> {
  const existing = await db.selectFrom('workspaces').select('id').where('name', '=', name).execute();
  if (existing.length === 0) return;
  if (!replace)
    throw new KizunaError(
      'conflict',
      `a workspace named "${name}" already exists; run "kizuna demo --replace" to delete it and load a new demo, or choose --workspace-name`,
    );
  // Most tables follow the workspace by ON DELETE CASCADE; the few kept without foreign keys
  // (for write speed) are cleared first.
  const tables = await sql<{ table_name: string }>`
    SELECT c.table_name FROM information_schema.columns c
    JOIN pg_class r ON r.relname = c.table_name AND r.relnamespace = 'public'::regnamespace
    WHERE c.table_schema = 'public' AND c.column_name = 'workspace_id' AND NOT r.relispartition
      AND c.table_name <> 'workspaces'
      AND NOT EXISTS (
        SELECT 1 FROM pg_constraint k WHERE k.conrelid = r.oid AND k.contype = 'f' AND k.confrelid = 'public.workspaces'::regclass)
    ORDER BY c.table_name`.execute(db);
  for (const { id } of existing)
    await db.transaction().execute(async (tx) => {
      for (const { table_name } of tables.rows) await sql`DELETE FROM ${sql.table(table_name)} WHERE workspace_id = ${id}`.execute(tx);
      await tx.deleteFrom('workspaces').where('id', '=', id).execute();
    });
}

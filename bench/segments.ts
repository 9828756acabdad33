import { randomUUID } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { type RawBuilder, sql } from 'kysely';
import { defineCustomField } from '../src/contacts/custom-fields.ts';
import { createPartitionCache, ensureEventPartitions } from '../src/events/event-partitions.ts';
import type { SegmentCall } from '../src/events/event-schema.ts';
import { ingestEvents } from '../src/events/ingest-events.ts';
import { systemClock } from '../src/platform/clock.ts';
import type { Database } from '../src/platform/db/database.ts';
import { addDays, localDate, startOfLocalDay } from '../src/platform/time-zone.ts';
import { createSegment, previewSegment, publishSegment, rebuildSegment } from '../src/segments/segments.ts';
import { freshWorkspace, openBenchDatabase } from './bench-database.ts';
import { copyCsv } from './copy.ts';
import { createRandom } from './generate-contacts.ts';
import type { BenchContext } from './run.ts';
import { percentile } from './send-batches.ts';

const TZ = 'Asia/Tokyo';
const EVENTS_PER_CONTACT = 10;
const LATENCY_EVENTS = 300;
const STAGES = ['Subscriber', 'Lead', 'MQL', 'SQL', 'Opportunity', 'Customer'];
const INDUSTRIES = ['SaaS', 'Manufacturing', 'Retail', 'Finance', 'Healthcare', 'Logistics'];
const ROLES = ['staff', 'lead', 'manager', 'director', 'executive'];
const TAGS = ['vip', 'webinar-2026', 'partner', 'newsletter'];
const PATHS = ['/', '/pricing', '/pricing/enterprise', '/features/scoring', '/blog/abm', '/contact'];
const TRACKS = ['Order Completed', 'Demo Requested', 'Webinar Registered', 'Email Opened', 'Email Link Clicked'];

interface Case {
  name: string;
  condition: unknown;
  /** The same predicate over `c` (contacts) as a person would write it: the limit. */
  handWritten: (ctx: { ws: string; day: (offsetDays: number) => Date; refs: Record<string, string> }) => RawBuilder<unknown>;
}

/** Twenty mixed segments: fields of every kind, event counts in windows, absence, dates, a company join, consent, another segment. */
const CASES: Case[] = [
  {
    name: 'stage MQL',
    condition: { type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'MQL' },
    handWritten: () => sql`lower(c.lifecycle_stage) = 'mql'`,
  },
  {
    name: 'big company manager+',
    condition: {
      type: 'and',
      conditions: [
        { type: 'field', field: 'employeeCount', operator: 'gte', value: 100 },
        { type: 'field', field: 'roleLevel', operator: 'gte', value: 'manager' },
      ],
    },
    handWritten: () => sql`c.employee_count >= 100 AND c.role_level IN ('manager', 'director', 'executive')`,
  },
  {
    name: 'target industries',
    condition: { type: 'field', field: 'industry', operator: 'in', value: ['SaaS', 'Manufacturing'] },
    handWritten: () => sql`lower(c.industry) IN ('saas', 'manufacturing')`,
  },
  {
    name: 'tag webinar',
    condition: { type: 'field', field: 'tags', operator: 'contains', value: 'webinar-2026' },
    handWritten: () => sql`c.tags @> ARRAY['webinar-2026']`,
  },
  {
    name: 'email .co.jp',
    condition: { type: 'field', field: 'email', operator: 'ends_with', value: '.co.jp' },
    handWritten: () => sql`c.email LIKE '%.co.jp'`,
  },
  {
    name: 'plan pro',
    condition: { type: 'field', field: 'custom.plan', operator: 'eq', value: 'pro' },
    handWritten: () => sql`c.custom->>'plan' = 'pro'`,
  },
  {
    name: 'budget > 1M',
    condition: { type: 'field', field: 'custom.budget', operator: 'gt', value: 1_000_000 },
    handWritten: () => sql`jsonb_typeof(c.custom->'budget') = 'number' AND (c.custom->>'budget')::numeric > 1000000`,
  },
  {
    name: 'seen in 7 days',
    condition: { type: 'field', field: 'lastSeenAt', operator: 'within_last_days', value: 7 },
    handWritten: ({ day }) => sql`c.last_seen_at >= ${day(-6)} AND c.last_seen_at < ${day(1)}`,
  },
  {
    name: 'created > 30 days ago',
    condition: { type: 'field', field: 'createdAt', operator: 'more_than_days_ago', value: 30 },
    handWritten: ({ day }) => sql`c.created_at < ${day(-29)}`,
  },
  {
    name: 'pricing x3 in 7 days',
    condition: {
      type: 'event',
      call: 'page',
      where: [{ property: 'path', operator: 'starts_with', value: '/pricing' }],
      count: { operator: 'at_least', value: 3 },
      within: { lastDays: 7 },
    },
    handWritten: ({ ws, day }) =>
      sql`c.id IN (SELECT e.contact_id FROM events e WHERE e.workspace_id = ${ws} AND e.type = 'page' AND e.occurred_at >= ${day(-6)}
        AND e.properties->>'path' LIKE '/pricing%' GROUP BY e.contact_id HAVING count(*) >= 3)`,
  },
  {
    name: 'ordered in 30 days',
    condition: { type: 'event', event: 'Order Completed', within: { lastDays: 30 } },
    handWritten: ({ ws, day }) =>
      sql`EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = ${ws} AND e.contact_id = c.id AND e.name = 'Order Completed' AND e.occurred_at >= ${day(-29)})`,
  },
  {
    name: 'no order in 90 days',
    condition: { type: 'event', event: 'Order Completed', count: { operator: 'exactly', value: 0 }, within: { lastDays: 90 } },
    handWritten: ({ ws, day }) =>
      sql`NOT EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = ${ws} AND e.contact_id = c.id AND e.name = 'Order Completed' AND e.occurred_at >= ${day(-89)})`,
  },
  {
    name: 'demo requested ever',
    condition: { type: 'event', event: 'Demo Requested' },
    handWritten: ({ ws }) =>
      sql`EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = ${ws} AND e.contact_id = c.id AND e.name = 'Demo Requested')`,
  },
  {
    name: 'opened in 30 days',
    condition: { type: 'email', action: 'opened', within: { lastDays: 30 } },
    handWritten: ({ ws, day }) =>
      sql`EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = ${ws} AND e.contact_id = c.id AND e.name = 'Email Opened' AND e.occurred_at >= ${day(-29)}
        AND e.properties->'machine' = 'false')`,
  },
  {
    name: 'clicked campaign',
    condition: { type: 'email', action: 'clicked', campaignId: 'cmp-3' },
    handWritten: ({ ws }) =>
      sql`EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = ${ws} AND e.contact_id = c.id AND e.name = 'Email Link Clicked'
        AND e.properties->>'campaignId' = 'cmp-3' AND e.properties->'machine' = 'false')`,
  },
  {
    name: 'inactive: last view > 14 days ago',
    condition: { type: 'event_time', call: 'page', occurrence: 'last', operator: 'more_than_days_ago', value: 14 },
    handWritten: ({ ws, day }) =>
      sql`c.id IN (SELECT e.contact_id FROM events e WHERE e.workspace_id = ${ws} AND e.type = 'page' AND e.contact_id IS NOT NULL
        GROUP BY e.contact_id HAVING max(e.occurred_at) < ${day(-13)})`,
  },
  {
    name: 'nested',
    condition: {
      type: 'and',
      conditions: [
        {
          type: 'or',
          conditions: [
            { type: 'field', field: 'tags', operator: 'contains', value: 'vip' },
            { type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'SQL' },
          ],
        },
        { type: 'not', condition: { type: 'field', field: 'country', operator: 'eq', value: 'US' } },
      ],
    },
    handWritten: () => sql`(c.tags @> ARRAY['vip'] OR lower(c.lifecycle_stage) = 'sql') AND c.country IS DISTINCT FROM 'US'`,
  },
  {
    name: 'company 500+',
    condition: { type: 'field', field: 'company.employeeCount', operator: 'gte', value: 500 },
    handWritten: () => sql`EXISTS (SELECT 1 FROM companies co WHERE co.id = c.company_id AND co.employee_count >= 500)`,
  },
  {
    name: 'consent granted',
    condition: { type: 'consent', purpose: 'email_marketing', state: 'granted' },
    handWritten: ({ ws }) =>
      sql`(SELECT k.granted FROM consents k WHERE k.workspace_id = ${ws} AND k.contact_id = c.id AND k.purpose = 'email_marketing' ORDER BY k.recorded_at DESC LIMIT 1)`,
  },
  {
    name: 'hot pricing viewers, manager+',
    condition: (refs: Record<string, string>) => ({
      type: 'and',
      conditions: [
        { type: 'segment', segmentId: refs['pricing x3 in 7 days'] },
        { type: 'field', field: 'roleLevel', operator: 'gte', value: 'manager' },
      ],
    }),
    handWritten: ({ refs }) =>
      sql`c.id IN (SELECT m.contact_id FROM segment_members m WHERE m.segment_id = ${refs['pricing x3 in 7 days']} AND m.exited_at IS NULL)
        AND c.role_level IN ('manager', 'director', 'executive')`,
  },
];

/**
 * Segment evaluation against hand-written SQL: `rows` contacts and ten events each, twenty
 * segments built in full (the first build writes every member) against the same predicates
 * written by hand inserting the same member rows into the same table; then the latency from a
 * tracking call to committed memberships, with all twenty segments live.
 * @returns one `RESULT segments-<engine> …` line per engine.
 */
export async function benchSegments({ rows, engines, serverUrl, log }: BenchContext): Promise<string[]> {
  const results: string[] = [];
  for (const engine of engines) {
    const database = await openBenchDatabase(engine, serverUrl);
    try {
      const workspace = await freshWorkspace(database);
      const now = systemClock.now();
      await load(database, workspace.id, rows, now, log);
      const today = localDate(now, TZ);
      const day = (offset: number) => startOfLocalDay(addDays(today, offset), TZ);
      const refs: Record<string, string> = {};
      let oursMs = 0;
      let limitMs = 0;
      let members = 0;
      const previewMs: number[] = [];
      // A segment row of its own for the hand-written members (never published: nothing else writes it).
      const scratch = (
        await createSegment(
          database.db,
          workspace.id,
          { name: 'hand-written', definition: { condition: { type: 'field', field: 'email', operator: 'is_set' } } },
          systemClock,
        )
      ).id;
      for (const c of CASES) {
        const condition = typeof c.condition === 'function' ? (c.condition as (r: typeof refs) => unknown)(refs) : c.condition;
        const segment = await createSegment(database.db, workspace.id, { name: c.name, definition: { condition } }, systemClock);
        refs[c.name] = segment.id;
        await publishSegment(database.db, workspace.id, segment.id, systemClock);
        // The limit: the hand-written predicate inserting the same member rows into the same table.
        let started = performance.now();
        const hand = await sql<{ n: number }>`
          WITH ins AS (
            INSERT INTO segment_members (workspace_id, segment_id, contact_id, version, entered_at, enter_cause)
            SELECT c.workspace_id, ${scratch}::uuid, c.id, 1, ${now}::timestamptz, 'initial' FROM contacts c
            WHERE c.workspace_id = ${workspace.id} AND ${c.handWritten({ ws: workspace.id, day, refs })}
            RETURNING 1)
          SELECT count(*)::int AS n FROM ins`.execute(database.db);
        const handMs = performance.now() - started;
        started = performance.now();
        await rebuildSegment(database.db, workspace.id, segment.id, systemClock);
        const builtMs = performance.now() - started;
        const built = await database.db
          .selectFrom('segment_members')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('segment_id', '=', segment.id)
          .where('exited_at', 'is', null)
          .executeTakeFirstOrThrow();
        const differ = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM (
            (SELECT contact_id FROM segment_members WHERE segment_id = ${segment.id} EXCEPT SELECT contact_id FROM segment_members WHERE segment_id = ${scratch})
            UNION ALL
            (SELECT contact_id FROM segment_members WHERE segment_id = ${scratch} EXCEPT SELECT contact_id FROM segment_members WHERE segment_id = ${segment.id})) d`.execute(
          database.db,
        );
        if (differ.rows[0]!.n !== 0 || built.n !== hand.rows[0]!.n)
          throw new Error(`segment "${c.name}": ${built.n} members built, ${hand.rows[0]!.n} by hand, ${differ.rows[0]!.n} differ`);
        await database.db.deleteFrom('segment_members').where('segment_id', '=', scratch).execute();
        // Preview (count and 20 samples, saving nothing) of the same definition, as an editor asks for it.
        started = performance.now();
        const preview = await previewSegment(database.db, workspace.id, { definition: { condition } }, systemClock);
        previewMs.push(performance.now() - started);
        if (preview.count !== built.n) throw new Error(`segment "${c.name}": preview counts ${preview.count}, build ${built.n}`);
        oursMs += builtMs;
        limitMs += handMs;
        members += built.n;
        log(
          `segments on ${engine}: ${c.name.padEnd(34)} ${String(built.n).padStart(7)} members  built ${ms(builtMs)}  by hand ${ms(handMs)}  preview ${ms(previewMs.at(-1)!)}`,
        );
      }
      // A second full rebuild of all twenty with nothing changed: evaluation and diff, no writes.
      let started = performance.now();
      for (const c of CASES) await rebuildSegment(database.db, workspace.id, refs[c.name]!, systemClock);
      const againMs = performance.now() - started;
      await sql`ANALYZE`.execute(database.db);

      // Latency: one tracking call at a time, committed with every affected membership.
      const partitions = createPartitionCache();
      const random = createRandom(7);
      const latencies: number[] = [];
      const signalsBefore = await countSignals(database, workspace.id);
      for (let i = 0; i < LATENCY_EVENTS; i++) {
        const who = `u${Math.floor(random() * rows)}`;
        const call = (
          i % 3 === 0
            ? { type: 'track', userId: who, event: 'Demo Requested' }
            : i % 3 === 1
              ? { type: 'track', userId: who, event: 'Order Completed', properties: { revenue: 1000 } }
              : { type: 'page', userId: who, properties: { path: '/pricing' } }
        ) as SegmentCall;
        started = performance.now();
        await ingestEvents(database.db, { workspaceId: workspace.id, calls: [call], partitions }, systemClock);
        latencies.push(performance.now() - started);
      }
      const changes = (await countSignals(database, workspace.id)) - signalsBefore;
      const ratio = limitMs / oursMs;
      const [p50, p99] = [percentile(latencies, 50), percentile(latencies, 99)];
      log(
        `segments on ${engine}: 20 full builds ${ms(oursMs)} (${members} memberships) vs hand-written ${ms(limitMs)}; rebuild with nothing changed ${ms(againMs)}; event → memberships committed p50 ${ms(p50)} p99 ${ms(p99)} (${changes} membership changes from ${LATENCY_EVENTS} events)`,
      );
      results.push(
        `RESULT segments-${engine} ratio=${ratio.toFixed(2)} ours_ms=${Math.round(oursMs)} limit_ms=${Math.round(limitMs)} rebuild_again_ms=${Math.round(againMs)} p50_ms=${p50.toFixed(1)} p99_ms=${p99.toFixed(1)} preview_max_ms=${Math.round(Math.max(...previewMs))} contacts=${rows} events=${rows * EVENTS_PER_CONTACT}`,
      );
    } finally {
      await database.close();
    }
  }
  return results;
}

async function countSignals(database: Database, workspaceId: string): Promise<number> {
  const row = await database.db
    .selectFrom('signals')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  return row.n;
}

/** Companies, contacts (with a userId each), consents and events, loaded with COPY (not timed). */
async function load(database: Database, workspaceId: string, rows: number, now: Date, log: BenchContext['log']): Promise<void> {
  const started = performance.now();
  const random = createRandom(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const iso = (d: Date) => d.toISOString();
  const daysAgo = (max: number) => new Date(now.getTime() - random() * max * 86_400_000);
  for (const field of [
    { key: 'plan', type: 'enum' as const, options: ['free', 'pro', 'enterprise'] },
    { key: 'budget', type: 'number' as const, options: [] },
  ]) {
    await defineCustomField(database.db, workspaceId, { entity: 'contact', label: field.key, ...field }, systemClock);
  }
  const companies = Array.from({ length: Math.max(10, Math.round(rows / 20)) }, (_, i) => ({
    id: randomUUID(),
    name: `会社${i}`,
    employees: Math.floor(random() * 2000),
  }));
  await copyCsv(
    database,
    'companies',
    ['id', 'workspace_id', 'name', 'name_key', 'industry', 'employee_count', 'created_at', 'updated_at'],
    stringify(companies.map((c) => [c.id, workspaceId, c.name, c.name, pick(INDUSTRIES), c.employees, iso(now), iso(now)])),
  );
  const contactIds: string[] = [];
  const contactRows: unknown[][] = [];
  for (let i = 0; i < rows; i++) {
    const id = randomUUID();
    contactIds.push(id);
    const custom: Record<string, unknown> = {};
    if (random() < 0.6) custom.plan = pick(['free', 'pro', 'enterprise']);
    if (random() < 0.5) custom.budget = Math.floor(random() * 5_000_000);
    const tags = TAGS.filter(() => random() < 0.15);
    contactRows.push([
      id,
      workspaceId,
      `person${i}@${pick(['example.co.jp', 'example.com', 'mail.example.jp'])}`,
      random() < 0.9 ? pick(STAGES) : null,
      random() < 0.8 ? pick(INDUSTRIES) : null,
      random() < 0.7 ? Math.floor(random() * 3000) : null,
      random() < 0.8 ? pick(ROLES) : null,
      `{${tags.join(',')}}`,
      random() < 0.8 ? 'JP' : 'US',
      pick(companies).id,
      JSON.stringify(custom),
      iso(daysAgo(120)),
      iso(now),
      random() < 0.9 ? iso(daysAgo(40)) : null,
    ]);
  }
  await copyCsv(
    database,
    'contacts',
    [
      ...['id', 'workspace_id', 'email', 'lifecycle_stage', 'industry', 'employee_count', 'role_level', 'tags', 'country'],
      ...['company_id', 'custom', 'created_at', 'updated_at', 'last_seen_at'],
    ],
    stringify(contactRows),
  );
  await copyCsv(
    database,
    'contact_external_ids',
    ['workspace_id', 'source', 'external_id', 'contact_id'],
    stringify(contactIds.map((id, i) => [workspaceId, 'user_id', `u${i}`, id])),
  );
  await copyCsv(
    database,
    'consents',
    ['id', 'workspace_id', 'contact_id', 'purpose', 'granted', 'wording', 'source', 'recorded_at'],
    stringify(
      contactIds
        .filter(() => random() < 0.4)
        .map((id) => [
          randomUUID(),
          workspaceId,
          id,
          'email_marketing',
          String(random() < 0.85),
          'メールマガジンを受け取る',
          'bench',
          iso(daysAgo(100)),
        ]),
    ),
  );
  // Events over the last 120 days, in chunks so no single CSV string is huge.
  const total = rows * EVENTS_PER_CONTACT;
  const oldest = new Date(now.getTime() - 120 * 86_400_000);
  await ensureEventPartitions(
    database.db,
    Array.from({ length: 6 }, (_, m) => new Date(oldest.getTime() + m * 30 * 86_400_000)).concat([now]),
    createPartitionCache(),
  );
  const chunk = 100_000;
  for (let start = 0; start < total; start += chunk) {
    const events: unknown[][] = [];
    for (let i = start; i < Math.min(total, start + chunk); i++) {
      const contactId = contactIds[Math.floor(random() * rows)]!;
      const at = iso(daysAgo(120));
      if (random() < 0.6) {
        events.push([workspaceId, randomUUID(), randomUUID(), 'page', null, contactId, JSON.stringify({ path: pick(PATHS) }), at, at]);
      } else {
        const name = pick(TRACKS);
        const properties = name.startsWith('Email')
          ? { campaignId: `cmp-${Math.floor(random() * 10)}`, machine: random() < 0.2 }
          : name === 'Order Completed'
            ? { revenue: Math.floor(random() * 100_000) }
            : {};
        events.push([workspaceId, randomUUID(), randomUUID(), 'track', name, contactId, JSON.stringify(properties), at, at]);
      }
    }
    await copyCsv(
      database,
      'events',
      ['workspace_id', 'id', 'message_id', 'type', 'name', 'contact_id', 'properties', 'occurred_at', 'received_at'],
      stringify(events),
    );
  }
  await sql`ANALYZE`.execute(database.db);
  log(`segments: loaded ${rows} contacts, ${companies.length} companies and ${total} events in ${ms(performance.now() - started)}`);
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

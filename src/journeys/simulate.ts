import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { type Kysely, sql } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import { trackContactChanges } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { invalidInput, KizunaError, notFound } from '../platform/errors.ts';
import { readDocument } from '../platform/read-document.ts';
import { reactToChanges } from '../segments/membership.ts';
import { getSegment } from '../segments/segments.ts';
import { checkJourney } from './check-journey.ts';
import { type JourneyDefinition, ZJourneyDefinition } from './definition.ts';
import { eventKeysOf } from './journeys.ts';
import { actOnEvents, advanceDueIn, DATE_SCAN_MS, enrolContacts, enrolDueDatesIn, type InboxEvent } from './runtime.ts';
import { journeyStats, ZJourneyStats } from './trace.ts';

/** The longest window a simulation replays. */
const MAX_WINDOW_DAYS = 366;

export const ZSimulationInput = z
  .object({
    from: z.iso.datetime({ offset: true }).openapi({ example: '2026-10-01T00:00:00Z', description: 'Start of the replayed window.' }),
    to: z.iso.datetime({ offset: true }).openapi({ example: '2026-11-01T00:00:00Z', description: 'End of the replayed window.' }),
    definition: z.unknown().optional().openapi({ type: 'object', description: "A definition to simulate instead of the journey's draft." }),
    enrol: z
      .object({
        contactIds: z.array(z.uuid()).max(100_000).optional(),
        segmentId: z.uuid().optional().openapi({ description: "The segment's current members." }),
      })
      .strict()
      .optional()
      .openapi({ description: 'Manual journeys: who is enrolled at the start of the window.' }),
  })
  .strict()
  .openapi('SimulationInput');

export const ZSimulationReport = z
  .object({
    window: z.object({ from: z.string(), to: z.string() }),
    replayed: z
      .object({ events: z.number(), signals: z.number() })
      .openapi({ description: 'Stored events and signals the journey reacts to.' }),
    entered: z.number().openapi({ description: 'Enrolments the journey would have made.' }),
    stats: ZJourneyStats.openapi({ description: 'Per node, as GET /api/journeys/{id}/stats would show them at the end of the window.' }),
    conversions: z.record(z.string(), z.number()).openapi({ description: 'Conversions by goal name.' }),
    messages: z
      .array(
        z.object({
          nodeId: z.string(),
          channel: z.string(),
          contactId: z.string(),
          at: z.string(),
          templateId: z.string().nullable(),
        }),
      )
      .openapi({
        description:
          'The messages that would have been queued, in time order (the send-time policies, quiet hours and caps, are not replayed).',
      }),
  })
  .openapi('SimulationReport');
export type SimulationReport = z.infer<typeof ZSimulationReport>;

/** Thrown to roll the simulation's transaction back, carrying its report out. */
class RollBack extends Error {
  constructor(readonly report: SimulationReport) {
    super('simulation rolled back');
  }
}

/**
 * What a journey (its draft, or a given definition) would have done over a past window: the real
 * runtime replays the stored events and signals it reacts to, in time order, on a virtual clock,
 * inside one transaction that is rolled back. Nothing it did remains; no message is sent (queued
 * deliveries are never visible to a sender and vanish with the rollback).
 *
 * Conditions (branches, enrolWhen) read contacts as they are now, not as they were then.
 */
export async function simulateJourney(
  db: Kysely<DB>,
  workspaceId: string,
  input: {
    journeyId: string;
    from: Date | string;
    to: Date | string;
    definition?: unknown;
    enrol?: { contactIds?: string[]; segmentId?: string };
  },
): Promise<SimulationReport> {
  const parsed = readDocument(
    ZSimulationInput,
    {
      from: new Date(input.from).toISOString(),
      to: new Date(input.to).toISOString(),
      ...(input.definition === undefined ? {} : { definition: input.definition }),
      ...(input.enrol ? { enrol: input.enrol } : {}),
    },
    'body',
    '{"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}',
  );
  const from = new Date(parsed.from);
  const to = new Date(parsed.to);
  if (!(from < to)) throw invalidInput([{ path: 'body.to', message: 'the window must end after it starts' }]);
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * 86_400_000)
    throw invalidInput([{ path: 'body.to', message: `a simulation replays at most ${MAX_WINDOW_DAYS} days` }]);
  const journey = await db
    .selectFrom('journeys')
    .select(['id', 'name', 'draft'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', input.journeyId)
    .executeTakeFirst();
  if (!journey) throw notFound('journey', input.journeyId);
  const root = parsed.definition === undefined ? 'draft' : 'definition';
  const definition = readDocument(
    ZJourneyDefinition,
    parsed.definition ?? journey.draft,
    root,
    '{"trigger": {…}, "start": …, "nodes": […]}',
  );
  const issues = await checkJourney(db, workspaceId, definition, root);
  if (issues.length) throw invalidInput(issues, 'the journey is invalid; see errors for each problem');
  if (parsed.enrol?.segmentId) await getSegment(db, workspaceId, parsed.enrol.segmentId);
  if (definition.trigger.type === 'manual' && !parsed.enrol)
    throw invalidInput([
      { path: 'body.enrol', message: 'a manual journey needs enrol.contactIds or enrol.segmentId: who enters at the start' },
    ]);

  try {
    await db.transaction().execute(async (tx) => {
      throw new RollBack(await replay(tx, workspaceId, journey.name, definition, from, to, parsed.enrol));
    });
  } catch (error) {
    if (error instanceof RollBack) return error.report;
    throw error;
  }
  throw new KizunaError('internal', 'the simulation ended without a report');
}

async function replay(
  tx: Kysely<DB>,
  workspaceId: string,
  name: string,
  definition: JourneyDefinition,
  from: Date,
  to: Date,
  enrol: { contactIds?: string[]; segmentId?: string } | undefined,
): Promise<SimulationReport> {
  const changes = trackContactChanges(tx);
  // A journey of its own (a new id: no cached version of a real journey is ever confused with it).
  const id = randomUUID();
  await tx
    .insertInto('journeys')
    .values({
      id,
      workspace_id: workspaceId,
      name: `simulation of ${name}`.slice(0, 200),
      status: 'active',
      draft: JSON.stringify(definition),
      published_version: 1,
      created_at: from,
      updated_at: from,
    })
    .execute();
  await tx
    .insertInto('journey_versions')
    .values({ journey_id: id, version: 1, definition: JSON.stringify(definition), published_at: from })
    .execute();
  const only = { journeyIds: [id] };

  // What the journey reacts to, in time order: events by key, and signals by kind.
  const keys = eventKeysOf(definition, { triggers: true });
  const eventKeys = keys.filter((k) => k.startsWith('event:'));
  const signalKinds = keys.filter((k) => k.startsWith('signal:')).map((k) => k.slice('signal:'.length));
  const { rows: timeline } = await sql<{
    source: string;
    id: string;
    contact_id: string;
    event_key: string;
    type: string;
    name: string | null;
    properties: Record<string, unknown>;
    at: Date;
  }>`
    SELECT * FROM (
      SELECT 'event' AS source, e.id::text AS id, e.contact_id, k.event_key, e.type, e.name, e.properties, e.occurred_at AS at
      FROM events e
      JOIN LATERAL (SELECT CASE WHEN e.type = 'track' THEN 'event:track:' || e.name ELSE 'event:' || e.type END AS event_key) k ON true
      WHERE e.workspace_id = ${workspaceId} AND e.contact_id IS NOT NULL AND e.occurred_at >= ${from} AND e.occurred_at <= ${to}
        AND k.event_key = ANY(${eventKeys}::text[])
      UNION ALL
      SELECT 'signal', s.id::text, s.contact_id, 'signal:' || s.kind, 'signal', s.kind, s.data || jsonb_build_object('subjectId', s.subject_id), s.occurred_at
      FROM signals s
      WHERE s.workspace_id = ${workspaceId} AND s.contact_id IS NOT NULL AND s.occurred_at >= ${from} AND s.occurred_at <= ${to}
        AND s.kind = ANY(${signalKinds}::text[])
    ) t ORDER BY at, source, id`.execute(tx);

  let now = from;
  const clock: Clock = { now: () => now };
  const settle = async () => {
    while ((await advanceDueIn(tx, now, { ...only, limit: 1000 })) > 0) {}
    await reactToChanges(tx, changes, clock);
  };
  if (enrol) {
    const ids = new Set(enrol.contactIds ?? []);
    if (enrol.segmentId)
      for (const r of await tx
        .selectFrom('segment_members')
        .innerJoin('segments', 'segments.id', 'segment_members.segment_id')
        .select('segment_members.contact_id')
        .where('segments.workspace_id', '=', workspaceId)
        .where('segment_id', '=', enrol.segmentId)
        .where('exited_at', 'is', null)
        .execute())
        ids.add(r.contact_id);
    const all = [...ids];
    for (let i = 0; i < all.length; i += 1000)
      await enrolContacts(tx, { workspaceId, journeyId: id, contactIds: all.slice(i, i + 1000), now, source: 'simulation' });
    await settle();
  }
  const scans = definition.trigger.type === 'date';
  let nextScan = scans ? new Date(from.getTime() + DATE_SCAN_MS) : null;
  let i = 0;
  for (;;) {
    const { rows } = await sql<{ next: Date | null }>`
      SELECT min(wake_at) AS next FROM journey_enrolments WHERE journey_id = ${id} AND status = 'active'`.execute(tx);
    const wake = rows[0]?.next ? new Date(rows[0].next) : null;
    const event = timeline[i] ? new Date(timeline[i]!.at) : null;
    const t = [wake, event, nextScan]
      .filter((d): d is Date => d !== null)
      .reduce<Date | null>((a, b) => (a === null || b < a ? b : a), null);
    if (t === null || t > to) break;
    now = t > now ? t : now;
    if (wake && wake <= t) {
      await settle();
      continue;
    }
    if (event && event.getTime() === t.getTime()) {
      // Every event at this instant, through the inbox as the worker takes them.
      const batch: typeof timeline = [];
      while (timeline[i] && new Date(timeline[i]!.at).getTime() === t.getTime()) batch.push(timeline[i++]!);
      const { rows: inbox } = await sql<InboxEvent>`
        INSERT INTO journey_inbox (workspace_id, contact_id, event_id, event_key, type, name, properties, occurred_at)
        SELECT ${workspaceId}, b.contact_id, CASE WHEN b.source = 'event' THEN b.id::uuid ELSE gen_random_uuid() END,
          b.event_key, b.type, b.name, b.properties, b.at
        FROM jsonb_to_recordset(${JSON.stringify(batch)}::jsonb)
          AS b(source text, id text, contact_id uuid, event_key text, type text, name text, properties jsonb, at timestamptz)
        ORDER BY b.at
        RETURNING id::text, contact_id, event_key, properties`.execute(tx);
      await actOnEvents(tx, workspaceId, inbox, now, only);
      await sql`DELETE FROM journey_inbox WHERE id = ANY(${inbox.map((r) => r.id)}::bigint[])`.execute(tx);
      await settle();
      continue;
    }
    await enrolDueDatesIn(tx, now, { ...only, every: 0 });
    nextScan = new Date(now.getTime() + DATE_SCAN_MS);
    await settle();
  }
  now = to;

  const stats = await journeyStats(tx, workspaceId, id);
  const { rows: converted } = await sql<{ goal: string; n: number }>`
    SELECT substr(end_reason, 6) AS goal, count(*)::int AS n FROM journey_enrolments
    WHERE journey_id = ${id} AND status = 'converted' AND end_reason LIKE 'goal %' GROUP BY 1`.execute(tx);
  const messages = await tx
    .selectFrom('deliveries')
    .select(['channel', 'contact_id', 'due_at', 'template_id', sql<string>`context -> 'journey' ->> 'node'`.as('node')])
    .where('workspace_id', '=', workspaceId)
    .where('source', '=', `journey:${id}`)
    .orderBy('due_at')
    .orderBy('id')
    .execute();
  return {
    window: { from: from.toISOString(), to: to.toISOString() },
    replayed: {
      events: timeline.filter((t) => t.source === 'event').length,
      signals: timeline.filter((t) => t.source === 'signal').length,
    },
    entered: Object.values(stats.enrolments).reduce((a, b) => a + b, 0),
    stats,
    conversions: Object.fromEntries(converted.map((c) => [c.goal, c.n])),
    messages: messages.map((m) => ({
      nodeId: m.node,
      channel: m.channel,
      contactId: m.contact_id ?? '',
      at: new Date(m.due_at).toISOString(),
      templateId: m.template_id,
    })),
  };
}

import { z } from '@hono/zod-openapi';
import { type Kysely, sql } from 'kysely';
import type { DB } from '../platform/db/schema.ts';
import { notFound } from '../platform/errors.ts';

export const ZJourneyStep = z
  .object({ nodeId: z.string(), outcome: z.string(), detail: z.record(z.string(), z.unknown()), at: z.string() })
  .openapi('JourneyStep');

export const ZEnrolmentTrace = z
  .object({
    enrolmentId: z.uuid(),
    journeyId: z.uuid(),
    journeyName: z.string(),
    version: z.number(),
    status: z.enum(['active', 'completed', 'exited', 'converted', 'failed']),
    nodeId: z.string().openapi({ description: 'Where the contact is (active) or where it ended.' }),
    wakeAt: z.string().nullable(),
    waitDeadline: z
      .string()
      .nullable()
      .openapi({ description: 'Waiting at a wait_for: when it times out (a condition is re-checked before).' }),
    attempts: z.number().openapi({ description: 'System faults in a row at the node (retried with backoff; steps say `retrying`).' }),
    lastError: z.string().nullable().openapi({ description: 'The latest system fault, kept after a retry succeeds.' }),
    enteredAt: z.string(),
    endedAt: z.string().nullable(),
    endReason: z.string().nullable(),
    steps: z.array(ZJourneyStep),
  })
  .openapi('EnrolmentTrace');
export type EnrolmentTrace = z.infer<typeof ZEnrolmentTrace>;

/** A contact's journeys, newest enrolment first, each with every step: why it went where it went. */
export async function contactJourneyTrace(db: Kysely<DB>, workspaceId: string, contactId: string): Promise<EnrolmentTrace[]> {
  const contact = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  if (!contact) throw notFound('contact', contactId);
  const { rows } = await sql<{ doc: EnrolmentTrace[] | null }>`
    SELECT json_agg(t ORDER BY t."enteredAt" DESC) AS doc FROM (
      SELECT e.id AS "enrolmentId", e.journey_id AS "journeyId", j.name AS "journeyName", e.version, e.status,
        e.node_id AS "nodeId", e.wake_at AS "wakeAt", CASE WHEN e.waiting_for IS NOT NULL THEN e.wait_deadline END AS "waitDeadline", e.attempts, e.last_error AS "lastError",
        e.entered_at AS "enteredAt", e.ended_at AS "endedAt", e.end_reason AS "endReason",
        coalesce((SELECT json_agg(json_build_object('nodeId', s.node_id, 'outcome', s.outcome, 'detail', s.detail, 'at', s.at) ORDER BY s.id)
          FROM journey_steps s WHERE s.enrolment_id = e.id), '[]') AS steps
      FROM journey_enrolments e JOIN journeys j ON j.id = e.journey_id
      WHERE e.workspace_id = ${workspaceId} AND e.contact_id = ${contactId}) t`.execute(db);
  return (rows[0]?.doc ?? []).map((t) => ({
    ...t,
    wakeAt: t.wakeAt ? new Date(t.wakeAt).toISOString() : null,
    waitDeadline: t.waitDeadline ? new Date(t.waitDeadline).toISOString() : null,
    enteredAt: new Date(t.enteredAt).toISOString(),
    endedAt: t.endedAt ? new Date(t.endedAt).toISOString() : null,
    steps: t.steps.map((s) => ({ ...s, at: new Date(s.at).toISOString() })),
  }));
}

export const ZJourneyStats = z
  .object({
    enrolments: z.record(z.string(), z.number()).openapi({ description: 'Enrolments by status.' }),
    nodes: z.array(
      z.object({
        nodeId: z.string(),
        entered: z.number().openapi({ description: 'Enrolments that reached the node.' }),
        waiting: z.number().openapi({ description: 'Contacts waiting at it now.' }),
        outcomes: z.record(z.string(), z.number()).openapi({
          description: 'Steps recorded at the node by outcome (sent, skipped, passed, branch, happened, timed_out, retrying, converted…).',
        }),
      }),
    ),
  })
  .openapi('JourneyStats');

/** Per node: how many reached it, are waiting there, and each outcome; enrolments by status. */
export async function journeyStats(db: Kysely<DB>, workspaceId: string, journeyId: string): Promise<z.infer<typeof ZJourneyStats>> {
  const journey = await db
    .selectFrom('journeys')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', journeyId)
    .executeTakeFirst();
  if (!journey) throw notFound('journey', journeyId);
  const steps = await db
    .selectFrom('journey_steps')
    .select(['node_id', 'outcome', (eb) => eb.fn.countAll<string>().as('n')])
    .where('journey_id', '=', journeyId)
    .groupBy(['node_id', 'outcome'])
    .execute();
  const reached = await db
    .selectFrom('journey_steps')
    .select(['node_id', sql<string>`count(DISTINCT enrolment_id)`.as('n')])
    .where('journey_id', '=', journeyId)
    .groupBy('node_id')
    .execute();
  const enrolments = await db
    .selectFrom('journey_enrolments')
    .select(['status', 'node_id', 'waiting_for', (eb) => eb.fn.countAll<string>().as('n')])
    .where('journey_id', '=', journeyId)
    .groupBy(['status', 'node_id', 'waiting_for'])
    .execute();
  const nodes = new Map<string, { nodeId: string; entered: number; waiting: number; outcomes: Record<string, number> }>();
  const node = (id: string) => {
    let n = nodes.get(id);
    if (!n) {
      n = { nodeId: id, entered: 0, waiting: 0, outcomes: {} };
      nodes.set(id, n);
    }
    return n;
  };
  for (const r of reached) node(r.node_id).entered = Number(r.n);
  for (const st of steps) node(st.node_id).outcomes[st.outcome] = Number(st.n);
  const byStatus: Record<string, number> = {};
  for (const e of enrolments) {
    byStatus[e.status] = (byStatus[e.status] ?? 0) + Number(e.n);
    if (e.status === 'active' && e.waiting_for) node(e.node_id).waiting += Number(e.n);
  }
  return { enrolments: byStatus, nodes: [...nodes.values()].sort((a, b) => a.nodeId.localeCompare(b.nodeId)) };
}

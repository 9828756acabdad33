import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { type Kysely, sql } from 'kysely';
import { fullNameOf } from '../contacts/contact-schema.ts';
import { assertContactInWorkspace } from '../contacts/contacts.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { invalidInput, issuesFromZod, KizunaError } from '../platform/errors.ts';
import { unitOfWork } from '../segments/membership.ts';
import { changeStage, type LifecycleDefinition, loadPublishedLifecycle, recordTransitions } from './lifecycle.ts';
import { OWNER_ADDRESS, queueOwnerNotifications } from './owner-notifications.ts';
import { createTasks } from './tasks.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Starts the sales handoff of contacts that just entered the handoff stage (MQL): the contact's
 * owner is kept, or the sales user with the fewest handoffs for their weight takes it; SLA
 * timers start for the first touch and for the decision. A contact with an open handoff keeps it.
 */
export async function startHandoffs(
  tx: Kysely<DB>,
  workspaceId: string,
  entered: string[],
  definition: LifecycleDefinition,
  now: Date,
): Promise<void> {
  const handoff = definition.handoff;
  if (!handoff || entered.length === 0) return;
  const contacts = await tx
    .selectFrom('contacts')
    .select(['id', 'owner', 'email', 'first_name', 'last_name', 'name_order', 'company_name'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', sql<string>`ANY(${entered}::uuid[])`)
    .orderBy('id')
    .execute();
  const counts = await roundRobinCounts(tx, workspaceId, handoff.salesUsers);
  const rows = contacts.map((contact) => {
    let owner = contact.owner;
    let assignedBy = 'kept';
    if (!owner) {
      owner = nextOwner(handoff.salesUsers, counts);
      assignedBy = 'round_robin';
    }
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
    return {
      id: randomUUID(),
      workspace_id: workspaceId,
      contact_id: contact.id,
      owner,
      assigned_by: assignedBy,
      started_at: now,
      first_touch_due: new Date(now.getTime() + handoff.firstTouchHours * HOUR),
      decision_due: new Date(now.getTime() + handoff.decisionHours * HOUR),
      first_touched_at: null,
      decided_at: null,
      decision: null,
      reason_code: null,
      reason: null,
      first_touch_breached_at: null,
      decision_breached_at: null,
    };
  });
  if (rows.length === 0) return;
  const started = await tx
    .insertInto('handoffs')
    .values(rows)
    .onConflict((oc) => oc.column('contact_id').where('decided_at', 'is', null).doNothing())
    .returning(['id', 'contact_id', 'owner', 'assigned_by', 'first_touch_due', 'decision_due'])
    .execute();
  if (started.length === 0) return;
  for (const h of started.filter((h) => h.assigned_by === 'round_robin'))
    await tx.updateTable('contacts').set({ owner: h.owner }).where('id', '=', h.contact_id).execute();
  // The owner's notification carries a lead summary (seed 004: リード情報サマリーを送付): who, which
  // company, and the current scores, already updated in this unit of work.
  const byId = new Map(contacts.map((c) => [c.id, c]));
  const scores = await tx
    .selectFrom('contact_scores as s')
    .innerJoin('scoring_models as m', 'm.id', 's.model_id')
    .select(['s.contact_id', 'm.name', 's.score', 's.band'])
    .where('s.workspace_id', '=', workspaceId)
    .where('s.contact_id', '=', sql<string>`ANY(${started.map((h) => h.contact_id)}::uuid[])`)
    .orderBy('m.name')
    .execute();
  const { locale } = await tx.selectFrom('workspaces').select('locale').where('id', '=', workspaceId).executeTakeFirstOrThrow();
  const tasks = await createTasks(
    tx,
    workspaceId,
    started.map((h) => ({
      contactId: h.contact_id,
      owner: h.owner,
      title: followUpTitle(byId.get(h.contact_id)!, locale),
      dueAt: h.first_touch_due,
      source: 'handoff' as const,
      handoffId: h.id,
    })),
    now,
  );
  const taskOf = new Map(tasks.map((t) => [t.contactId, t.id]));
  await tx
    .insertInto('signals')
    .values(
      started.map((h) => {
        const contact = byId.get(h.contact_id)!;
        return {
          workspace_id: workspaceId,
          kind: 'handoff.assigned',
          contact_id: h.contact_id,
          subject_id: h.contact_id,
          data: JSON.stringify({
            owner: h.owner,
            assignedBy: h.assigned_by,
            firstTouchDue: h.first_touch_due.toISOString(),
            decisionDue: h.decision_due.toISOString(),
            taskId: taskOf.get(h.contact_id),
            contact: {
              email: contact.email,
              fullName: fullNameOf(contact),
              company: contact.company_name,
              scores: scores.filter((s) => s.contact_id === h.contact_id).map((s) => ({ model: s.name, score: s.score, band: s.band })),
            },
          }),
          occurred_at: now,
        };
      }),
    )
    .execute();
  // The owner's email, beside the signal (webhooks): one per handoff, whatever retries the unit of work.
  await queueOwnerNotifications(
    tx,
    workspaceId,
    started.map((h) => {
      const contact = byId.get(h.contact_id)!;
      return {
        contactId: h.contact_id,
        to: h.owner,
        kind: 'handoff.assigned' as const,
        idempotencyKey: `handoff:${h.id}:assigned`,
        facts: {
          contact: {
            id: contact.id,
            email: contact.email,
            firstName: contact.first_name,
            lastName: contact.last_name,
            nameOrder: contact.name_order,
            company: contact.company_name,
            stage: handoff.stage,
            scores: scores.filter((s) => s.contact_id === h.contact_id).map((s) => ({ model: s.name, score: s.score, band: s.band })),
          },
          handoff: { firstTouchDue: h.first_touch_due.toISOString(), decisionDue: h.decision_due.toISOString() },
        },
      };
    }),
    now,
  );
}

type SalesUser = { email: string; weight: number };

/** Weighted round robin (pure): the sales user furthest below their share of `counts` takes the next lead. */
export function nextOwner(salesUsers: readonly SalesUser[], counts: ReadonlyMap<string, number>): string {
  return [...salesUsers].sort((a, b) => (counts.get(a.email) ?? 0) / a.weight - (counts.get(b.email) ?? 0) / b.weight)[0]!.email;
}

/** The round robin's balance: leads each sales user was given by a handoff or by a journey's round robin. */
export async function roundRobinCounts(
  tx: Kysely<DB>,
  workspaceId: string,
  salesUsers: readonly SalesUser[],
): Promise<Map<string, number>> {
  const emails = salesUsers.map((u) => u.email);
  const { rows } = await sql<{ owner: string; n: number }>`
    SELECT owner, count(*)::int AS n FROM (
      SELECT owner FROM handoffs WHERE workspace_id = ${workspaceId} AND owner = ANY(${emails}::text[])
      UNION ALL
      SELECT owner FROM owner_assignments
      WHERE workspace_id = ${workspaceId} AND owner = ANY(${emails}::text[]) AND assigned_by = 'round_robin') given
    GROUP BY owner`.execute(tx);
  return new Map(rows.map((r) => [r.owner, r.n]));
}

/** The follow-up task's title in the workspace's language. */
function followUpTitle(contact: Parameters<typeof fullNameOf>[0] & { email: string | null; company_name: string | null }, locale: string) {
  const who = fullNameOf(contact) ?? contact.email ?? '';
  const company = contact.company_name ? (locale.startsWith('ja') ? `（${contact.company_name}）` : ` (${contact.company_name})`) : '';
  return locale.startsWith('ja') ? `MQLフォローアップ: ${who}${company}` : `Follow up on MQL: ${who}${company}`;
}

/**
 * Raises the SLA breaches that are due: one `handoff.sla_breached` signal and one email to the
 * owner per handoff and timer (first touch, decision), never twice (the breach time is set in the
 * same statement).
 * @returns how many breaches were raised.
 */
export async function drainDueHandoffs(db: Kysely<DB>, clock: Clock, { workspaceId }: { workspaceId?: string } = {}): Promise<number> {
  const now = clock.now();
  const only = workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``;
  const { rows } = await sql<{ n: number }>`
    WITH touch AS (
      UPDATE handoffs SET first_touch_breached_at = ${now}
      WHERE first_touch_due <= ${now} AND first_touched_at IS NULL AND first_touch_breached_at IS NULL AND decided_at IS NULL ${only}
      RETURNING id, workspace_id, contact_id, owner, first_touch_due AS due, 'first_touch' AS timer),
    decision AS (
      UPDATE handoffs SET decision_breached_at = ${now}
      WHERE decision_due <= ${now} AND decision_breached_at IS NULL AND decided_at IS NULL ${only}
      RETURNING id, workspace_id, contact_id, owner, decision_due AS due, 'decision' AS timer),
    breached AS (SELECT * FROM touch UNION ALL SELECT * FROM decision),
    mailed AS (
      INSERT INTO owner_notifications (id, workspace_id, contact_id, to_email, kind, facts, idempotency_key, next_attempt_at, created_at)
      SELECT gen_random_uuid(), b.workspace_id, b.contact_id, b.owner, 'handoff.sla_breached',
        jsonb_build_object(
          'contact', jsonb_build_object('id', c.id, 'email', c.email, 'firstName', c.first_name, 'lastName', c.last_name,
            'nameOrder', c.name_order, 'company', c.company_name, 'stage', c.lifecycle_stage),
          'breach', jsonb_build_object('timer', b.timer, 'due', to_char(b.due AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
        'handoff:' || b.id || ':' || b.timer || '_breached', ${now}::timestamptz, ${now}::timestamptz
      FROM breached b JOIN contacts c ON c.id = b.contact_id
      -- Owners are free text; only an address gets mail (as isMailableOwner decides).
      WHERE b.owner ~ ${OWNER_ADDRESS.source}
        -- Not where the workspace turned owner emails off (sending settings; on by default).
        AND NOT EXISTS (SELECT 1 FROM sending_settings s WHERE s.workspace_id = b.workspace_id AND s.definition -> 'ownerEmails' = 'false')
      ON CONFLICT (idempotency_key) DO NOTHING),
    raised AS (
      INSERT INTO signals (workspace_id, kind, contact_id, subject_id, data, occurred_at)
      SELECT workspace_id, 'handoff.sla_breached', contact_id, contact_id,
        jsonb_build_object('timer', timer, 'owner', owner, 'due', due), ${now}::timestamptz
      FROM breached
      RETURNING 1)
    SELECT count(*)::int AS n FROM raised`.execute(db);
  return rows[0]!.n;
}

/**
 * The recycle rule: rejected leads whose recycle time has come and who are still in the reject
 * stage (Recycled) go back to the recycle stage (Lead) for nurturing, logged as a `recycle` rule
 * transition; from there the stage rules can qualify them again. Runs as a unit of work, so
 * segments on the stage follow. A lead moved on meanwhile (by hand, or re-qualified) stays.
 * @returns how many handoffs' recycle timers were handled.
 */
export async function recycleDueHandoffs(
  db: Kysely<DB>,
  clock: Clock,
  { workspaceId, limit = 500 }: { workspaceId?: string; limit?: number } = {},
): Promise<number> {
  return unitOfWork(db, clock, async (tx) => {
    const now = clock.now();
    const only = workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``;
    const { rows } = await sql<{ workspace_id: string; contact_id: string; reason_code: string | null; decided_at: Date }>`
      UPDATE handoffs SET recycled_at = ${now}
      WHERE id IN (
        SELECT id FROM handoffs WHERE recycle_due <= ${now} AND recycled_at IS NULL ${only}
        ORDER BY recycle_due LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING workspace_id, contact_id, reason_code, decided_at`.execute(tx);
    const byWorkspace = new Map<string, typeof rows>();
    for (const row of rows) byWorkspace.set(row.workspace_id, [...(byWorkspace.get(row.workspace_id) ?? []), row]);
    for (const [workspace, due] of byWorkspace) {
      const definition = (await loadPublishedLifecycle(tx, workspace))?.definition;
      const config = definition?.handoff;
      if (!definition || !config) continue;
      const still = await tx
        .selectFrom('contacts')
        .select(['id', 'lifecycle_stage'])
        .where('workspace_id', '=', workspace)
        .where('id', '=', sql<string>`ANY(${due.map((d) => d.contact_id)}::uuid[])`)
        .where('lifecycle_stage', '=', config.rejectStage)
        .orderBy('id')
        .forUpdate()
        .execute();
      const why = new Map(due.map((d) => [d.contact_id, d]));
      await recordTransitions(
        tx,
        workspace,
        still.map((c) => {
          const handoff = why.get(c.id)!;
          const days = Math.round((now.getTime() - handoff.decided_at.getTime()) / DAY);
          return {
            contactId: c.id,
            from: c.lifecycle_stage,
            to: config.recycleStage,
            cause: 'rule',
            rule: 'recycle',
            reason: `recycled ${days} days after rejection${handoff.reason_code ? ` (${handoff.reason_code})` : ''}`,
          };
        }),
        now,
        definition,
      );
    }
    return rows.length;
  });
}

export const ZHandoffDecision = z
  .object({
    decision: z.enum(['accepted', 'rejected']),
    /** Required to reject: one of the lifecycle's handoff.rejectReasons. */
    reasonCode: z.string().max(40).optional(),
    reason: z.string().trim().max(500).optional(),
  })
  .strict()
  .openapi('HandoffDecision');

async function openHandoff(tx: Kysely<DB>, workspaceId: string, contactId: string) {
  await assertContactInWorkspace(tx, workspaceId, contactId);
  const handoff = await tx
    .selectFrom('handoffs')
    .selectAll()
    .where('contact_id', '=', contactId)
    .where('decided_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!handoff) throw new KizunaError('conflict', `contact ${contactId} has no open handoff`);
  return handoff;
}

/** The owner's first touch (a call, a mail): stops the first-touch SLA timer. */
export async function recordFirstTouch(tx: Kysely<DB>, workspaceId: string, contactId: string, clock: Clock): Promise<void> {
  const handoff = await openHandoff(tx, workspaceId, contactId);
  await markFirstTouch(tx, handoff.id, clock.now());
}

/** Stops a handoff's first-touch SLA timer, unless it was touched or decided already. */
export async function markFirstTouch(tx: Kysely<DB>, handoffId: string, at: Date): Promise<void> {
  await tx
    .updateTable('handoffs')
    .set({ first_touched_at: at })
    .where('id', '=', handoffId)
    .where('first_touched_at', 'is', null)
    .where('decided_at', 'is', null)
    .execute();
}

/** Sales accepts (→ the accept stage, SQL) or rejects with a reason code (→ Recycled). Runs in the caller's unit of work. */
export async function decideHandoff(tx: Kysely<DB>, workspaceId: string, contactId: string, input: unknown, clock: Clock): Promise<void> {
  const parsed = ZHandoffDecision.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const handoff = await openHandoff(tx, workspaceId, contactId);
  const config = (await loadPublishedLifecycle(tx, workspaceId))?.definition.handoff;
  if (!config) throw new KizunaError('conflict', 'the published lifecycle has no handoff');
  const { decision, reasonCode, reason } = parsed.data;
  if (decision === 'rejected' && (!reasonCode || !config.rejectReasons.includes(reasonCode)))
    throw invalidInput([{ path: 'reasonCode', message: `a rejection needs one of ${config.rejectReasons.join(', ')}` }]);
  const now = clock.now();
  await tx
    .updateTable('handoffs')
    .set({
      decided_at: now,
      decision,
      reason_code: reasonCode ?? null,
      reason: reason ?? null,
      first_touched_at: handoff.first_touched_at ?? now,
      recycle_due: decision === 'rejected' && config.recycleAfterDays ? new Date(now.getTime() + config.recycleAfterDays * DAY) : null,
    })
    .where('id', '=', handoff.id)
    .execute();
  const stage = decision === 'accepted' ? config.acceptStage : config.rejectStage;
  await changeStage(
    tx,
    workspaceId,
    contactId,
    { stage, reason: decision === 'rejected' ? `${reasonCode}${reason ? `: ${reason}` : ''}` : undefined },
    'user',
    clock,
  );
}

export const ZHandoff = z
  .object({
    owner: z.string(),
    assignedBy: z.string(),
    startedAt: z.string(),
    firstTouchDue: z.string(),
    decisionDue: z.string(),
    firstTouchedAt: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decision: z.enum(['accepted', 'rejected']).nullable(),
    reasonCode: z.string().nullable(),
    reason: z.string().nullable(),
    firstTouchBreachedAt: z.string().nullable(),
    decisionBreachedAt: z.string().nullable(),
  })
  .openapi('Handoff');

/** A contact's handoffs, newest first, with their SLA state. */
export async function listHandoffs(db: Kysely<DB>, workspaceId: string, contactId: string): Promise<z.infer<typeof ZHandoff>[]> {
  await assertContactInWorkspace(db, workspaceId, contactId);
  const rows = await db.selectFrom('handoffs').selectAll().where('contact_id', '=', contactId).orderBy('started_at', 'desc').execute();
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return rows.map((h) => ({
    owner: h.owner,
    assignedBy: h.assigned_by,
    startedAt: h.started_at.toISOString(),
    firstTouchDue: h.first_touch_due.toISOString(),
    decisionDue: h.decision_due.toISOString(),
    firstTouchedAt: iso(h.first_touched_at),
    decidedAt: iso(h.decided_at),
    decision: h.decision,
    reasonCode: h.reason_code,
    reason: h.reason,
    firstTouchBreachedAt: iso(h.first_touch_breached_at),
    decisionBreachedAt: iso(h.decision_breached_at),
  }));
}

export const ZSlaReport = z
  .object({
    owners: z.array(
      z.object({
        owner: z.string(),
        handoffs: z.number().int(),
        open: z.number().int(),
        accepted: z.number().int(),
        rejected: z.number().int(),
        firstTouchBreaches: z.number().int(),
        decisionBreaches: z.number().int(),
        /** Median hours from handoff to first touch, over touched handoffs. */
        medianFirstTouchHours: z.number().nullable(),
      }),
    ),
  })
  .openapi('SlaReport');

/** The SLA report per owner: handoffs, outcomes, breaches and the median time to first touch. */
export async function slaReport(db: Kysely<DB>, workspaceId: string): Promise<z.infer<typeof ZSlaReport>> {
  const { rows } = await sql<z.infer<typeof ZSlaReport>['owners'][number]>`
    SELECT owner, count(*)::int AS handoffs,
      count(*) FILTER (WHERE decided_at IS NULL)::int AS open,
      count(*) FILTER (WHERE decision = 'accepted')::int AS accepted,
      count(*) FILTER (WHERE decision = 'rejected')::int AS rejected,
      count(first_touch_breached_at)::int AS "firstTouchBreaches",
      count(decision_breached_at)::int AS "decisionBreaches",
      round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_touched_at - started_at) / 3600))::numeric, 1)::float AS "medianFirstTouchHours"
    FROM handoffs WHERE workspace_id = ${workspaceId} GROUP BY owner ORDER BY owner`.execute(db);
  return { owners: rows };
}

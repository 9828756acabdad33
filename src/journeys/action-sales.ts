import { sql } from 'kysely';
import { updateContactRows } from '../contacts/insert-contact-rows.ts';
import { nextOwner, roundRobinCounts } from '../lifecycle/handoff.ts';
import { loadPublishedLifecycle } from '../lifecycle/lifecycle.ts';
import { loadContactFacts, queueOwnerNotifications } from '../lifecycle/owner-notifications.ts';
import { createTasks } from '../lifecycle/tasks.ts';
import { createTemplateEngines, liquidErrorMessage } from '../messaging/templates/liquid.ts';
import { loadRecipients, loadWorkspaceData } from '../messaging/templates/recipients.ts';
import { noteContactChange } from '../platform/db/contact-changes.ts';
import type { ActionResult, ActionRun, ActionTarget } from './actions.ts';
import { type ActionNode, durationMs } from './definition.ts';

type Results = Map<string, ActionResult>;

const skipped = (reason: string): ActionResult => ({ outcome: 'skipped', detail: { reason } });

/** The target contacts' owners and companies, locked: two runs cannot both find one ownerless. */
async function lockContacts(run: ActionRun, targets: readonly ActionTarget[]) {
  const ids = [...new Set(targets.map((t) => t.contactId))].sort();
  const rows = await run.tx
    .selectFrom('contacts')
    .select(['id', 'owner', 'company_id'])
    .where('workspace_id', '=', run.workspaceId)
    .where('id', '=', sql<string>`ANY(${ids}::uuid[])`)
    .orderBy('id')
    .forUpdate()
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * assign_owner: an owner is kept; else the account owner (the owner most of the company's other
 * contacts have); else the sales users of the published lifecycle's handoff by weighted round
 * robin, sharing the handoffs' balance. Every new owner is a contact update (segments and rules
 * react) and a row of the owner_assignments audit trail.
 */
export async function runAssignOwner(run: ActionRun, targets: readonly ActionTarget[]): Promise<Results> {
  const { tx, workspaceId, now } = run;
  const contacts = await lockContacts(run, targets);
  const chosen = new Map<string, { owner: string; how: 'account' | 'round_robin' }>();
  const ownerless = [...contacts.values()].filter((c) => !c.owner);
  const companies = [...new Set(ownerless.flatMap((c) => (c.company_id ? [c.company_id] : [])))];
  if (companies.length) {
    const { rows } = await sql<{ company_id: string; owner: string }>`
      SELECT DISTINCT ON (company_id) company_id, owner FROM contacts
      WHERE workspace_id = ${workspaceId} AND company_id = ANY(${companies}::uuid[]) AND owner IS NOT NULL
      GROUP BY company_id, owner ORDER BY company_id, count(*) DESC, owner`.execute(tx);
    const accountOwner = new Map(rows.map((r) => [r.company_id, r.owner]));
    for (const c of ownerless) {
      const owner = c.company_id ? accountOwner.get(c.company_id) : undefined;
      if (owner) chosen.set(c.id, { owner, how: 'account' });
    }
  }
  const rest = ownerless.filter((c) => !chosen.has(c.id));
  const salesUsers = rest.length ? ((await loadPublishedLifecycle(tx, workspaceId))?.definition.handoff?.salesUsers ?? []) : [];
  if (salesUsers.length) {
    const counts = await roundRobinCounts(tx, workspaceId, salesUsers);
    for (const c of rest) {
      const owner = nextOwner(salesUsers, counts);
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
      chosen.set(c.id, { owner, how: 'round_robin' });
    }
  }
  const cause = `journey:${targets[0]!.journeyId}`;
  await updateContactRows(
    tx,
    workspaceId,
    [...chosen].map(([id, { owner }]) => ({ id, set: { owner, updated_at: now } })),
  );
  if (chosen.size)
    await tx
      .insertInto('owner_assignments')
      .values(
        [...chosen].map(([contactId, { owner, how }]) => ({
          workspace_id: workspaceId,
          contact_id: contactId,
          owner,
          assigned_by: how,
          cause,
          assigned_at: now,
        })),
      )
      .execute();
  for (const id of chosen.keys()) noteContactChange(tx, workspaceId, id, ['field:owner']);
  const results: Results = new Map();
  for (const t of targets) {
    const contact = contacts.get(t.contactId);
    const given = chosen.get(t.contactId);
    if (!contact) results.set(t.enrolmentId, skipped('the contact no longer exists'));
    else if (contact.owner) results.set(t.enrolmentId, { outcome: 'owner', detail: { ownerId: contact.owner, how: 'kept' } });
    else if (given) results.set(t.enrolmentId, { outcome: 'owner', detail: { ownerId: given.owner, how: given.how } });
    else results.set(t.enrolmentId, skipped('no account owner, and the published lifecycle names no sales users (handoff.salesUsers)'));
  }
  return results;
}

/**
 * notify_owner: the message (Liquid over contact, company, workspace, journey) goes to the
 * contact's owner as an `owner.notified` signal, which reaches the webhook endpoints subscribed
 * to it signed per Standard Webhooks (as `handoff.assigned` does), and as an email (queued here,
 * sent by the worker) when the owner is an address. No owner: skipped.
 */
export async function runNotifyOwner(
  run: ActionRun,
  node: Extract<ActionNode, { type: 'notify_owner' }>,
  targets: readonly ActionTarget[],
): Promise<Results> {
  const { tx, workspaceId, now } = run;
  const [recipients, workspace] = await Promise.all([
    loadRecipients(
      tx,
      workspaceId,
      targets.map((t) => t.contactId),
    ),
    loadWorkspaceData(tx, workspaceId),
  ]);
  const engine = createTemplateEngines().text;
  const template = engine.parse(node.message);
  const results: Results = new Map();
  const signals: { contact_id: string; data: Record<string, unknown> }[] = [];
  for (const t of targets) {
    const recipient = recipients.get(t.contactId);
    const owner = recipient?.contact.owner;
    if (!recipient) results.set(t.enrolmentId, skipped('the contact no longer exists'));
    else if (!owner) results.set(t.enrolmentId, skipped('the contact has no owner to notify'));
    else {
      let message: string;
      try {
        message = engine.renderSync(template, { ...recipient, workspace, journey: { id: t.journeyId, nodeId: node.id } });
      } catch (error) {
        results.set(t.enrolmentId, skipped(`the message did not render: ${liquidErrorMessage(error)}`));
        continue;
      }
      const { contact, company } = recipient;
      signals.push({
        contact_id: contact.id,
        data: {
          owner,
          message,
          journeyId: t.journeyId,
          nodeId: node.id,
          contact: { email: contact.email, fullName: contact.fullName, company: company?.name ?? contact.companyName },
        },
      });
      results.set(t.enrolmentId, { outcome: 'notified', detail: { ownerId: owner } });
    }
  }
  if (signals.length)
    await tx
      .insertInto('signals')
      .values(
        signals.map((s) => ({
          workspace_id: workspaceId,
          kind: 'owner.notified',
          contact_id: s.contact_id,
          subject_id: s.contact_id,
          data: JSON.stringify(s.data),
          occurred_at: now,
        })),
      )
      .execute();
  await queueNotifyOwnerMail(run, node, targets, results, signals);
  return results;
}

/**
 * The owner emails of a notify_owner run. The key names the enrolment, the node and how often the
 * enrolment was notified there before (a journey may pass a node again after a wait): the step
 * replayed before its trace step is written finds the same count and queues nothing new.
 */
async function queueNotifyOwnerMail(
  { tx, workspaceId, now }: ActionRun,
  node: Extract<ActionNode, { type: 'notify_owner' }>,
  targets: readonly ActionTarget[],
  results: Results,
  signals: readonly { contact_id: string; data: Record<string, unknown> }[],
): Promise<void> {
  const notified = targets.filter((t) => results.get(t.enrolmentId)?.outcome === 'notified');
  if (notified.length === 0) return;
  const enrolments = notified.map((t) => t.enrolmentId);
  const [facts, visits, journeys] = await Promise.all([
    loadContactFacts(
      tx,
      workspaceId,
      notified.map((t) => t.contactId),
    ),
    tx
      .selectFrom('journey_steps')
      .select(['enrolment_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('enrolment_id', '=', sql<string>`ANY(${enrolments}::uuid[])`)
      .where('node_id', '=', node.id)
      .where('outcome', '=', 'notified')
      .groupBy('enrolment_id')
      .execute(),
    tx
      .selectFrom('journeys')
      .select(['id', 'name'])
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', [...new Set(notified.map((t) => t.journeyId))])
      .execute(),
  ]);
  const visitsOf = new Map(visits.map((v) => [v.enrolment_id, Number(v.n)]));
  const nameOf = new Map(journeys.map((j) => [j.id, j.name]));
  const signalOf = new Map(signals.map((s) => [s.contact_id, s.data]));
  await queueOwnerNotifications(
    tx,
    workspaceId,
    notified.flatMap((t) => {
      const contact = facts.get(t.contactId);
      const signal = signalOf.get(t.contactId);
      if (!contact || !signal) return [];
      return [
        {
          contactId: t.contactId,
          to: signal.owner as string,
          kind: 'owner.notified' as const,
          idempotencyKey: `journey:${t.enrolmentId}:${node.id}:${visitsOf.get(t.enrolmentId) ?? 0}`,
          facts: {
            contact,
            journey: { id: t.journeyId, name: nameOf.get(t.journeyId) ?? t.journeyId, nodeId: node.id, message: signal.message as string },
          },
        },
      ];
    }),
    now,
  );
}

/** create_task: a follow-up task for the contact's owner (and its `task.created` signal), due `dueIn` from now. */
export async function runCreateTask(
  run: ActionRun,
  node: Extract<ActionNode, { type: 'create_task' }>,
  targets: readonly ActionTarget[],
): Promise<Results> {
  const contacts = await lockContacts(run, targets);
  const dueAt = node.dueIn ? new Date(run.now.getTime() + durationMs(node.dueIn)) : null;
  const wanted = targets.filter((t) => contacts.get(t.contactId)?.owner);
  const tasks = await createTasks(
    run.tx,
    run.workspaceId,
    wanted.map((t) => ({
      contactId: t.contactId,
      owner: contacts.get(t.contactId)!.owner!,
      title: node.title,
      notes: `journey ${t.journeyId}, node ${node.id}`,
      dueAt,
      source: 'journey' as const,
    })),
    run.now,
  );
  const results: Results = new Map();
  wanted.forEach((t, i) => {
    results.set(t.enrolmentId, { outcome: 'task', detail: { taskId: tasks[i]!.id, ownerId: tasks[i]!.owner } });
  });
  for (const t of targets)
    if (!results.has(t.enrolmentId))
      results.set(
        t.enrolmentId,
        skipped(contacts.has(t.contactId) ? 'the contact has no owner for the task' : 'the contact no longer exists'),
      );
  return results;
}

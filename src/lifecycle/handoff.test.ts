import { describe, expect, it } from 'vitest';
import { bulkUpsertContacts } from '../contacts/contacts.ts';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import type { KizunaError } from '../platform/errors.ts';
import { unitOfWork } from '../segments/membership.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';
import { decideHandoff, drainDueHandoffs, listHandoffs, recordFirstTouch, recycleDueHandoffs, slaReport } from './handoff.ts';
import { changeStage, listTransitions, publishLifecycle, saveLifecycleDraft } from './lifecycle.ts';
import { listTasks, updateTask } from './tasks.ts';

const database = useTestDatabase();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function setup() {
  const { db } = database.current;
  const clock = createVirtualClock(new Date('2026-06-01T00:00:00Z'));
  const { workspaceId } = await createTestWorkspace(database.current, clock);
  // Every contact with an email is an MQL here: the handoff is what is under test.
  await saveLifecycleDraft(
    db,
    workspaceId,
    {
      definition: {
        rules: [{ stage: 'MQL', label: 'email', condition: { type: 'field', field: 'email', operator: 'is_set' } }],
        handoff: { salesUsers: [{ email: 'sato@kizuna.example', weight: 2 }, { email: 'suzuki@kizuna.example' }] },
      },
    },
    clock,
  );
  await publishLifecycle(db, workspaceId, clock);
  const breaches = async (contactId: string) =>
    (
      await db.selectFrom('signals').select('data').where('contact_id', '=', contactId).where('kind', '=', 'handoff.sla_breached').execute()
    ).map((s) => s.data.timer);
  return { db, clock, workspaceId, breaches };
}

describe('sales handoff', () => {
  it('assigns MQLs by weighted round robin, keeps an existing owner', async () => {
    const { db, clock, workspaceId } = await setup();
    const emails = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => ({ email: `${n}@lead.example` }));
    await bulkUpsertContacts(db, workspaceId, [...emails, { email: 'owned@lead.example', owner: 'tanaka@kizuna.example' }], clock);
    const handoffs = await db.selectFrom('handoffs').select(['owner', 'assigned_by']).where('workspace_id', '=', workspaceId).execute();
    const count = (owner: string) => handoffs.filter((h) => h.owner === owner).length;
    expect(count('sato@kizuna.example')).toBe(4);
    expect(count('suzuki@kizuna.example')).toBe(2);
    expect(handoffs.filter((h) => h.assigned_by === 'kept')).toEqual([{ owner: 'tanaka@kizuna.example', assigned_by: 'kept' }]);
  });

  it('an SLA breach raises exactly one signal per timer; accept → SQL, reject → Recycled with a reason code', async () => {
    const { db, clock, workspaceId, breaches } = await setup();
    const [a, b] = (await bulkUpsertContacts(db, workspaceId, [{ email: 'a@lead.example' }, { email: 'b@lead.example' }], clock)).map(
      (w) => (w as { id: string }).id,
    ) as [string, string];
    clock.advance(24 * HOUR - 1);
    await drainDueHandoffs(db, clock, { workspaceId });
    expect(await breaches(a)).toEqual([]);
    // b is touched in time; a is not.
    await unitOfWork(db, clock, (tx) => recordFirstTouch(tx, workspaceId, b, clock));
    clock.advance(1);
    expect(await drainDueHandoffs(db, clock, { workspaceId })).toBe(1);
    clock.advance(HOUR);
    expect(await drainDueHandoffs(db, clock, { workspaceId })).toBe(0);
    expect(await breaches(a)).toEqual(['first_touch']);
    expect(await breaches(b)).toEqual([]);

    // Seven days: neither decided yet, both breach the decision timer, once.
    clock.set(new Date('2026-06-08T00:00:00Z'));
    expect(await drainDueHandoffs(db, clock, { workspaceId })).toBe(2);
    expect(await drainDueHandoffs(db, clock, { workspaceId })).toBe(0);
    expect(await breaches(a)).toEqual(['first_touch', 'decision']);

    await unitOfWork(db, clock, (tx) => decideHandoff(tx, workspaceId, a, { decision: 'accepted' }, clock));
    const refused = await unitOfWork(db, clock, (tx) => decideHandoff(tx, workspaceId, b, { decision: 'rejected' }, clock)).catch((e) => e);
    expect((refused as KizunaError).issues.map((i) => i.path)).toEqual(['reasonCode']);
    await unitOfWork(db, clock, (tx) =>
      decideHandoff(tx, workspaceId, b, { decision: 'rejected', reasonCode: 'no_budget', reason: '来期検討' }, clock),
    );
    expect((await listTransitions(db, workspaceId, a)).at(-1)).toMatchObject({ from: 'MQL', to: 'SQL', cause: 'user' });
    expect((await listTransitions(db, workspaceId, b)).at(-1)).toMatchObject({
      from: 'MQL',
      to: 'Recycled',
      cause: 'user',
      reason: 'no_budget: 来期検討',
    });

    // The breaches show on the contact and in the SLA report.
    expect((await listHandoffs(db, workspaceId, a))[0]).toMatchObject({
      decision: 'accepted',
      firstTouchBreachedAt: '2026-06-02T00:00:00.000Z',
      decisionBreachedAt: '2026-06-08T00:00:00.000Z',
    });
    const report = await slaReport(db, workspaceId);
    const total = report.owners.reduce(
      (t, o) => ({
        handoffs: t.handoffs + o.handoffs,
        firstTouch: t.firstTouch + o.firstTouchBreaches,
        decision: t.decision + o.decisionBreaches,
      }),
      { handoffs: 0, firstTouch: 0, decision: 0 },
    );
    expect(total).toEqual({ handoffs: 2, firstTouch: 1, decision: 2 });
    expect(report.owners.reduce((n, o) => n + o.accepted + o.rejected, 0)).toBe(2);
  });

  it('creates a follow-up task and a lead summary for the owner; completing the task is the first touch', async () => {
    const { db, clock, workspaceId, breaches } = await setup();
    const [contact] = await bulkUpsertContacts(
      db,
      workspaceId,
      [{ email: 'taro@sample.co.jp', lastName: '山田', firstName: '太郎', companyName: 'サンプル株式会社' }],
      clock,
    );
    const id = (contact as { id: string }).id;
    const { items } = await listTasks(db, workspaceId, { limit: 50, contactId: id });
    expect(items).toEqual([
      expect.objectContaining({
        owner: 'sato@kizuna.example',
        title: 'MQLフォローアップ: 山田 太郎（サンプル株式会社）',
        dueAt: '2026-06-02T00:00:00.000Z',
        status: 'open',
        source: 'handoff',
      }),
    ]);
    const signals = await db
      .selectFrom('signals')
      .select(['kind', 'data'])
      .where('contact_id', '=', id)
      .where('kind', 'in', ['handoff.assigned', 'task.created'])
      .orderBy('id')
      .execute();
    expect(signals.map((s) => s.kind)).toEqual(['task.created', 'handoff.assigned']);
    expect(signals[1]!.data).toMatchObject({
      owner: 'sato@kizuna.example',
      taskId: items[0]!.id,
      contact: { email: 'taro@sample.co.jp', fullName: '山田 太郎', company: 'サンプル株式会社', scores: [] },
    });

    clock.advance(3 * HOUR);
    const done = await unitOfWork(db, clock, (tx) => updateTask(tx, workspaceId, items[0]!.id, { status: 'done' }, clock));
    expect(done).toMatchObject({ status: 'done', completedAt: '2026-06-01T03:00:00.000Z' });
    expect((await listHandoffs(db, workspaceId, id))[0]!.firstTouchedAt).toBe('2026-06-01T03:00:00.000Z');
    clock.advance(2 * DAY);
    expect(await drainDueHandoffs(db, clock, { workspaceId })).toBe(0);
    expect(await breaches(id)).toEqual([]);
  });

  it('recycles a rejected lead back to Lead after 90 days; a lead moved on meanwhile stays where it is', async () => {
    const { db, clock, workspaceId } = await setup();
    const [a, b] = (await bulkUpsertContacts(db, workspaceId, [{ email: 'a@lead.example' }, { email: 'b@lead.example' }], clock)).map(
      (w) => (w as { id: string }).id,
    ) as [string, string];
    for (const id of [a, b])
      await unitOfWork(db, clock, (tx) => decideHandoff(tx, workspaceId, id, { decision: 'rejected', reasonCode: 'bad_timing' }, clock));
    // b is disqualified by hand in the meantime.
    await unitOfWork(db, clock, (tx) => changeStage(tx, workspaceId, b, { stage: 'Disqualified', reason: 'competitor' }, 'user', clock));
    clock.advance(90 * DAY - 1);
    expect(await recycleDueHandoffs(db, clock, { workspaceId })).toBe(0);
    clock.advance(1);
    expect(await recycleDueHandoffs(db, clock, { workspaceId })).toBe(2);
    expect(await recycleDueHandoffs(db, clock, { workspaceId })).toBe(0);
    expect((await listTransitions(db, workspaceId, a)).at(-1)).toMatchObject({
      from: 'Recycled',
      to: 'Lead',
      cause: 'rule',
      rule: 'recycle',
      reason: 'recycled 90 days after rejection (bad_timing)',
    });
    expect((await listTransitions(db, workspaceId, b)).at(-1)).toMatchObject({ to: 'Disqualified' });
    const stages = await db.selectFrom('contacts').select(['id', 'lifecycle_stage']).where('workspace_id', '=', workspaceId).execute();
    expect(Object.fromEntries(stages.map((c) => [c.id, c.lifecycle_stage]))).toEqual({ [a]: 'Lead', [b]: 'Disqualified' });
  });

  it('tasks over the API: create, filter by owner, complete; bad input names the field and stores nothing', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current, app.clock);
    const call = async (path: string, init: { method?: string; json?: unknown } = {}) => {
      const res = await app.request(path, { key: ws.adminKey, ...init });
      return { status: res.status, body: await res.json() };
    };
    const { body: contact } = await call('/api/contacts', { json: { email: 'ken@sample.co.jp' } });
    const bad = await call('/api/tasks', { json: { contactId: contact.id, owner: 'not an email', title: '' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('owner');
    expect(JSON.stringify(bad.body)).toContain('title');
    expect((await call('/api/tasks')).body.items).toEqual([]);
    const { status, body: task } = await call('/api/tasks', {
      json: { contactId: contact.id, owner: 'sato@kizuna.example', title: 'Call about the webinar', dueAt: '2026-04-03T09:00:00+09:00' },
    });
    expect(status).toBe(201);
    expect(task).toMatchObject({ source: 'api', status: 'open', dueAt: '2026-04-03T00:00:00.000Z' });
    await call('/api/tasks', { json: { contactId: contact.id, owner: 'suzuki@kizuna.example', title: 'Send the case study' } });
    const mine = await call('/api/tasks?owner=sato@kizuna.example&status=open');
    expect(mine.body.items.map((t: { title: string }) => t.title)).toEqual(['Call about the webinar']);
    const patched = await call(`/api/tasks/${task.id}`, { method: 'PATCH', json: { status: 'done' } });
    expect(patched.body).toMatchObject({ status: 'done', completedAt: '2026-04-01T00:00:00.000Z' });
    expect((await call('/api/tasks?status=open')).body.items).toHaveLength(1);
    expect((await call(`/api/tasks/${task.id}`, { method: 'PATCH', json: { status: 'finished' } })).status).toBe(400);
  });
});

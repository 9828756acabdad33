import { describe, expect, it } from 'vitest';
import { bulkUpsertContacts } from '../contacts/contacts.ts';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import type { KizunaError } from '../platform/errors.ts';
import { unitOfWork } from '../segments/membership.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { decideHandoff, drainDueHandoffs, listHandoffs, recordFirstTouch, slaReport } from './handoff.ts';
import { listTransitions, publishLifecycle, saveLifecycleDraft } from './lifecycle.ts';

const database = useTestDatabase();
const HOUR = 3_600_000;

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
});

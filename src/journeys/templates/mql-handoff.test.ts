import { describe, expect, it } from 'vitest';
import { publishLifecycle, saveLifecycleDraft } from '../../lifecycle/lifecycle.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createTemplateWorld, useMailSink } from './template-test-kit.ts';

const database = useTestDatabase();
const mail = useMailSink();

describe('the MQL handoff template', () => {
  it('assigns an owner, notifies them, creates the task and introduces them; an SQL lead leaves, one still MQL after 2 business days is a reminder', async () => {
    // Wednesday 2026-04-01 10:00 in Tokyo.
    const world = await createTemplateWorld(database.current, mail, '2026-04-01T01:00:00Z');
    const { db, clock, workspaceId } = world;
    // Sales users for round robin; the lifecycle's own handoff is at a later stage so the journey does this one.
    await saveLifecycleDraft(
      db,
      workspaceId,
      { definition: { handoff: { stage: 'Opportunity', salesUsers: [{ email: 'sato@sales.example.jp' }] } } },
      clock,
    );
    await publishLifecycle(db, workspaceId, clock);
    const { journeyId, templateIds } = await world.install('mql_handoff');
    const slow = await world.identify('slow@example.jp', { firstName: '太郎', companyName: '株式会社遅延' });
    const quick = await world.identify('quick@example.jp', { firstName: '花子' });
    await world.setStage(slow, 'MQL');
    await world.setStage(quick, 'MQL');
    await world.run();
    await world.advanceTo('2026-04-02T02:00:00Z');
    await world.setStage(quick, 'SQL');
    await world.advanceTo('2026-04-06T00:00:00Z');

    const notes = await db
      .selectFrom('signals')
      .select(['contact_id', 'data', 'occurred_at'])
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'owner.notified')
      .orderBy('occurred_at')
      .orderBy('contact_id')
      .execute();
    const of = (id: string) => notes.filter((n) => n.contact_id === id).map((n) => n.occurred_at.toISOString());
    // 18 business hours from Wed 10:00: Wed 8 h + Thu 9 h + Fri 1 h → Friday 10:00.
    expect(of(slow)).toEqual(['2026-04-01T01:00:00.000Z', '2026-04-03T01:00:00.000Z']);
    expect(of(quick)).toEqual(['2026-04-01T01:00:00.000Z']);
    expect((notes[0]!.data as { owner: string; message: string }).owner).toBe('sato@sales.example.jp');
    expect((notes.find((n) => n.contact_id === slow)!.data as { message: string }).message).toMatch(
      /^新しい MQL: 山田 太郎（.+） slow@example\.jp/,
    );
    const tasks = await db
      .selectFrom('tasks')
      .select(['contact_id', 'owner', 'due_at'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('contact_id')
      .execute();
    expect(tasks).toHaveLength(2);
    expect(tasks.every((t) => t.owner === 'sato@sales.example.jp' && t.due_at?.toISOString() === '2026-04-02T01:00:00.000Z')).toBe(true);
    expect(await world.sent(slow, templateIds)).toEqual(['introduction 2026-04-01T01:00:00.000Z']);
    expect(world.inbox('quick@example.jp')).toEqual(['担当者よりご連絡いたします']);
    expect(await world.enrolment(quick, journeyId)).toMatchObject({ status: 'converted', end_reason: 'goal sales_qualified' });
    expect(await world.enrolment(slow, journeyId)).toMatchObject({ status: 'completed', node_id: 'remind' });
    const intro = mail.sink.list({ workspaceId }).find((m) => m.to === 'slow@example.jp')!;
    expect(intro.text).toContain('sato@sales.example.jp');
  });
});

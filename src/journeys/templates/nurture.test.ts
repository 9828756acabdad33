import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createSegment, publishSegment } from '../../segments/segments.ts';
import { createTemplateWorld, useMailSink } from './template-test-kit.ts';

const database = useTestDatabase();
const mail = useMailSink();

describe('the nurture template', () => {
  it('sends each buying stage its track at its cadence, switches track when the stage moves on, and stops at SQL', async () => {
    // Wednesday 2026-04-01 10:00 in Tokyo; slots are Tue (awareness), Tue/Fri (consideration), Mon/Wed/Fri (decision) at 10:00.
    const world = await createTemplateWorld(database.current, mail, '2026-04-01T01:00:00Z');
    const { db, clock, workspaceId } = world;
    const leads = await createSegment(
      db,
      workspaceId,
      { name: 'Leads', definition: { condition: { type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'Lead' } } },
      clock,
    );
    await publishSegment(db, workspaceId, leads.id, clock);
    const { journeyId, templateIds, createdFields } = await world.install('nurture', {
      segmentId: leads.id,
      siteUrl: 'https://www.example.jp/',
    });
    expect(createdFields).toEqual(['buying_stage']);
    const aware = await world.identify('aware@example.jp', { buying_stage: 'awareness' });
    const considering = await world.identify('considering@example.jp', { buying_stage: 'consideration' });
    const deciding = await world.identify('deciding@example.jp', { buying_stage: 'decision' });
    for (const id of [aware, considering, deciding]) await world.setStage(id, 'Lead');
    await world.advanceTo('2026-04-05T00:00:00Z');
    // Sales takes the considering lead on Sunday: it leaves nurture at once.
    await world.setStage(considering, 'SQL');
    await world.advanceTo('2026-04-10T00:00:00Z');
    // The aware lead starts comparing: the next check moves it to the consideration track.
    await world.identify('aware@example.jp', { buying_stage: 'consideration' });
    await world.advanceTo('2026-04-18T00:00:00Z');

    expect(await world.sent(aware, templateIds)).toEqual([
      'trends 2026-04-01T01:00:00.000Z',
      'tips 2026-04-07T01:00:00.000Z',
      'whitepaper 2026-04-14T01:00:00.000Z',
      'comparison 2026-04-17T01:00:00.000Z',
    ]);
    expect(await world.sent(considering, templateIds)).toEqual([
      'whitepaper 2026-04-01T01:00:00.000Z',
      'comparison 2026-04-03T01:00:00.000Z',
    ]);
    expect(await world.enrolment(considering, journeyId)).toMatchObject({ status: 'converted', end_reason: 'goal sales_qualified' });
    expect(await world.sent(deciding, templateIds)).toEqual([
      'case_study 2026-04-01T01:00:00.000Z',
      'roi 2026-04-03T01:00:00.000Z',
      'demo 2026-04-06T01:00:00.000Z',
    ]);
    expect(await world.enrolment(deciding, journeyId)).toMatchObject({ status: 'completed' });
    expect(world.inbox('deciding@example.jp')).toEqual([
      '導入事例: 成果の出し方',
      'ROI を試算してみませんか',
      '無料トライアル・デモのご案内',
    ]);
    expect(world.inbox('considering@example.jp')).toHaveLength(2);
    expect(world.inbox('aware@example.jp')).toHaveLength(4);
  });
});

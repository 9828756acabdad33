import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createSegment, publishSegment } from '../../segments/segments.ts';
import { createTemplateWorld, DAY, useMailSink } from './template-test-kit.ts';

const database = useTestDatabase();
const mail = useMailSink();

describe('the re-engagement template', () => {
  it('after 60 idle days sends weeks 1, 2 and 3 a week apart and tags who stays away; a visit ends it', async () => {
    const world = await createTemplateWorld(database.current, mail, '2026-04-01T01:00:00Z');
    const { db, clock, workspaceId } = world;
    const idle = await createSegment(
      db,
      workspaceId,
      {
        name: 'Idle 60 days',
        definition: { condition: { type: 'field', field: 'lastSeenAt', operator: 'more_than_days_ago', value: 60 } },
      },
      clock,
    );
    await publishSegment(db, workspaceId, idle.id, clock);
    const { journeyId, templateIds } = await world.install('reengagement', { segmentId: idle.id, siteUrl: 'https://www.example.jp/' });
    const away = await world.identify('away@example.jp');
    const back = await world.identify('back@example.jp');
    await world.page('away@example.jp', '/blog');
    await world.page('back@example.jp', '/blog');
    await world.advanceTo('2026-06-02T01:00:00Z'); // 62 days later
    const entered = (await world.sent(away, templateIds))[0]!;
    // Idle since 04-01 10:00: the segment takes them in on the 60th day (from local midnight), and
    // the mail waits out the night's quiet hours (21:00–08:00): 05-31 08:00 in Tokyo.
    expect(entered).toBe('week1 2026-05-30T23:00:00.000Z');
    const start = new Date(entered.slice(6)).getTime();
    // The returning contact visits the site after the first mail.
    await world.page('back@example.jp', '/pricing');
    await world.advanceTo(new Date(start + 22 * DAY));

    const at = (days: number) => new Date(start + days * DAY).toISOString();
    expect(await world.sent(away, templateIds)).toEqual([`week1 ${at(0)}`, `week2 ${at(7)}`, `week3 ${at(14)}`]);
    expect(await world.sent(back, templateIds)).toEqual([`week1 ${at(0)}`]);
    expect(await world.enrolment(back, journeyId)).toMatchObject({ status: 'converted', end_reason: 'goal returned' });
    expect(await world.enrolment(away, journeyId)).toMatchObject({ status: 'completed', node_id: 'dormant' });
    const tags = await db.selectFrom('contacts').select(['id', 'tags']).where('workspace_id', '=', workspaceId).orderBy('email').execute();
    expect(tags.find((c) => c.id === away)!.tags).toEqual(['dormant']);
    expect(tags.find((c) => c.id === back)!.tags).toEqual([]);
    expect(world.inbox('away@example.jp')).toEqual([
      '最近お見かけしませんが、お元気ですか？',
      '限定コンテンツとウェビナーへの特別ご招待',
      '今後もメールをお送りしてよろしいですか？',
    ]);
    // Week 3 offers the choice: fewer emails (preferences) or none (unsubscribe).
    const last = mail.sink.list({ workspaceId }).find((m) => m.subject === '今後もメールをお送りしてよろしいですか？')!;
    expect(last.html).toContain('配信頻度を減らす');
    expect(last.html).toContain('配信を停止する');
  });
});

import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createTemplateWorld, useMailSink } from './template-test-kit.ts';

const database = useTestDatabase();
const mail = useMailSink();

const registration = {
  webinarId: 'w-12',
  title: 'MA 入門ウェビナー',
  startsAt: '2026-04-10T19:00:00+09:00',
  joinUrl: 'https://webinar.example.jp/join/w-12',
};

describe('the webinar template', () => {
  it('confirms, reminds 3 days, 1 day and 1 hour before; the attendee gets the thank-you, the no-show the recording', async () => {
    const world = await createTemplateWorld(database.current, mail, '2026-04-01T01:00:00Z');
    const { journeyId, templateIds } = await world.install('webinar', {
      webinarId: 'w-12',
      recordingUrl: 'https://webinar.example.jp/recordings/w-12',
      materialsUrl: 'https://webinar.example.jp/slides/w-12.pdf',
    });
    const attendee = await world.identify('attendee@example.jp');
    const noShow = await world.identify('noshow@example.jp');
    await world.track('attendee@example.jp', 'Webinar Registered', registration);
    await world.track('noshow@example.jp', 'Webinar Registered', registration);
    // Another webinar's registration does not enrol.
    await world.track('noshow@example.jp', 'Webinar Registered', { ...registration, webinarId: 'w-99' });
    await world.advanceTo('2026-04-10T10:05:00Z'); // 19:05 in Tokyo: the webinar is on
    // The no-show joins another webinar; the attendee joins this one.
    await world.track('noshow@example.jp', 'Webinar Attended', { webinarId: 'w-99' });
    await world.track('attendee@example.jp', 'Webinar Attended', { webinarId: 'w-12' });
    await world.advanceTo('2026-04-12T00:00:00Z');

    const reminders = [
      'confirmation 2026-04-01T01:00:00.000Z',
      'reminder_3d 2026-04-07T10:00:00.000Z',
      'reminder_1d 2026-04-09T10:00:00.000Z',
      'reminder_1h 2026-04-10T09:00:00.000Z',
    ];
    // The follow-ups go the next morning at 10:00.
    expect(await world.sent(attendee, templateIds)).toEqual([...reminders, 'thanks 2026-04-11T01:00:00.000Z']);
    expect(await world.sent(noShow, templateIds)).toEqual([...reminders, 'recording 2026-04-11T01:00:00.000Z']);
    const subjects = [
      '【登録完了】MA 入門ウェビナー',
      '【3日後開催】MA 入門ウェビナー',
      '【明日開催】MA 入門ウェビナー',
      '【1時間後に開始】MA 入門ウェビナー',
    ];
    expect(world.inbox('attendee@example.jp')).toEqual([...subjects, 'ご参加ありがとうございました: MA 入門ウェビナー']);
    expect(world.inbox('noshow@example.jp')).toEqual([...subjects, '録画のご案内: MA 入門ウェビナー']);
    expect(await world.enrolment(attendee, journeyId)).toMatchObject({ status: 'completed', node_id: 'thanks' });
    expect(await world.enrolment(noShow, journeyId)).toMatchObject({ status: 'completed', node_id: 'recording' });
    // The confirmation names the time in the workspace's zone and links the join URL; the thank-you the slides.
    const all = mail.sink.list({ workspaceId: world.workspaceId });
    const confirmation = all.find((m) => m.to === 'attendee@example.jp' && m.subject.startsWith('【登録完了】'))!;
    expect(confirmation.text).toContain('2026/04/10 19:00');
    expect(confirmation.text).toContain('https://webinar.example.jp/join/w-12');
    expect(confirmation.headers['list-unsubscribe']).toBeUndefined();
    expect(all.find((m) => m.subject.startsWith('ご参加'))!.text).toContain('https://webinar.example.jp/slides/w-12.pdf');
    expect(all).toHaveLength(10);
  });

  it('a late sign-up two days before gets no 3-day reminder (that moment has passed): the 1-day and 1-hour ones only', async () => {
    const world = await createTemplateWorld(database.current, mail, '2026-04-08T03:00:00Z');
    const { templateIds } = await world.install('webinar', {
      webinarId: 'w-12',
      recordingUrl: 'https://webinar.example.jp/recordings/w-12',
    });
    const late = await world.identify('late@example.jp');
    await world.track('late@example.jp', 'Webinar Registered', registration);
    await world.advanceTo('2026-04-10T09:30:00Z');
    expect(await world.sent(late, templateIds)).toEqual([
      'confirmation 2026-04-08T03:00:00.000Z',
      'reminder_1d 2026-04-09T10:00:00.000Z',
      'reminder_1h 2026-04-10T09:00:00.000Z',
    ]);
  });

  it('a walk-in whose attendance arrived before the sign-up gets the thank-you, not the recording', async () => {
    const world = await createTemplateWorld(database.current, mail, '2026-04-10T10:10:00Z'); // 19:10 in Tokyo: the webinar is on
    const { templateIds } = await world.install('webinar', {
      webinarId: 'w-12',
      recordingUrl: 'https://webinar.example.jp/recordings/w-12',
    });
    const walkIn = await world.identify('walkin@example.jp');
    // The webinar platform reports the join before the registration sync.
    await world.track('walkin@example.jp', 'Webinar Attended', { webinarId: 'w-12' });
    await world.track('walkin@example.jp', 'Webinar Registered', registration);
    await world.advanceTo('2026-04-12T00:00:00Z');
    expect(await world.sent(walkIn, templateIds)).toEqual(['confirmation 2026-04-10T10:10:00.000Z', 'thanks 2026-04-11T01:00:00.000Z']);
  });
});

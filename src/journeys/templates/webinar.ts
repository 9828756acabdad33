import { z } from '@hono/zod-openapi';
import { hrefOf } from './email-copy.ts';
import { defineJourneyTemplate } from './journey-template.ts';

const WHEN_JA = '{{ event.startsAt | date: "%Y/%m/%d %H:%M", workspace.timezone }}';
const WHEN_EN = '{{ event.startsAt | date: "%b %-d, %Y %H:%M", workspace.timezone }}';
const JOIN = '{{ event.joinUrl }}';
/** Waits until a moment before the start; when it has passed already (a late sign-up), skips that reminder: on to `ifPast`. */
const before = (id: string, next: string, shift: { offsetDays?: number; offsetMinutes?: number }, ifPast: string) => ({
  id,
  type: 'wait',
  untilDate: { field: 'event.startsAt', ...shift, ifPast },
  next,
});

/** Seed 004, ウェビナー登録: confirmation, reminders 3 days, 1 day and 1 hour before; attendees get the recording and materials, no-shows the recording. */
export const webinar = defineJourneyTemplate({
  key: 'webinar',
  name: { ja: 'ウェビナー登録フォロー', en: 'Webinar registration' },
  description: {
    ja: 'ウェビナー登録者に登録確認、開催3日前・前日・1時間前のリマインド、終了後のフォローアップ（参加者: 録画と資料、不参加者: 録画のご案内）を送ります。イベント Webinar Registered のプロパティ webinarId・title・startsAt・joinUrl を使います。',
    en: 'Confirms a webinar registration, reminds 3 days, 1 day and 1 hour before, and follows up (attendees: recording and slides; no-shows: the recording). Uses the Webinar Registered properties webinarId, title, startsAt and joinUrl.',
  },
  options: z
    .object({
      webinarId: z.string().min(1).max(200).describe('The webinar (the webinarId property of the registration and attendance events)'),
      recordingUrl: z.url({ protocol: /^https?$/ }).describe('Where the recording will be'),
      materialsUrl: z
        .url({ protocol: /^https?$/ })
        .optional()
        .describe('The slides or handout for attendees'),
      registeredEvent: z.string().min(1).max(200).default('Webinar Registered').describe('The track event of a registration'),
      attendedEvent: z.string().min(1).max(200).default('Webinar Attended').describe('The track event of attending'),
    })
    .strict(),
  emails: (o) => {
    const recording = hrefOf(o.recordingUrl);
    const materials = o.materialsUrl ? hrefOf(o.materialsUrl) : undefined;
    return {
      confirmation: {
        name: { ja: 'ウェビナー: 登録確認', en: 'Webinar: registration confirmed' },
        kind: 'transactional',
        ja: {
          subject: '【登録完了】{{ event.title }}',
          preheader: `${WHEN_JA} 開始です。`,
          heading: 'ご登録ありがとうございます',
          paragraphs: [`「{{ event.title }}」へのご登録を承りました。`, `日時: ${WHEN_JA}`, '当日は下のボタンからご参加ください。'],
          cta: { label: '参加用リンク', url: JOIN },
        },
        en: {
          subject: 'You are registered: {{ event.title }}',
          preheader: `It starts ${WHEN_EN}.`,
          heading: 'See you there',
          paragraphs: ['You are registered for “{{ event.title }}”.', `When: ${WHEN_EN}`, 'Join with the button below on the day.'],
          cta: { label: 'Join link', url: JOIN },
        },
      },
      reminder_3d: {
        name: { ja: 'ウェビナー: 3日前リマインド', en: 'Webinar: 3-day reminder' },
        kind: 'transactional',
        ja: {
          subject: '【3日後開催】{{ event.title }}',
          preheader: `${WHEN_JA} 開始です。カレンダーのご確認を。`,
          heading: '開催まであと3日です',
          paragraphs: [`「{{ event.title }}」は ${WHEN_JA} に開始します。ご予定の確保をお願いします。`],
          cta: { label: '参加用リンク', url: JOIN },
        },
        en: {
          subject: 'In 3 days: {{ event.title }}',
          preheader: `It starts ${WHEN_EN}.`,
          heading: 'Three days to go',
          paragraphs: [`“{{ event.title }}” starts ${WHEN_EN}. Save the date.`],
          cta: { label: 'Join link', url: JOIN },
        },
      },
      reminder_1d: {
        name: { ja: 'ウェビナー: 前日リマインド', en: 'Webinar: 1-day reminder' },
        kind: 'transactional',
        ja: {
          subject: '【明日開催】{{ event.title }}',
          preheader: `${WHEN_JA} 開始です。`,
          heading: 'いよいよ明日です',
          paragraphs: [`「{{ event.title }}」は明日 ${WHEN_JA} に開始します。`],
          cta: { label: '参加用リンク', url: JOIN },
        },
        en: {
          subject: 'Tomorrow: {{ event.title }}',
          preheader: `It starts ${WHEN_EN}.`,
          heading: 'See you tomorrow',
          paragraphs: [`“{{ event.title }}” starts tomorrow, ${WHEN_EN}.`],
          cta: { label: 'Join link', url: JOIN },
        },
      },
      reminder_1h: {
        name: { ja: 'ウェビナー: 1時間前リマインド', en: 'Webinar: 1-hour reminder' },
        kind: 'transactional',
        ja: {
          subject: '【1時間後に開始】{{ event.title }}',
          preheader: '参加用リンクはこちらです。',
          heading: 'まもなく開始します',
          paragraphs: [`「{{ event.title }}」は ${WHEN_JA} に開始します。5分前から入室できます。`],
          cta: { label: '今すぐ参加する', url: JOIN },
        },
        en: {
          subject: 'Starting in 1 hour: {{ event.title }}',
          preheader: 'Here is your join link.',
          heading: 'Starting soon',
          paragraphs: [`“{{ event.title }}” starts at ${WHEN_EN}. The room opens five minutes early.`],
          cta: { label: 'Join now', url: JOIN },
        },
      },
      thanks: {
        name: { ja: 'ウェビナー: ご参加のお礼（録画と資料）', en: 'Webinar: thank you (recording and slides)' },
        kind: 'marketing',
        ja: {
          subject: 'ご参加ありがとうございました: {{ event.title }}',
          preheader: '録画と資料をお送りします。',
          heading: 'ご参加ありがとうございました',
          paragraphs: [
            '「{{ event.title }}」にご参加いただきありがとうございました。録画を公開しましたので、復習や社内共有にお使いください。',
            ...(materials ? [`資料は<a href="${materials}">こちら</a>からダウンロードできます。`] : []),
          ],
          cta: { label: '録画を見る', url: recording },
        },
        en: {
          subject: 'Thanks for joining: {{ event.title }}',
          preheader: 'Here are the recording and the slides.',
          heading: 'Thank you for joining',
          paragraphs: [
            'Thanks for attending “{{ event.title }}”. The recording is up, to rewatch or share with your team.',
            ...(materials ? [`Download the slides <a href="${materials}">here</a>.`] : []),
          ],
          cta: { label: 'Watch the recording', url: recording },
        },
      },
      recording: {
        name: { ja: 'ウェビナー: 録画のご案内（不参加の方）', en: 'Webinar: the recording (no-shows)' },
        kind: 'marketing',
        ja: {
          subject: '録画のご案内: {{ event.title }}',
          preheader: 'ご都合が合わなかった方へ、録画をご用意しました。',
          heading: '録画をご覧いただけます',
          paragraphs: ['「{{ event.title }}」にご参加いただけなかった方のために、録画をご用意しました。お好きな時間にご覧ください。'],
          cta: { label: '録画を見る', url: recording },
        },
        en: {
          subject: 'Missed it? Watch the recording: {{ event.title }}',
          preheader: 'The recording is ready whenever you are.',
          heading: 'Sorry we missed you',
          paragraphs: ['You could not make it to “{{ event.title }}”, so here is the recording to watch when it suits you.'],
          cta: { label: 'Watch the recording', url: recording },
        },
      },
    };
  },
  build: (t, o) => {
    const thisWebinar = [{ property: 'webinarId', operator: 'eq', value: o.webinarId }];
    return {
      trigger: { type: 'event', selector: { event: o.registeredEvent, where: thisWebinar } },
      start: 'confirmation',
      nodes: [
        { id: 'confirmation', type: 'send', kind: 'transactional', templateId: t.confirmation, next: 'until_3d_before' },
        before('until_3d_before', 'reminder_3d', { offsetDays: -3 }, 'until_1d_before'),
        { id: 'reminder_3d', type: 'send', kind: 'transactional', templateId: t.reminder_3d, next: 'until_1d_before' },
        before('until_1d_before', 'reminder_1d', { offsetDays: -1 }, 'until_1h_before'),
        { id: 'reminder_1d', type: 'send', kind: 'transactional', templateId: t.reminder_1d, next: 'until_1h_before' },
        before('until_1h_before', 'reminder_1h', { offsetMinutes: -60 }, 'attended'),
        { id: 'reminder_1h', type: 'send', kind: 'transactional', templateId: t.reminder_1h, next: 'attended' },
        {
          id: 'attended',
          type: 'wait_for',
          label: 'Joined by three hours after the start (checked on arrival too: a walk-in may join before signing up)',
          condition: { type: 'event', event: o.attendedEvent, where: thisWebinar },
          timeout: { hours: 4 },
          next: { happened: 'until_next_morning', timedOut: 'until_next_morning_noshow' },
        },
        { id: 'until_next_morning', type: 'wait', until: { time: '10:00' }, next: 'thanks' },
        { id: 'thanks', type: 'send', templateId: t.thanks },
        { id: 'until_next_morning_noshow', type: 'wait', until: { time: '10:00' }, next: 'recording' },
        { id: 'recording', type: 'send', templateId: t.recording },
      ],
      reentry: { policy: 'once' },
    };
  },
});

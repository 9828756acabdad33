import { z } from '@hono/zod-openapi';
import { hrefOf } from './email-copy.ts';
import { defineJourneyTemplate } from './journey-template.ts';

/** Seed 004, リエンゲージメント: after 60 idle days, Week 1 news, Week 2 an offer, Week 3 keep, change frequency or leave. */
export const reengagement = defineJourneyTemplate({
  key: 'reengagement',
  name: { ja: '休眠リードの再活性化', en: 'Re-engagement' },
  description: {
    ja: '60日間活動のないリード（そのためのセグメントを指定: 例 lastSeenAt が60日より前）に、1週目は近況と最新情報、2週目は限定コンテンツ、3週目は配信継続・頻度変更・配信停止の選択肢を送ります。サイトに戻った時点で終了し、戻らなければタグ dormant を付けます。',
    en: 'For leads idle for 60 days (give the segment, e.g. lastSeenAt more than 60 days ago): week 1 what is new, week 2 an exclusive offer, week 3 keep, change frequency or opt out. Coming back to the site ends it; otherwise the contact is tagged dormant.',
  },
  options: z
    .object({
      segmentId: z.uuid().describe('The segment of idle contacts (e.g. lastSeenAt more than 60 days ago); entering it starts the journey'),
      siteUrl: z.url({ protocol: /^https?$/ }).describe('Your site; the emails link to it'),
      dormantTag: z.string().min(1).max(100).default('dormant').describe('The tag for contacts who did not come back'),
    })
    .strict(),
  emails: (o) => {
    const link = (path: string) => hrefOf(new URL(path, o.siteUrl).href);
    return {
      week1: {
        name: { ja: '再活性化 Week 1: 最新情報', en: 'Re-engagement week 1: what is new' },
        kind: 'marketing',
        ja: {
          subject: '最近お見かけしませんが、お元気ですか？',
          preheader: 'この2か月のアップデートをまとめました。',
          heading: 'お久しぶりです',
          paragraphs: [
            'しばらくお見かけしなかったので、この2か月の主なアップデートをまとめました。',
            'お役に立つ内容があればうれしいです。',
          ],
          cta: { label: '最新情報を見る', url: link('whats-new') },
        },
        en: {
          subject: 'It has been a while — here is what is new',
          preheader: 'Two months of updates in one email.',
          heading: 'We missed you',
          paragraphs: ['We have not seen you in a while, so here are the main updates of the last two months.'],
          cta: { label: 'See what is new', url: link('whats-new') },
        },
      },
      week2: {
        name: { ja: '再活性化 Week 2: 特別なご案内', en: 'Re-engagement week 2: exclusive offer' },
        kind: 'marketing',
        ja: {
          subject: '限定コンテンツとウェビナーへの特別ご招待',
          preheader: '登録者限定の資料をご用意しました。',
          heading: '特別なご案内',
          paragraphs: ['以前ご登録いただいた方だけに、限定資料と次回ウェビナーの優先席をご用意しました。'],
          cta: { label: '限定コンテンツを見る', url: link('exclusive') },
        },
        en: {
          subject: 'An exclusive guide and a reserved webinar seat',
          preheader: 'Only for people who signed up before.',
          heading: 'Something just for you',
          paragraphs: ['As an earlier subscriber, you get our members-only guide and a reserved seat at the next webinar.'],
          cta: { label: 'Get the guide', url: link('exclusive') },
        },
      },
      week3: {
        name: { ja: '再活性化 Week 3: 配信継続の確認', en: 'Re-engagement week 3: stay or go' },
        kind: 'marketing',
        ja: {
          subject: '今後もメールをお送りしてよろしいですか？',
          preheader: '配信の継続・頻度の変更・停止をお選びください。',
          heading: '配信についてのご確認',
          paragraphs: [
            'ご不要なメールをお送りしていないか気になっています。次の中からお選びください。',
            '<a href="{{ preferences_url }}">配信頻度を減らす（月1回など）</a><br><a href="{{ unsubscribe_url }}">配信を停止する</a>',
            '引き続き受け取る場合は、下のボタンを押すだけで完了です。',
          ],
          cta: { label: '引き続き受け取る', url: link('welcome-back') },
        },
        en: {
          subject: 'Should we keep writing to you?',
          preheader: 'Stay, get fewer emails, or unsubscribe.',
          heading: 'Your choice',
          paragraphs: [
            'We do not want to clutter your inbox. Pick what suits you:',
            '<a href="{{ preferences_url }}">Fewer emails (e.g. monthly)</a><br><a href="{{ unsubscribe_url }}">Unsubscribe</a>',
            'To keep hearing from us, just press the button.',
          ],
          cta: { label: 'Keep me subscribed', url: link('welcome-back') },
        },
      },
    };
  },
  build: (t, o) => ({
    trigger: { type: 'segment_entered', segmentId: o.segmentId },
    start: 'week1',
    nodes: [
      { id: 'week1', type: 'send', templateId: t.week1, next: 'until_week2' },
      { id: 'until_week2', type: 'wait', duration: { days: 7 }, next: 'week2' },
      { id: 'week2', type: 'send', templateId: t.week2, next: 'until_week3' },
      { id: 'until_week3', type: 'wait', duration: { days: 7 }, next: 'week3' },
      { id: 'week3', type: 'send', templateId: t.week3, next: 'until_decided' },
      { id: 'until_decided', type: 'wait', label: 'A week to answer', duration: { days: 7 }, next: 'dormant' },
      { id: 'dormant', type: 'tag', add: [o.dormantTag] },
    ],
    // Any visit to the site is the contact coming back.
    goals: [{ name: 'returned', selector: { call: 'page' } }],
    reentry: { policy: 'after_exit' },
  }),
});

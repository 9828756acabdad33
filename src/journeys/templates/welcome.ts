import { z } from '@hono/zod-openapi';
import { hrefOf } from './email-copy.ts';
import { defineJourneyTemplate } from './journey-template.ts';

/** Seed 004, ウェルカムキャンペーン: Day 0 welcome, Day 2 how-to, Day 5 case study, Day 8 more features, Day 14 the paid plan. */
export const welcome = defineJourneyTemplate({
  key: 'welcome',
  name: { ja: 'ウェルカムシリーズ', en: 'Welcome series' },
  description: {
    ja: 'フォームから登録した方に、登録直後・2日後・5日後・8日後・14日後の5通で製品の価値を伝えます。有料プランを始めた時点で終了します。',
    en: 'Five emails for people who sign up through a form: at once, then on days 2, 5, 8 and 14. Starting a paid plan ends it.',
  },
  options: z
    .object({
      formId: z.uuid().describe('The sign-up form that starts the series'),
      siteUrl: z.url({ protocol: /^https?$/ }).describe('Your site; the emails link to its pages (guide, case studies, pricing)'),
      upgradeEvent: z.string().min(1).max(200).default('Subscription Started').describe('The track event of a paid plan (the goal)'),
    })
    .strict(),
  emails: (o) => {
    const link = (path: string) => hrefOf(new URL(path, o.siteUrl).href);
    return {
      day0: {
        name: { ja: 'ウェルカム Day 0: ご登録のお礼', en: 'Welcome day 0: thank you' },
        kind: 'marketing',
        ja: {
          subject: 'ご登録ありがとうございます',
          preheader: 'まずは初期設定から始めましょう。',
          heading: '{{ workspace.name }} へようこそ',
          paragraphs: [
            'ご登録ありがとうございます。これから2週間、使いこなすためのヒントをお届けします。',
            '最初の一歩は初期設定です。10分ほどで終わります。',
          ],
          cta: { label: '初期設定ガイドを見る', url: link('guide/setup') },
        },
        en: {
          subject: 'Welcome aboard',
          preheader: 'Start with the ten-minute setup.',
          heading: 'Welcome to {{ workspace.name }}',
          paragraphs: [
            'Thanks for signing up. Over the next two weeks we will send you a few tips to get the most out of it.',
            'Your first step is the setup; it takes about ten minutes.',
          ],
          cta: { label: 'Open the setup guide', url: link('guide/setup') },
        },
      },
      day2: {
        name: { ja: 'ウェルカム Day 2: 活用ガイド', en: 'Welcome day 2: how-to guide' },
        kind: 'marketing',
        ja: {
          subject: '基本の使い方を3ステップでご紹介します',
          preheader: 'よくある質問とサポート窓口もまとめました。',
          heading: '基本の使い方',
          paragraphs: [
            'よく使われる3つの操作をチュートリアルにまとめました。',
            'つまずきやすい点はよくある質問に、解決しないときはサポートへどうぞ。',
          ],
          cta: { label: 'チュートリアルを見る', url: link('guide/basics') },
        },
        en: {
          subject: 'The basics in three steps',
          preheader: 'Plus the FAQ and where to get help.',
          heading: 'Getting started',
          paragraphs: [
            'We put the three things people do most into one short tutorial.',
            'Stuck? The FAQ covers the usual questions, and our support team is one email away.',
          ],
          cta: { label: 'Open the tutorial', url: link('guide/basics') },
        },
      },
      day5: {
        name: { ja: 'ウェルカム Day 5: 導入事例', en: 'Welcome day 5: case study' },
        kind: 'marketing',
        ja: {
          subject: '同じ課題を解決した企業の事例',
          preheader: '導入3か月で得られた成果をご紹介します。',
          heading: '導入事例',
          paragraphs: ['{{ contact.companyName | default: "皆様" }}と似た課題を抱えていた企業が、どのように成果を上げたかをご紹介します。'],
          cta: { label: '事例を読む', url: link('case-studies') },
        },
        en: {
          subject: 'How teams like yours got results',
          preheader: 'What changed in their first three months.',
          heading: 'Customer stories',
          paragraphs: ['See how teams with the same challenges as {{ contact.companyName | default: "yours" }} got results.'],
          cta: { label: 'Read the stories', url: link('case-studies') },
        },
      },
      day8: {
        name: { ja: 'ウェルカム Day 8: 追加機能のご紹介', en: 'Welcome day 8: more features' },
        kind: 'marketing',
        ja: {
          subject: 'もっと便利に使える機能と限定ウェビナーのご案内',
          preheader: '自動化とレポートで、さらに時間を節約できます。',
          heading: '次のステップ',
          paragraphs: [
            '自動化とレポートの機能で、日々の作業をさらに減らせます。',
            '登録者限定のウェビナーで、活用のコツを詳しく解説します。',
          ],
          cta: { label: '機能とウェビナーを見る', url: link('features') },
        },
        en: {
          subject: 'More features, and a webinar for new users',
          preheader: 'Automation and reports save even more time.',
          heading: 'Your next step',
          paragraphs: [
            'Automation and reports take even more busywork off your plate.',
            'Join our webinar for new users to see them in action.',
          ],
          cta: { label: 'See features and webinar', url: link('features') },
        },
      },
      day14: {
        name: { ja: 'ウェルカム Day 14: 有料プランのご案内', en: 'Welcome day 14: paid plans' },
        kind: 'marketing',
        ja: {
          subject: '有料プランでできること',
          preheader: 'チームでの利用やサポートの充実など、アップグレードのメリットをまとめました。',
          heading: 'アップグレードのご案内',
          paragraphs: ['有料プランでは、チームでの共同作業、詳細なレポート、優先サポートをご利用いただけます。'],
          cta: { label: '料金プランを見る', url: link('pricing') },
        },
        en: {
          subject: 'What a paid plan adds',
          preheader: 'Teams, deeper reports and priority support.',
          heading: 'Ready to upgrade?',
          paragraphs: ['Paid plans add team collaboration, deeper reports and priority support.'],
          cta: { label: 'See plans', url: link('pricing') },
        },
      },
    };
  },
  build: (t, o) => ({
    trigger: { type: 'form_submitted', formId: o.formId },
    start: 'day0',
    nodes: [
      { id: 'day0', type: 'send', templateId: t.day0, next: 'until_day2' },
      { id: 'until_day2', type: 'wait', duration: { days: 2 }, next: 'day2' },
      { id: 'day2', type: 'send', templateId: t.day2, next: 'until_day5' },
      { id: 'until_day5', type: 'wait', duration: { days: 3 }, next: 'day5' },
      { id: 'day5', type: 'send', templateId: t.day5, next: 'until_day8' },
      { id: 'until_day8', type: 'wait', duration: { days: 3 }, next: 'day8' },
      { id: 'day8', type: 'send', templateId: t.day8, next: 'until_day14' },
      { id: 'until_day14', type: 'wait', duration: { days: 6 }, next: 'day14' },
      { id: 'day14', type: 'send', templateId: t.day14 },
    ],
    goals: [{ name: 'upgraded', selector: { event: o.upgradeEvent } }],
    reentry: { policy: 'once' },
  }),
});

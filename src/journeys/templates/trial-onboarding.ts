import { z } from '@hono/zod-openapi';
import { type EmailSpec, hrefOf } from './email-copy.ts';
import { defineJourneyTemplate } from './journey-template.ts';

/** Seed 004 (trial onboarding, Day 0/1/3/5/10/14) with the behaviour branch: no login for 3 days → a nudge instead of the planned mail. */
export const trialOnboarding = defineJourneyTemplate({
  key: 'trial_onboarding',
  name: { ja: 'トライアルオンボーディング', en: 'Trial onboarding' },
  description: {
    ja: '無料トライアル開始から0・1・3・5・10・14日目にメールを送ります。3日目と10日目に直近3日間ログインがなければ、予定のメールの代わりに再訪を促すメールを送ります。有料プランを始めた時点で終了します。',
    en: 'Emails on trial days 0, 1, 3, 5, 10 and 14. On days 3 and 10, someone who has not logged in for 3 days gets a nudge instead of the planned email. Starting a paid plan ends it.',
  },
  options: z
    .object({
      appUrl: z.url({ protocol: /^https?$/ }).describe('Your app; the emails link to it and its help pages'),
      trialEvent: z.string().min(1).max(200).default('Trial Started').describe('The track event that starts the trial'),
      loginEvent: z.string().min(1).max(200).default('Logged In').describe('The track event of a login'),
      upgradeEvent: z.string().min(1).max(200).default('Subscription Started').describe('The track event of a paid plan (the goal)'),
    })
    .strict(),
  emails: (o) => {
    const link = (path: string) => hrefOf(new URL(path, o.appUrl).href);
    const mail = (
      name: [string, string],
      ja: [string, string, string, string],
      en: [string, string, string, string],
      url: string,
    ): EmailSpec => ({
      name: { ja: name[0], en: name[1] },
      kind: 'marketing',
      ja: { subject: ja[0], preheader: ja[1], heading: ja[0], paragraphs: [ja[2]], cta: { label: ja[3], url } },
      en: { subject: en[0], preheader: en[1], heading: en[0], paragraphs: [en[2]], cta: { label: en[3], url } },
    });
    return {
      day0: mail(
        ['トライアル Day 0: ようこそ', 'Trial day 0: welcome'],
        [
          'トライアルへようこそ',
          '14日間、すべての機能をお試しいただけます。',
          '最初にプロジェクトを1つ作ると、主要な機能をひと通り体験できます。',
          'はじめる',
        ],
        [
          'Your trial has started',
          'Fourteen days of every feature.',
          'Create your first project: it walks you through the main features.',
          'Get started',
        ],
        link('projects/new'),
      ),
      day1: mail(
        ['トライアル Day 1: 最初の一歩', 'Trial day 1: first steps'],
        [
          '5分でできる最初の設定',
          'データの取り込みから始めましょう。',
          'CSVやフォームからデータを取り込むと、すぐに効果を実感できます。',
          'データを取り込む',
        ],
        [
          'A five-minute first setup',
          'Start by bringing in your data.',
          'Import a CSV or connect a form and you will see results right away.',
          'Import data',
        ],
        link('import'),
      ),
      day3: mail(
        ['トライアル Day 3: 主要機能', 'Trial day 3: key feature'],
        [
          '自動化で作業時間を減らす',
          'よく使われる自動化のレシピをご紹介します。',
          'トライアル中の方に最も使われている自動化のレシピを3つご紹介します。',
          'レシピを見る',
        ],
        [
          'Automate the busywork',
          'The automation recipes people use most.',
          'Here are the three automation recipes trial users set up most.',
          'See the recipes',
        ],
        link('help/automation'),
      ),
      day5: mail(
        ['トライアル Day 5: 導入事例', 'Trial day 5: case study'],
        [
          'トライアルから本導入した企業の事例',
          '導入の決め手と最初の成果。',
          '同じ規模の企業が、トライアル中に何を確かめ、どう成果につなげたかをご紹介します。',
          '事例を読む',
        ],
        [
          'How others turned a trial into results',
          'What convinced them, and their first wins.',
          'See what a team your size checked during its trial, and the results that followed.',
          'Read the story',
        ],
        link('case-studies'),
      ),
      day10: mail(
        ['トライアル Day 10: チームで使う', 'Trial day 10: bring your team'],
        [
          'チームメンバーを招待しましょう',
          '共同作業で効果が倍になります。',
          '残り4日です。チームメンバーを招待して、共同作業やレポート共有をお試しください。',
          'メンバーを招待する',
        ],
        [
          'Invite your team',
          'It gets better together.',
          'Four days left: invite your teammates and try shared work and reports.',
          'Invite teammates',
        ],
        link('settings/team'),
      ),
      day14: mail(
        ['トライアル Day 14: 終了のご案内', 'Trial day 14: trial ends'],
        [
          'トライアルは本日で終了します',
          '設定やデータはそのまま引き継げます。',
          'ご利用ありがとうございました。有料プランに切り替えると、作成した設定やデータをそのままお使いいただけます。',
          'プランを選ぶ',
        ],
        [
          'Your trial ends today',
          'Keep everything you set up.',
          'Thanks for trying us. Choose a plan to keep your setup and data exactly as they are.',
          'Choose a plan',
        ],
        link('billing'),
      ),
      nudge: mail(
        ['トライアル: ログインのお願い', 'Trial: come back'],
        [
          'お困りのことはありませんか？',
          'トライアル期間はまだ残っています。',
          'しばらくログインがないようです。設定で迷っている場合は、15分のオンライン相談で一緒に進めます。',
          'ログインして続ける',
        ],
        [
          'Need a hand?',
          'Your trial is still running.',
          'We have not seen you for a few days. If the setup got in the way, book a 15-minute call and we will do it together.',
          'Log in and continue',
        ],
        link('login'),
      ),
    };
  },
  build: (t, o) => {
    const loggedInLately = { type: 'event', event: o.loginEvent, within: { lastDays: 3 } };
    return {
      trigger: { type: 'event', selector: { event: o.trialEvent } },
      start: 'day0',
      nodes: [
        { id: 'day0', type: 'send', templateId: t.day0, next: 'until_day1' },
        { id: 'until_day1', type: 'wait', duration: { days: 1 }, next: 'day1' },
        { id: 'day1', type: 'send', templateId: t.day1, next: 'until_day3' },
        { id: 'until_day3', type: 'wait', duration: { days: 2 }, next: 'active_day3' },
        {
          id: 'active_day3',
          type: 'branch',
          label: 'Logged in within 3 days?',
          branches: [{ condition: loggedInLately, next: 'day3' }],
          else: 'nudge_day3',
        },
        { id: 'day3', type: 'send', templateId: t.day3, next: 'until_day5' },
        { id: 'nudge_day3', type: 'send', templateId: t.nudge, next: 'until_day5' },
        { id: 'until_day5', type: 'wait', duration: { days: 2 }, next: 'day5' },
        { id: 'day5', type: 'send', templateId: t.day5, next: 'until_day10' },
        { id: 'until_day10', type: 'wait', duration: { days: 5 }, next: 'active_day10' },
        {
          id: 'active_day10',
          type: 'branch',
          label: 'Logged in within 3 days?',
          branches: [{ condition: loggedInLately, next: 'day10' }],
          else: 'nudge_day10',
        },
        { id: 'day10', type: 'send', templateId: t.day10, next: 'until_day14' },
        { id: 'nudge_day10', type: 'send', templateId: t.nudge, next: 'until_day14' },
        { id: 'until_day14', type: 'wait', duration: { days: 4 }, next: 'day14' },
        { id: 'day14', type: 'send', templateId: t.day14 },
      ],
      goals: [{ name: 'subscribed', selector: { event: o.upgradeEvent } }],
      reentry: { policy: 'once' },
    };
  },
});

import { z } from '@hono/zod-openapi';
import { type EmailSpec, hrefOf } from './email-copy.ts';
import { defineJourneyTemplate } from './journey-template.ts';

type Stage = 'awareness' | 'consideration' | 'decision';
const STAGE_FIELD = 'custom.buying_stage';
/** Seed 004 cadences as send slots at 10:00 local: weekly (Tue), twice a week (Tue, Fri), three times a week (Mon, Wed, Fri). */
const SLOTS: Record<Stage, number[]> = { awareness: [2], consideration: [2, 5], decision: [1, 3, 5] };
const TRACKS: Record<Stage, string[]> = {
  awareness: ['trends', 'tips', 'guide'],
  consideration: ['whitepaper', 'comparison', 'webinar_invite', 'features'],
  decision: ['case_study', 'roi', 'demo'],
};
const at = (stage: Stage) => ({ type: 'field', field: STAGE_FIELD, operator: 'eq', value: stage });

/**
 * One stage's track: each mail, then a wait for the stage's next slot, then a check whether the
 * contact moved on (to a later stage's track); after its last mail and one more slot, it ends.
 */
function track(stage: Stage, templateIds: Record<string, string>): Record<string, unknown>[] {
  const later: Stage[] = stage === 'awareness' ? ['decision', 'consideration'] : stage === 'consideration' ? ['decision'] : [];
  return TRACKS[stage].flatMap((mail, i): Record<string, unknown>[] => {
    const next = TRACKS[stage][i + 1];
    const send = { id: mail, type: 'send', templateId: templateIds[mail] };
    const wait = { id: `after_${mail}`, type: 'wait', until: { time: '10:00', weekdays: SLOTS[stage] } };
    // The last stage has nowhere to move on to: its mails follow each other, slot by slot.
    if (later.length === 0)
      return next
        ? [
            { ...send, next: wait.id },
            { ...wait, next },
          ]
        : [send];
    const moved = {
      id: `moved_${mail}`,
      type: 'branch',
      label: 'Moved to a later buying stage?',
      branches: later.map((to) => ({ condition: at(to), next: TRACKS[to][0] })),
      ...(next ? { else: next } : {}),
    };
    return [{ ...send, next: wait.id }, { ...wait, next: moved.id }, moved];
  });
}

/** Seed 004, リードナーチャリング by buying stage: awareness weekly, consideration twice a week, decision three times a week. */
export const nurture = defineJourneyTemplate({
  key: 'nurture',
  name: { ja: '購買段階別ナーチャリング', en: 'Nurture by buying stage' },
  description: {
    ja: 'セグメントに入ったリードへ、購買段階（カスタム項目 buying_stage: awareness / consideration / decision）に合わせたコンテンツを送ります。認知段階は週1回、検討段階は週2回、決定段階は週3回。段階が進めばその段階のメールに切り替わり、SQL になった時点で停止します。',
    en: 'Sends leads in a segment content for their buying stage (custom field buying_stage: awareness / consideration / decision): weekly, twice a week and three times a week. Moving to a later stage switches tracks; reaching SQL stops it.',
  },
  options: z
    .object({
      segmentId: z.uuid().describe('The segment of leads to nurture (entering it starts the journey)'),
      siteUrl: z.url({ protocol: /^https?$/ }).describe('Your site; the emails link to its content'),
      stopStage: z.string().min(1).max(100).default('SQL').describe('The lifecycle stage at which nurturing stops (the goal)'),
    })
    .strict(),
  fields: [{ key: 'buying_stage', label: '購買段階 / Buying stage', type: 'enum', options: ['awareness', 'consideration', 'decision'] }],
  emails: (o) => {
    const link = (path: string) => hrefOf(new URL(path, o.siteUrl).href);
    const mail = (ja: [string, string, string], en: [string, string, string], path: string): EmailSpec => ({
      name: { ja: `ナーチャリング: ${ja[0]}`, en: `Nurture: ${en[0]}` },
      kind: 'marketing',
      ja: { subject: ja[0], preheader: ja[1], heading: ja[0], paragraphs: [ja[1]], cta: { label: ja[2], url: link(path) } },
      en: { subject: en[0], preheader: en[1], heading: en[0], paragraphs: [en[1]], cta: { label: en[2], url: link(path) } },
    });
    return {
      trends: mail(
        ['今月の業界トレンド', '押さえておきたい変化を3つにまとめました。', '記事を読む'],
        ['This month’s industry trends', 'Three shifts worth knowing, in five minutes.', 'Read the article'],
        'blog/trends',
      ),
      tips: mail(
        ['よくある課題を解決するヒント集', '現場ですぐに使えるヒントを10個ご紹介します。', 'ヒント集を見る'],
        ['Tips for the usual headaches', 'Ten tips you can use today.', 'See the tips'],
        'blog/tips',
      ),
      guide: mail(
        ['はじめての方向けガイド', '基本の考え方を図解でまとめました。', 'ガイドを読む'],
        ['A beginner’s guide', 'The basics, explained with pictures.', 'Read the guide'],
        'guides/basics',
      ),
      whitepaper: mail(
        ['ホワイトペーパー: 導入の進め方', '検討の進め方と社内説明のポイントをまとめました。', 'ダウンロードする'],
        ['Whitepaper: planning your rollout', 'How to evaluate, and how to make the case internally.', 'Download'],
        'resources/whitepaper',
      ),
      comparison: mail(
        ['比較ガイド: 選び方のポイント', '主要な選択肢を機能と費用で比較しました。', '比較ガイドを見る'],
        ['Comparison guide: how to choose', 'The main options side by side, features and cost.', 'See the comparison'],
        'resources/comparison',
      ),
      webinar_invite: mail(
        ['ウェビナーのご招待', '実際の画面で活用方法をご紹介します。', '申し込む'],
        ['You are invited: live webinar', 'See it in action, with live Q&A.', 'Register'],
        'webinars',
      ),
      features: mail(
        ['機能の詳細', 'よくご質問いただく機能を詳しく解説します。', '機能を見る'],
        ['The features in detail', 'The features people ask about most, explained.', 'See the features'],
        'features',
      ),
      case_study: mail(
        ['導入事例: 成果の出し方', '導入企業がどのように成果を上げたかをご紹介します。', '事例を読む'],
        ['Case study: how they got results', 'How customers turned it into results.', 'Read the case study'],
        'case-studies',
      ),
      roi: mail(
        ['ROI を試算してみませんか', '数字を入れるだけで効果を試算できます。', 'ROI を計算する'],
        ['Work out your ROI', 'Enter a few numbers and see the payoff.', 'Calculate ROI'],
        'roi',
      ),
      demo: mail(
        ['無料トライアル・デモのご案内', 'お客様の状況に合わせてご案内します。', 'デモを予約する'],
        ['Free trial or a demo', 'We will tailor it to your situation.', 'Book a demo'],
        'demo',
      ),
    };
  },
  build: (t, o) => ({
    trigger: { type: 'segment_entered', segmentId: o.segmentId },
    start: 'stage',
    nodes: [
      {
        id: 'stage',
        type: 'branch',
        label: 'Which buying stage?',
        branches: [
          { condition: at('decision'), next: TRACKS.decision[0] },
          { condition: at('consideration'), next: TRACKS.consideration[0] },
        ],
        else: TRACKS.awareness[0],
      },
      ...track('awareness', t),
      ...track('consideration', t),
      ...track('decision', t),
    ],
    goals: [{ name: 'sales_qualified', stage: o.stopStage }],
    reentry: { policy: 'once' },
  }),
});

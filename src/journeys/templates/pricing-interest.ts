import { z } from '@hono/zod-openapi';
import { hrefOf } from './email-copy.ts';
import { defineJourneyTemplate } from './journey-template.ts';

/** Seed 004, 料金ページを3回以上閲覧: tell sales at once, send the pricing document, follow up with a demo link. Once per contact. */
export const pricingInterest = defineJourneyTemplate({
  key: 'pricing_interest',
  name: { ja: '料金ページ閲覧フォロー', en: 'Pricing page interest' },
  description: {
    ja: '30日以内に料金ページを3回閲覧したリードについて、すぐに担当営業へ通知し、料金詳細資料を送り、2日後にデモ申込みリンク付きのフォローメールを送ります。1人につき1回だけです。デモを申し込んだ時点で終了します。',
    en: 'When a lead views the pricing page for the third time within 30 days: notify the owner at once, send the pricing document, and follow up two days later with a demo link. Once per contact; requesting a demo ends it.',
  },
  options: z
    .object({
      pricingDocumentUrl: z.url({ protocol: /^https?$/ }).describe('The pricing document (PDF) to send'),
      demoUrl: z.url({ protocol: /^https?$/ }).describe('Where to book a demo'),
      pricingPath: z
        .string()
        .regex(/^\//, 'expected a path such as /pricing')
        .max(500)
        .default('/pricing')
        .describe('The pricing page’s path'),
      views: z.number().int().min(1).max(100).default(3).describe('How many views within windowDays start it'),
      windowDays: z.number().int().min(1).max(365).default(30).describe('The window for the views, in days'),
      demoEvent: z.string().min(1).max(200).default('Demo Requested').describe('The track event of a demo request (the goal)'),
    })
    .strict(),
  emails: (o) => {
    const doc = hrefOf(o.pricingDocumentUrl);
    const demo = hrefOf(o.demoUrl);
    return {
      pricing_document: {
        name: { ja: '料金: 料金詳細資料', en: 'Pricing: the pricing document' },
        kind: 'marketing',
        ja: {
          subject: '料金詳細資料をお送りします',
          preheader: 'プランごとの機能と費用をまとめました。',
          heading: '料金詳細資料',
          paragraphs: [
            '料金ページをご覧いただきありがとうございます。プランごとの機能、費用、お見積もりの例をまとめた資料をお送りします。',
          ],
          cta: { label: '資料をダウンロード', url: doc },
        },
        en: {
          subject: 'Your pricing details',
          preheader: 'Plans, features and sample quotes in one document.',
          heading: 'Pricing details',
          paragraphs: ['Thanks for checking our pricing. Here is the document with every plan, its features and sample quotes.'],
          cta: { label: 'Download the document', url: doc },
        },
      },
      demo_follow_up: {
        name: { ja: '料金: デモのご案内', en: 'Pricing: book a demo' },
        kind: 'marketing',
        ja: {
          subject: 'お見積もりとデモのご案内',
          preheader: '30分のデモで、実際の使い方と費用感をご確認いただけます。',
          heading: 'デモでご確認ください',
          paragraphs: [
            '資料はお役に立ちましたか？30分のオンラインデモで、{{ contact.companyName | default: "貴社" }}に合ったプランと費用をご案内します。',
          ],
          cta: { label: 'デモを申し込む', url: demo },
        },
        en: {
          subject: 'A quote and a demo, tailored to you',
          preheader: 'Thirty minutes to see it work and what it would cost.',
          heading: 'See it for yourself',
          paragraphs: [
            'Was the document useful? In a 30-minute demo we will show the plan that fits {{ contact.companyName | default: "your team" }} and what it costs.',
          ],
          cta: { label: 'Book a demo', url: demo },
        },
      },
    };
  },
  build: (t, o) => {
    const pricingView = { call: 'page', where: [{ property: 'path', operator: 'eq', value: o.pricingPath }] };
    return {
      trigger: { type: 'event', selector: pricingView },
      // Each view fires the trigger; only the one that makes it `views` within the window enrols (once).
      enrolWhen: { type: 'event', ...pricingView, count: { operator: 'at_least', value: o.views }, within: { lastDays: o.windowDays } },
      start: 'owner',
      nodes: [
        { id: 'owner', type: 'assign_owner', next: 'notify' },
        {
          id: 'notify',
          type: 'notify_owner',
          message: `{{ contact.fullName }}（{{ company.name | default: contact.companyName | default: "会社名未登録" }}）が料金ページを${o.windowDays}日以内に${o.views}回閲覧しました。料金資料を自動送付済みです。`,
          next: 'pricing_document',
        },
        { id: 'pricing_document', type: 'send', templateId: t.pricing_document, next: 'until_follow_up' },
        { id: 'until_follow_up', type: 'wait', duration: { days: 2 }, next: 'demo_follow_up' },
        { id: 'demo_follow_up', type: 'send', templateId: t.demo_follow_up },
      ],
      goals: [{ name: 'demo_requested', selector: { event: o.demoEvent } }],
      reentry: { policy: 'once' },
    };
  },
});

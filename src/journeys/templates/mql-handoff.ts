import { z } from '@hono/zod-openapi';
import { defineJourneyTemplate } from './journey-template.ts';

/** Seed 004, Lead → MQL: tell sales with a summary, create the follow-up task; MQL → SQL ends it (nurture stops on its own SQL goal). */
export const mqlHandoff = defineJourneyTemplate({
  key: 'mql_handoff',
  name: { ja: 'MQL 営業引き渡し', en: 'MQL handoff to sales' },
  description: {
    ja: 'リードが MQL になったら、担当営業を決めて（既存の担当者を優先）、リード情報のサマリーを通知し、初回連絡のタスクを作成します。リードには担当者からの連絡をお知らせします。2営業日たっても SQL にならなければ担当者に再通知します。SQL になった時点で終了します。ライフサイクルの営業引き渡し（handoff）を使う場合は二重にならないようどちらかにしてください。',
    en: 'When a lead becomes an MQL: pick its owner (keeping an existing one), notify them with a lead summary, and create the first-touch task; the lead hears that someone will be in touch. Still not SQL after two business days: the owner is reminded. Reaching SQL ends it. Use this or the lifecycle’s built-in handoff, not both.',
  },
  options: z
    .object({
      mqlStage: z.string().min(1).max(100).default('MQL').describe('The lifecycle stage that starts the handoff'),
      sqlStage: z.string().min(1).max(100).default('SQL').describe('The stage at which sales has taken it (the goal)'),
      firstTouchHours: z
        .number()
        .int()
        .min(1)
        .max(24 * 14)
        .default(24)
        .describe('When the first-touch task is due, in hours'),
    })
    .strict(),
  emails: () => ({
    introduction: {
      name: { ja: 'MQL: 担当者からのご連絡について', en: 'MQL: your contact person' },
      kind: 'marketing',
      ja: {
        subject: '担当者よりご連絡いたします',
        preheader: 'ご検討のお役に立てるよう、担当者がご案内します。',
        heading: '担当者からご連絡します',
        paragraphs: [
          'いつも情報をご覧いただきありがとうございます。ご検討のお手伝いをするため、担当者（{{ contact.owner }}）より近日中にご連絡いたします。',
          'お急ぎの場合は、このメールにご返信ください。',
        ],
      },
      en: {
        subject: 'Someone from our team will be in touch',
        preheader: 'A person to help with your questions.',
        heading: 'Meet your contact',
        paragraphs: [
          'Thanks for your interest. {{ contact.owner }} from our team will reach out shortly to help with any questions.',
          'In a hurry? Just reply to this email.',
        ],
      },
    },
  }),
  build: (t, o) => ({
    trigger: { type: 'stage_changed', to: o.mqlStage },
    start: 'owner',
    nodes: [
      { id: 'owner', type: 'assign_owner', next: 'notify' },
      {
        id: 'notify',
        type: 'notify_owner',
        message:
          '新しい MQL: {{ contact.fullName }}（{{ company.name | default: contact.companyName | default: "会社名未登録" }}・{{ contact.jobTitle | default: "役職未登録" }}） {{ contact.email }}。初回連絡をお願いします。',
        next: 'task',
      },
      {
        id: 'task',
        type: 'create_task',
        title: 'MQL 初回連絡 / First touch with a new MQL',
        dueIn: { hours: o.firstTouchHours },
        next: 'introduce',
      },
      { id: 'introduce', type: 'send', templateId: t.introduction, next: 'sla' },
      { id: 'sla', type: 'wait', label: 'Two business days', duration: { hours: 18 }, businessHours: {}, next: 'remind' },
      {
        id: 'remind',
        type: 'notify_owner',
        message:
          '{{ contact.fullName }}（{{ contact.email }}）は MQL になってから2営業日、まだ SQL になっていません。状況をご確認ください。',
      },
    ],
    goals: [{ name: 'sales_qualified', stage: o.sqlStage }],
    reentry: { policy: 'after_exit' },
  }),
});

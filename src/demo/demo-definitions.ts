import type { Kysely } from 'kysely';
import { defineCustomField } from '../contacts/custom-fields.ts';
import { publishLifecycle, saveLifecycleDraft } from '../lifecycle/lifecycle.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { createScoringModel, publishScoringModel } from '../scoring/models.ts';
import { createSegment, publishSegment } from '../segments/segments.ts';
import { SEED_SCORING_MODEL, TARGET_INDUSTRIES } from './seed-model.ts';

export interface DemoDefinitions {
  modelId: string;
  segments: Record<DemoSegmentKey, string>;
}

export type DemoSegmentKey = 'hot' | 'warm' | 'japan_enterprise' | 'idle_60' | 'webinar_no_show' | 'pricing_14';

/** The sales users MQLs are handed to (round robin); addresses that can never receive mail. */
export const DEMO_SALES_USERS = ['sato.sales@kizuna-demo.example', 'emma.sales@kizuna-demo.example'];

const field = (name: string, operator: string, value?: unknown) => ({
  type: 'field',
  field: name,
  operator,
  ...(value === undefined ? {} : { value }),
});

/**
 * Declares and publishes what the demo runs on, before any contact exists (so every build is
 * instant and every later write reacts): custom fields, the seed 004 scoring model, the
 * lifecycle with 例4's MQL rule and a sales handoff, and six segments.
 */
export async function installDemoDefinitions(db: Kysely<DB>, workspaceId: string, clock: Clock): Promise<DemoDefinitions> {
  await defineCustomField(
    db,
    workspaceId,
    {
      key: 'lead_source',
      label: 'リードソース / Lead source',
      type: 'enum',
      options: ['trade_show', 'list_import', 'referral', 'organic', 'paid_search', 'social'],
    },
    clock,
  );
  await defineCustomField(
    db,
    workspaceId,
    { key: 'product_interest', label: '関心製品 / Product interest', type: 'multi_enum', options: ['ma', 'crm', 'sfa', 'analytics'] },
    clock,
  );
  const model = await createScoringModel(db, workspaceId, { name: 'BtoB SaaS（seed 004）', definition: SEED_SCORING_MODEL }, clock);
  await publishScoringModel(db, workspaceId, model.id, clock);

  await saveLifecycleDraft(
    db,
    workspaceId,
    {
      definition: {
        rules: [
          { stage: 'Lead', label: 'メールアドレスあり', condition: field('email', 'is_set') },
          {
            // Seed 004 例4: the MQL definition sales and marketing agreed on.
            stage: 'MQL',
            label: '例4 MQL',
            condition: {
              type: 'and',
              conditions: [
                field('company.employeeCount', 'gte', 100),
                field('roleLevel', 'gte', 'manager'),
                field('company.industry', 'in', TARGET_INDUSTRIES),
                {
                  type: 'or',
                  conditions: [
                    { type: 'score', modelId: model.id, operator: 'gte', value: 60 },
                    { type: 'event', event: 'Demo Requested' },
                    { type: 'event', event: 'Brochure Requested' },
                  ],
                },
              ],
            },
          },
        ],
        handoff: { stage: 'MQL', salesUsers: DEMO_SALES_USERS.map((email) => ({ email })), firstTouchHours: 24, decisionHours: 24 * 7 },
      },
    },
    clock,
  );
  await publishLifecycle(db, workspaceId, clock);

  const definitions: Record<DemoSegmentKey, { name: string; description: string; condition: unknown }> = {
    hot: {
      name: 'Hot leads（ホットリード）',
      description: 'Hot or Very Hot in the BtoB SaaS model',
      condition: { type: 'band', modelId: model.id, bands: ['Hot', 'Very Hot'] },
    },
    warm: {
      name: 'Warm leads（ナーチャリング対象）',
      description: 'In the Warm band and showed interest (a white paper or a webinar): entering it starts the nurture journey',
      condition: {
        type: 'and',
        conditions: [
          { type: 'band', modelId: model.id, bands: ['Warm'] },
          {
            type: 'or',
            conditions: [
              { type: 'event', event: 'Whitepaper Downloaded' },
              { type: 'event', event: 'Webinar Registered' },
            ],
          },
        ],
      },
    },
    japan_enterprise: {
      name: '国内大企業（Japanese enterprise）',
      description: 'Contacts in Japan at companies of 1,000 employees or more',
      condition: { type: 'and', conditions: [field('country', 'eq', 'JP'), field('company.employeeCount', 'gte', 1000)] },
    },
    idle_60: {
      name: 'Idle 60 days（休眠）',
      description: 'Last seen more than 60 days ago',
      condition: field('lastSeenAt', 'more_than_days_ago', 60),
    },
    webinar_no_show: {
      name: 'Webinar no-shows（ウェビナー欠席）',
      description: 'Registered for a webinar in the last 90 days, attended none',
      condition: {
        type: 'and',
        conditions: [
          { type: 'event', event: 'Webinar Registered', within: { lastDays: 90 } },
          { type: 'not', condition: { type: 'event', event: 'Webinar Attended', within: { lastDays: 90 } } },
        ],
      },
    },
    pricing_14: {
      name: 'Pricing page, last 14 days（料金ページ閲覧）',
      description: 'Viewed /pricing in the last 14 days',
      condition: {
        type: 'event',
        call: 'page',
        where: [{ property: 'path', operator: 'starts_with', value: '/pricing' }],
        within: { lastDays: 14 },
      },
    },
  };
  const segments = {} as Record<DemoSegmentKey, string>;
  for (const [key, { name, description, condition }] of Object.entries(definitions) as [
    DemoSegmentKey,
    (typeof definitions)[DemoSegmentKey],
  ][]) {
    const segment = await createSegment(db, workspaceId, { name, description, definition: { condition } }, clock);
    await publishSegment(db, workspaceId, segment.id, clock);
    segments[key] = segment.id;
  }
  return { modelId: model.id, segments };
}

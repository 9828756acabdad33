import { SEED_BANDS } from '../scoring/model.ts';

const field = (name: string, operator: string, value?: unknown) => ({
  type: 'field',
  field: name,
  operator,
  ...(value === undefined ? {} : { value }),
});
const attribute = (id: string, label: string, condition: unknown, points: number) => ({ id, label, kind: 'attribute', condition, points });
const page = (id: string, label: string, prefix: string, points: number, extra: Record<string, unknown> = {}) => ({
  id,
  label,
  kind: 'behavior',
  call: 'page',
  where: [{ property: 'path', operator: 'starts_with', value: prefix }],
  points,
  ...extra,
});
const track = (id: string, label: string, event: string, points: number, extra: Record<string, unknown> = {}) => ({
  id,
  label,
  kind: 'behavior',
  event,
  points,
  ...extra,
});

/** The industries the seed's model targets (IT, 金融) and excludes (教育), in both of the demo's languages. */
export const TARGET_INDUSTRIES = ['IT', '金融', 'Finance'];
export const EXCLUDED_INDUSTRIES = ['教育', 'Education'];

/**
 * Seed 004's BtoB SaaS scoring model (the table of 企業規模・業種・役職・Web行動・コンテンツ・
 * メール, decay after 30 and 60 idle days, bands Cold/Warm/Hot/Very Hot), as the scoring tests
 * use it; industries also in English, since half the demo's companies are not Japanese.
 */
export const SEED_SCORING_MODEL = {
  rules: [
    attribute('size_small', '従業員数 100名未満', field('company.employeeCount', 'lt', 100), 5),
    attribute('size_100', '従業員数 100-500名', field('company.employeeCount', 'between', [100, 499]), 15),
    attribute('size_500', '従業員数 500-1000名', field('company.employeeCount', 'between', [500, 999]), 20),
    attribute('size_1000', '従業員数 1000名以上', field('company.employeeCount', 'gte', 1000), 25),
    attribute('industry_target', 'ターゲット業種（IT、金融）', field('company.industry', 'in', TARGET_INDUSTRIES), 20),
    attribute('industry_excluded', '対象外業種', field('company.industry', 'in', EXCLUDED_INDUSTRIES), -10),
    attribute('role_decision', '決裁者（CXO、部長）', field('roleLevel', 'gte', 'director'), 25),
    attribute('role_influencer', '影響者（課長、マネージャー）', field('roleLevel', 'in', ['lead', 'manager']), 15),
    attribute('role_staff', '実務者', field('roleLevel', 'eq', 'staff'), 5),
    page('pricing_page', '料金ページ閲覧', '/pricing', 10, { oncePerDays: 1 }),
    page('case_study', '事例ページ閲覧', '/case-studies', 8),
    page('product_page', '製品詳細ページ閲覧', '/features', 7),
    page('blog', 'ブログ記事閲覧', '/blog', 3, { cap: 15 }),
    track('whitepaper', 'ホワイトペーパーDL', 'Whitepaper Downloaded', 15),
    track('webinar', 'ウェビナー参加', 'Webinar Attended', 20),
    track('demo', 'デモ申込み', 'Demo Requested', 30),
    track('brochure', '資料請求', 'Brochure Requested', 25),
    track('email_open', 'メール開封', 'Email Opened', 2, { where: [{ property: 'machine', operator: 'eq', value: false }] }),
    track('email_click', 'メールクリック', 'Email Link Clicked', 5),
    track('unsubscribe', 'メール配信停止', 'Unsubscribed', -15),
  ],
  decay: {
    everyDays: 30,
    steps: [
      { afterDays: 30, points: 5 },
      { afterDays: 60, points: 10 },
    ],
  },
  thresholds: [20, 50, 75],
  bands: SEED_BANDS,
};

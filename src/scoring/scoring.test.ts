import { describe, expect, it } from 'vitest';
import { createCompany } from '../companies/companies.ts';
import { bulkUpsertContacts, deleteContact, updateContact } from '../contacts/contacts.ts';
import { createPartitionCache } from '../events/event-partitions.ts';
import type { SegmentCall } from '../events/event-schema.ts';
import { ingestEvents } from '../events/ingest-events.ts';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { KizunaError } from '../platform/errors.ts';
import { createSegment, publishSegment, rebuildSegment } from '../segments/segments.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { drainDueScoreChecks } from './checks.ts';
import { SEED_BANDS } from './model.ts';
import { createScoringModel, dryRunScoringModel, explainScores, publishScoringModel, rescoreModel, updateScoringModel } from './models.ts';

const database = useTestDatabase();
const DAY = 86_400_000;

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
const attribute = (id: string, label: string, condition: unknown, points: number) => ({ id, label, kind: 'attribute', condition, points });
const field = (name: string, operator: string, value?: unknown) => ({
  type: 'field',
  field: name,
  operator,
  ...(value === undefined ? {} : { value }),
});

/** Seed 004's BtoB SaaS model: company size, industry, role, web behaviour, content, email, decay, bands. */
const SEED_MODEL = {
  rules: [
    attribute('size_small', '従業員数 100名未満', field('company.employeeCount', 'lt', 100), 5),
    attribute('size_100', '従業員数 100-500名', field('company.employeeCount', 'between', [100, 499]), 15),
    attribute('size_500', '従業員数 500-1000名', field('company.employeeCount', 'between', [500, 999]), 20),
    attribute('size_1000', '従業員数 1000名以上', field('company.employeeCount', 'gte', 1000), 25),
    attribute('industry_target', 'ターゲット業種（IT、金融）', field('company.industry', 'in', ['IT', '金融']), 20),
    attribute('industry_excluded', '対象外業種', field('company.industry', 'in', ['教育']), -10),
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

async function setup() {
  const { db } = database.current;
  const clock = createVirtualClock(new Date('2026-04-01T00:00:00Z'));
  const { workspaceId } = await createTestWorkspace(database.current, clock);
  const model = await createScoringModel(db, workspaceId, { name: 'BtoB SaaS', definition: SEED_MODEL }, clock);
  await publishScoringModel(db, workspaceId, model.id, clock);
  await rescoreModel(db, workspaceId, model.id, clock);
  const partitions = createPartitionCache();
  const send = async (call: Record<string, unknown>) => {
    await ingestEvents(db, { workspaceId, calls: [{ userId: 'u1', ...call } as SegmentCall], partitions }, clock);
  };
  const state = async (contactId: string) => {
    const row = await db
      .selectFrom('contact_scores')
      .select(['score', 'band', 'points'])
      .where('model_id', '=', model.id)
      .where('contact_id', '=', contactId)
      .executeTakeFirst();
    const ledger = await db
      .selectFrom('score_ledger')
      .select(['rule', 'delta', 'cause'])
      .where('contact_id', '=', contactId)
      .orderBy('id')
      .execute();
    const signals = await db.selectFrom('signals').select(['kind', 'data']).where('contact_id', '=', contactId).orderBy('id').execute();
    const of = (kind: string) => signals.filter((s) => s.kind === kind).map((s) => s.data);
    return {
      ...row,
      ledger,
      bands: of('score.band_changed').map((d) => `${d.from}→${d.to}`),
      thresholds: of('score.threshold_crossed').map((d) => `${d.threshold} ${d.direction}`),
      segment: of('segment.entered').length - of('segment.exited').length,
    };
  };
  return { db, clock, workspaceId, model, send, state };
}

describe('lead scoring (seed 004 BtoB SaaS)', () => {
  it('replays a contact’s history with the exact score, band and ledger after each step, decay after 30 and 60 idle days included', async () => {
    const { db, clock, workspaceId, model, send, state } = await setup();
    const acme = await createCompany(
      db,
      workspaceId,
      { name: 'アクメ', domain: 'acme.example', industry: 'IT', employeeCount: 300 },
      clock,
    );
    const [written] = await bulkUpsertContacts(
      db,
      workspaceId,
      [{ email: 'taro@acme.example', roleLevel: 'manager', companyId: acme.id, externalIds: { user_id: 'u1' } }],
      clock,
    );
    const id = (written as { id: string }).id;
    // A segment on the score's band follows every change, decay included.
    const hot = await createSegment(
      db,
      workspaceId,
      { name: 'Very Hot', definition: { condition: { type: 'band', modelId: model.id, bands: ['Very Hot'] } } },
      clock,
    );
    await publishSegment(db, workspaceId, hot.id, clock);
    await rebuildSegment(db, workspaceId, hot.id, clock);

    // Fit: 100–500 employees +15, IT +20, manager +15.
    let s = await state(id);
    expect(s).toMatchObject({
      score: 50,
      band: 'Hot',
      points: { size_100: 15, industry_target: 20, role_influencer: 15 },
      bands: ['null→Hot'],
    });
    expect(s.ledger.map((l) => `${l.rule}${l.delta}`).sort()).toEqual(['industry_target20', 'role_influencer15', 'size_10015']);

    await send({ type: 'page', properties: { path: '/pricing' } });
    expect((await state(id)).score).toBe(60);
    clock.advance(3_600_000);
    await send({ type: 'page', properties: { path: '/pricing/enterprise' } }); // once a day: not again
    s = await state(id);
    expect(s.score).toBe(60);
    expect(s.ledger.filter((l) => l.rule === 'pricing_page')).toEqual([{ rule: 'pricing_page', delta: 10, cause: 'event' }]);

    await send({ type: 'track', event: 'Demo Requested', messageId: 'demo-1' });
    s = await state(id);
    expect(s).toMatchObject({ score: 90, band: 'Very Hot', bands: ['null→Hot', 'Hot→Very Hot'], segment: 1 });
    await send({ type: 'track', event: 'Email Opened', properties: { machine: false } });
    await send({ type: 'track', event: 'Email Opened', properties: { machine: true } }); // a privacy proxy: not scored
    s = await state(id);
    expect(s.score).toBe(92);
    const ledgerBefore = s.ledger.length;

    // The client retries the demo request: stored once, scored once.
    await send({ type: 'track', event: 'Demo Requested', messageId: 'demo-1' });
    s = await state(id);
    expect(s.score).toBe(92);
    expect(s.ledger).toHaveLength(ledgerBefore);

    // Idle: the last scored activity was the human open. 30 days on, −5; 60 days, −10; 90 days, −10.
    const lastActivity = clock.now().getTime() - 0;
    clock.set(new Date(lastActivity + 30 * DAY - 1));
    await drainDueScoreChecks(db, clock, { workspaceId });
    expect((await state(id)).score).toBe(92);
    clock.set(new Date(lastActivity + 30 * DAY));
    await drainDueScoreChecks(db, clock, { workspaceId });
    expect((await state(id)).score).toBe(87);
    clock.set(new Date(lastActivity + 60 * DAY));
    await drainDueScoreChecks(db, clock, { workspaceId });
    s = await state(id);
    expect(s).toMatchObject({ score: 77, band: 'Very Hot' });
    clock.set(new Date(lastActivity + 90 * DAY));
    await drainDueScoreChecks(db, clock, { workspaceId });
    s = await state(id);
    expect(s).toMatchObject({ score: 67, band: 'Hot', points: { decay: -25 } });
    expect(s.bands.at(-1)).toBe('Very Hot→Hot');
    expect(s.segment).toBe(0);
    expect(s.thresholds).toEqual(['20 up', '50 up', '75 up', '75 down']);
    expect(s.ledger.filter((l) => l.rule === 'decay').map((l) => [l.delta, l.cause])).toEqual([
      [-5, 'time'],
      [-10, 'time'],
      [-10, 'time'],
    ]);

    // Unsubscribing costs 15; a promotion to director swaps the role points (−15, +25).
    await send({ type: 'track', event: 'Unsubscribed' });
    expect((await state(id)).score).toBe(52);
    await updateContact(db, workspaceId, id, { roleLevel: 'director' }, clock);
    s = await state(id);
    expect(s).toMatchObject({ score: 62, band: 'Hot' });
    expect(
      s.ledger
        .slice(-2)
        .map((l) => `${l.rule}${l.delta}/${l.cause}`)
        .sort(),
    ).toEqual(['role_decision25/change', 'role_influencer-15/change']);

    // The score explained: per rule, the sum of its ledger; the rules add up to the score.
    const explained = (await explainScores(db, workspaceId, id)).models[0]!;
    expect(explained).toMatchObject({ modelId: model.id, score: 62, band: 'Hot' });
    const perRule = Object.fromEntries(explained.rules.map((r) => [r.rule, r.points]));
    expect(perRule).toEqual({
      size_100: 15,
      industry_target: 20,
      role_decision: 25,
      pricing_page: 10,
      demo: 30,
      email_open: 2,
      decay: -25,
      unsubscribe: -15,
    });
    expect(Object.values(perRule).reduce((a, b) => a + b, 0)).toBe(62);
    expect(explained.rules.find((r) => r.rule === 'demo')!.entries[0]).toMatchObject({
      delta: 30,
      reason: 'デモ申込み +30',
      cause: 'event',
    });

    // Republishing the same model re-scores from history: the same scores, nothing in the ledger.
    const ledgerCount = (await state(id)).ledger.length;
    await publishScoringModel(db, workspaceId, model.id, clock);
    await rescoreModel(db, workspaceId, model.id, clock);
    s = await state(id);
    expect(s.score).toBe(62);
    expect(s.ledger).toHaveLength(ledgerCount);
  });

  it('a dry run reports how a draft would move the scores, writing nothing', async () => {
    const { db, clock, workspaceId, model, send, state } = await setup();
    const [written] = await bulkUpsertContacts(db, workspaceId, [{ email: 'demo@example.jp', externalIds: { user_id: 'u1' } }], clock);
    const id = (written as { id: string }).id;
    await send({ type: 'track', event: 'Demo Requested' });
    expect((await state(id)).score).toBe(30);
    const draft = { ...SEED_MODEL, rules: SEED_MODEL.rules.map((r) => (r.id === 'demo' ? { ...r, points: 60 } : r)) };
    await updateScoringModel(db, workspaceId, model.id, { definition: draft }, clock);
    const report = await dryRunScoringModel(db, workspaceId, model.id, clock);
    expect(report).toEqual({
      contacts: 1,
      changed: 1,
      averageBefore: 30,
      averageAfter: 60,
      bands: [
        { band: 'Warm', before: 1, after: 0 },
        { band: 'Hot', before: 0, after: 1 },
      ],
    });
    expect((await state(id)).score).toBe(30);
  });

  it('caps a rule: blog reading earns at most 15', async () => {
    const { db, clock, workspaceId, send, state } = await setup();
    const [written] = await bulkUpsertContacts(db, workspaceId, [{ email: 'reader@example.jp', externalIds: { user_id: 'u1' } }], clock);
    const id = (written as { id: string }).id;
    for (let i = 0; i < 7; i++) await send({ type: 'page', properties: { path: `/blog/${i}` } });
    expect(await state(id)).toMatchObject({ score: 15, band: 'Cold', points: { blog: 15 } });
  });

  it('scores models with more behaviour rules than one bit mask holds (70 rules: rules 0, 31, 33 and 69 match)', async () => {
    const { db, clock, workspaceId, send } = await setup();
    const rules = Array.from({ length: 70 }, (_, i) => page(`p${i}`, `page ${i}`, `/p${i}/`, i + 1));
    const wide = await createScoringModel(db, workspaceId, { name: 'wide', definition: { rules, bands: SEED_BANDS } }, clock);
    await publishScoringModel(db, workspaceId, wide.id, clock);
    const [written] = await bulkUpsertContacts(db, workspaceId, [{ email: 'wide@example.jp', externalIds: { user_id: 'u1' } }], clock);
    const id = (written as { id: string }).id;
    for (const path of ['/p0/a', '/p31/a', '/p33/a', '/p69/a', '/elsewhere']) await send({ type: 'page', properties: { path } });
    const score = await db
      .selectFrom('contact_scores')
      .select(['score', 'points'])
      .where('model_id', '=', wide.id)
      .where('contact_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(score).toEqual({ score: 1 + 32 + 34 + 70, points: { p0: 1, p31: 32, p33: 34, p69: 70 } });
  });

  it('scores a behaviour-only model alone; deleting the contact deletes its scores and ledger', async () => {
    const { db, clock, workspaceId, send } = await setup();
    const behaviour = await createScoringModel(
      db,
      workspaceId,
      { name: 'engagement only', definition: { rules: [track('trial', 'trial', 'Trial Started', 30)], bands: SEED_BANDS } },
      clock,
    );
    await publishScoringModel(db, workspaceId, behaviour.id, clock);
    const [written] = await bulkUpsertContacts(db, workspaceId, [{ email: 'demo@example.jp', externalIds: { user_id: 'u1' } }], clock);
    const id = (written as { id: string }).id;
    // Only the behaviour-only model scores this event.
    await send({ type: 'track', event: 'Trial Started' });
    const scores = await db.selectFrom('contact_scores').select(['model_id', 'score']).where('contact_id', '=', id).execute();
    expect(scores.find((s) => s.model_id === behaviour.id)?.score).toBe(30);
    expect(scores).toHaveLength(2);
    await deleteContact(db, workspaceId, id, clock);
    expect(await db.selectFrom('score_ledger').select('id').where('contact_id', '=', id).execute()).toEqual([]);
    expect(await db.selectFrom('contact_scores').select('score').where('contact_id', '=', id).execute()).toEqual([]);
  });

  it.each([
    [
      'an unknown field',
      { rules: [attribute('x', 'x', field('shoeSize', 'eq', 'L'), 5)], bands: SEED_BANDS },
      'definition.rules.0.condition.field',
    ],
    [
      'a bad operator',
      { rules: [attribute('x', 'x', field('roleLevel', 'contains', 'man'), 5)], bands: SEED_BANDS },
      'definition.rules.0.condition.operator',
    ],
    [
      'overlapping bands',
      {
        rules: [track('x', 'x', 'Demo Requested', 5)],
        bands: [
          { name: 'Cold', min: 0, max: 30 },
          { name: 'Warm', min: 25 },
        ],
      },
      'definition.bands.0.max',
    ],
    ['a negative cap', { rules: [track('x', 'x', 'Demo Requested', 5, { cap: -5 })], bands: SEED_BANDS }, 'definition.rules.0.cap'],
    [
      'a rule reading a score',
      {
        rules: [attribute('x', 'x', { type: 'score', modelId: '00000000-0000-4000-8000-000000000000', operator: 'gte', value: 5 }, 5)],
        bands: SEED_BANDS,
      },
      'definition.rules.0.condition',
    ],
  ])('rejects a model with %s, naming it, and saves nothing', async (_name, definition, path) => {
    const { db, clock, workspaceId } = await setup();
    const error = await createScoringModel(db, workspaceId, { name: 'bad', definition }, clock).catch((e) => e);
    expect(error).toBeInstanceOf(KizunaError);
    expect((error as KizunaError).issues.map((i) => i.path)).toContain(path);
    const models = await db.selectFrom('scoring_models').select('id').where('workspace_id', '=', workspaceId).execute();
    expect(models).toHaveLength(1);
  });
});

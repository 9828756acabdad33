import { describe, expect, it } from 'vitest';
import { createCompany } from '../companies/companies.ts';
import { bulkUpsertContacts, updateContact } from '../contacts/contacts.ts';
import { createPartitionCache } from '../events/event-partitions.ts';
import type { SegmentCall } from '../events/event-schema.ts';
import { ingestEvents } from '../events/ingest-events.ts';
import { importContacts } from '../imports/import-contacts.ts';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { KizunaError } from '../platform/errors.ts';
import { SEED_BANDS } from '../scoring/model.ts';
import { createScoringModel, publishScoringModel, rescoreModel } from '../scoring/models.ts';
import { unitOfWork } from '../segments/membership.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { changeStage, listTransitions, publishLifecycle, saveLifecycleDraft } from './lifecycle.ts';
import { lifecycleReport, scoreReport } from './reports.ts';

const database = useTestDatabase();
const field = (name: string, operator: string, value?: unknown) => ({
  type: 'field',
  field: name,
  operator,
  ...(value === undefined ? {} : { value }),
});

async function setup() {
  const { db } = database.current;
  const clock = createVirtualClock(new Date('2026-05-01T00:00:00Z'));
  const { workspaceId } = await createTestWorkspace(database.current, clock);
  const model = await createScoringModel(
    db,
    workspaceId,
    {
      name: 'fit + engagement',
      definition: {
        rules: [
          { id: 'size', label: '従業員数 100名以上', kind: 'attribute', condition: field('company.employeeCount', 'gte', 100), points: 15 },
          { id: 'it', label: 'IT・金融', kind: 'attribute', condition: field('company.industry', 'in', ['IT', '金融']), points: 20 },
          { id: 'manager', label: 'マネージャー以上', kind: 'attribute', condition: field('roleLevel', 'gte', 'manager'), points: 15 },
          {
            id: 'pricing',
            label: '料金ページ',
            kind: 'behavior',
            call: 'page',
            where: [{ property: 'path', operator: 'starts_with', value: '/pricing' }],
            points: 10,
          },
        ],
        bands: SEED_BANDS,
      },
    },
    clock,
  );
  await publishScoringModel(db, workspaceId, model.id, clock);
  await rescoreModel(db, workspaceId, model.id, clock);
  // Seed 004 例4: MQL = 100+ employees AND manager or above AND a target industry AND (score ≥ 60 OR a high-intent event).
  await saveLifecycleDraft(
    db,
    workspaceId,
    {
      definition: {
        rules: [
          { stage: 'Lead', label: 'has an email', condition: field('email', 'is_set') },
          {
            stage: 'MQL',
            label: '例4 MQL',
            condition: {
              type: 'and',
              conditions: [
                field('company.employeeCount', 'gte', 100),
                field('roleLevel', 'gte', 'manager'),
                field('company.industry', 'in', ['IT', '金融']),
                {
                  type: 'or',
                  conditions: [
                    { type: 'score', modelId: model.id, operator: 'gte', value: 60 },
                    { type: 'event', event: 'Demo Requested' },
                    { type: 'event', event: 'Pricing Inquiry' },
                  ],
                },
              ],
            },
          },
        ],
      },
    },
    clock,
  );
  await publishLifecycle(db, workspaceId, clock);
  const partitions = createPartitionCache();
  const send = (userId: string, call: Record<string, unknown>) =>
    ingestEvents(db, { workspaceId, calls: [{ userId, ...call } as SegmentCall], partitions }, clock);
  const stageOf = async (id: string) =>
    (await db.selectFrom('contacts').select('lifecycle_stage').where('id', '=', id).executeTakeFirstOrThrow()).lifecycle_stage;
  return { db, clock, workspaceId, send, stageOf };
}

describe('lifecycle stages', () => {
  it('例4: MQL needs every required condition and one of the OR branch; sales reject → Recycled → re-qualified; every transition logged', async () => {
    const { db, clock, workspaceId, send, stageOf } = await setup();
    const it = await createCompany(
      db,
      workspaceId,
      { name: 'アイティー', domain: 'it.example', industry: 'IT', employeeCount: 300 },
      clock,
    );
    const [written] = await bulkUpsertContacts(
      db,
      workspaceId,
      [{ email: 'hanako@it.example', roleLevel: 'staff', companyId: it.id, externalIds: { user_id: 'u1' } }],
      clock,
    );
    const id = (written as { id: string }).id;
    expect(await stageOf(id)).toBe('Lead');

    // Manager now: the required conditions hold, but the score is 50 and there is no high-intent event.
    await updateContact(db, workspaceId, id, { roleLevel: 'manager' }, clock);
    expect(await stageOf(id)).toBe('Lead');
    // A pricing page view takes the score to 60: the OR branch holds through the score.
    await send('u1', { type: 'page', properties: { path: '/pricing' } });
    expect(await stageOf(id)).toBe('MQL');

    // Sales reject: back to Recycled, which needs a reason.
    const noReason = await unitOfWork(db, clock, (tx) => changeStage(tx, workspaceId, id, { stage: 'Recycled' }, 'user', clock)).catch(
      (e) => e,
    );
    expect(noReason).toBeInstanceOf(KizunaError);
    expect((noReason as KizunaError).issues.map((i) => i.path)).toEqual(['reason']);
    await unitOfWork(db, clock, (tx) => changeStage(tx, workspaceId, id, { stage: 'Recycled', reason: '今期は予算なし' }, 'user', clock));
    expect(await stageOf(id)).toBe('Recycled');

    // Months later a demo request: still qualified, so the rule brings the contact back to MQL.
    clock.advance(90 * 86_400_000);
    await send('u1', { type: 'track', event: 'Demo Requested' });
    expect(await stageOf(id)).toBe('MQL');

    const log = await listTransitions(db, workspaceId, id);
    expect(log.map(({ at: _, ...t }) => t)).toEqual([
      { from: null, to: 'Lead', cause: 'rule', rule: 'has an email', reason: null },
      { from: 'Lead', to: 'MQL', cause: 'rule', rule: '例4 MQL', reason: null },
      { from: 'MQL', to: 'Recycled', cause: 'user', rule: null, reason: '今期は予算なし' },
      { from: 'Recycled', to: 'MQL', cause: 'rule', rule: '例4 MQL', reason: null },
    ]);
    const signals = await db
      .selectFrom('signals')
      .select('data')
      .where('contact_id', '=', id)
      .where('kind', '=', 'lifecycle.stage_changed')
      .execute();
    expect(signals).toHaveLength(4);
  });

  it('a high-intent event does not make an MQL of a contact outside the target industry', async () => {
    const { db, clock, workspaceId, send, stageOf } = await setup();
    const retail = await createCompany(
      db,
      workspaceId,
      { name: '小売', domain: 'retail.example', industry: 'Retail', employeeCount: 5000 },
      clock,
    );
    const [written] = await bulkUpsertContacts(
      db,
      workspaceId,
      [{ email: 'ken@retail.example', roleLevel: 'director', companyId: retail.id, externalIds: { user_id: 'u2' } }],
      clock,
    );
    const id = (written as { id: string }).id;
    await send('u2', { type: 'track', event: 'Demo Requested' });
    expect(await stageOf(id)).toBe('Lead');
  });

  it('stages written by a PATCH or an import are logged with that cause', async () => {
    const { db, clock, workspaceId, stageOf } = await setup();
    const csv = Buffer.from('メールアドレス,ステージ\nimported@example.jp,Customer\n');
    await importContacts({ db, workspaceId, source: { buffer: csv }, clock });
    const imported = await db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('email', '=', 'imported@example.jp')
      .executeTakeFirstOrThrow();
    expect(await stageOf(imported.id)).toBe('Customer');
    expect((await listTransitions(db, workspaceId, imported.id)).map((t) => `${t.from}→${t.to} ${t.cause}`)).toEqual([
      'null→Customer import',
    ]);
    await updateContact(db, workspaceId, imported.id, { lifecycleStage: 'Opportunity' }, clock);
    expect((await listTransitions(db, workspaceId, imported.id)).map((t) => `${t.from}→${t.to} ${t.cause}`)).toEqual([
      'null→Customer import',
      'Customer→Opportunity api',
    ]);
  });

  it('a stage set back by a person holds until something new happens', async () => {
    const { db, clock, workspaceId, send, stageOf } = await setup();
    const it = await createCompany(db, workspaceId, { name: 'テック', domain: 'tech.example', industry: 'IT', employeeCount: 200 }, clock);
    const [written] = await bulkUpsertContacts(
      db,
      workspaceId,
      [{ email: 'mio@tech.example', roleLevel: 'manager', companyId: it.id, externalIds: { user_id: 'u4' } }],
      clock,
    );
    const id = (written as { id: string }).id;
    await send('u4', { type: 'track', event: 'Demo Requested' });
    expect(await stageOf(id)).toBe('MQL');
    await unitOfWork(db, clock, (tx) => changeStage(tx, workspaceId, id, { stage: 'Lead', reason: 'まだ情報収集段階' }, 'user', clock));
    expect(await stageOf(id)).toBe('Lead');
    await send('u4', { type: 'page', properties: { path: '/pricing' } });
    expect(await stageOf(id)).toBe('MQL');
  });

  it('reports the funnel: contacts per stage, MQL → SQL rate, median hours between stages, conversion by band', async () => {
    const { db, clock, workspaceId, stageOf } = await setup();
    const written = await bulkUpsertContacts(db, workspaceId, [{ email: 'a@report.example' }, { email: 'b@report.example' }], clock);
    const [a, b] = written.map((w) => (w as { id: string }).id) as [string, string];
    expect(await stageOf(a)).toBe('Lead');
    const move = (id: string, stage: string) => unitOfWork(db, clock, (tx) => changeStage(tx, workspaceId, id, { stage }, 'api', clock));
    clock.advance(24 * 3_600_000);
    await move(a, 'MQL');
    clock.advance(24 * 3_600_000);
    await move(b, 'MQL');
    clock.advance(24 * 3_600_000);
    await move(a, 'SQL');
    clock.advance(28 * 3_600_000);
    await move(a, 'Customer');
    const report = await lifecycleReport(db, workspaceId);
    expect(report.stages).toEqual(
      expect.arrayContaining([
        { stage: 'Customer', contacts: 1 },
        { stage: 'MQL', contacts: 1 },
      ]),
    );
    expect(report.mqlToSql).toEqual({ mql: 2, sql: 1, rate: 50 });
    expect(report.medianHours).toEqual([
      { from: 'Lead', to: 'MQL', contacts: 2, hours: 36 },
      { from: 'MQL', to: 'SQL', contacts: 1, hours: 48 },
      { from: 'SQL', to: 'Customer', contacts: 1, hours: 28 },
    ]);
    const model = await db.selectFrom('scoring_models').select('id').where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
    const scores = await scoreReport(db, workspaceId, model.id);
    expect(scores.bands).toEqual([{ band: 'Cold', contacts: 2, converted: 1, rate: 50 }]);
    expect(scores.deciles.reduce((n, d) => n + d.contacts, 0)).toBe(2);
  });

  it('a draft without a definition is refused, naming it, and the published lifecycle stays', async () => {
    const { db, clock, workspaceId } = await setup();
    const error = await saveLifecycleDraft(db, workspaceId, {}, clock).catch((e) => e);
    expect((error as KizunaError).issues.map((i) => i.path)).toEqual(['definition']);
    const rules = await db
      .selectFrom('lifecycle_settings')
      .select('draft')
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    expect((rules.draft as { rules: unknown[] }).rules).toHaveLength(2);
  });

  it('rules only move forward: a Customer who matches the MQL rule stays a Customer', async () => {
    const { db, clock, workspaceId, send, stageOf } = await setup();
    const it = await createCompany(db, workspaceId, { name: 'フィン', domain: 'fin.example', industry: '金融', employeeCount: 800 }, clock);
    const [written] = await bulkUpsertContacts(
      db,
      workspaceId,
      [{ email: 'cfo@fin.example', roleLevel: 'executive', companyId: it.id, externalIds: { user_id: 'u3' } }],
      clock,
    );
    const id = (written as { id: string }).id;
    await unitOfWork(db, clock, (tx) => changeStage(tx, workspaceId, id, { stage: 'Customer' }, 'api', clock));
    await send('u3', { type: 'track', event: 'Demo Requested' });
    expect(await stageOf(id)).toBe('Customer');
  });
});

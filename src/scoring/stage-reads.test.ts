import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { bulkUpsertContacts } from '../contacts/contacts.ts';
import { createPartitionCache } from '../events/event-partitions.ts';
import { ingestEvents } from '../events/ingest-events.ts';
import { publishLifecycle, saveLifecycleDraft } from '../lifecycle/lifecycle.ts';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { matchesQuery } from '../segments/compile.ts';
import type { Condition } from '../segments/condition.ts';
import { FieldCatalog } from '../segments/fields.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { SEED_BANDS } from './model.ts';
import { createScoringModel, publishScoringModel } from './models.ts';
import { stageMoveMatters } from './stage-reads.ts';

const database = useTestDatabase();
const stage = (operator: string, value?: unknown): Condition =>
  ({ type: 'field', field: 'lifecycleStage', operator, ...(value === undefined ? {} : { value }) }) as Condition;
const email = { type: 'field', field: 'email', operator: 'is_set' } as Condition;

const STAGES = [null, '', 'Lead', 'MQL', 'Opportunity', 'opportunity', 'Customer', 'Recycled', '商談', 'Ärger'];
const CONDITIONS: Condition[] = [
  stage('eq', 'Opportunity'),
  stage('neq', 'opportunity'),
  stage('in', ['Customer', 'MQL']),
  stage('not_in', ['customer']),
  stage('contains', 'port'),
  stage('not_contains', 'e'),
  stage('starts_with', 'op'),
  stage('ends_with', 'QL'),
  stage('is_set'),
  stage('is_empty'),
  stage('eq', '商談'),
  stage('eq', 'ärger'),
  { type: 'and', conditions: [stage('eq', 'Customer'), email] },
  { type: 'or', conditions: [stage('in', ['Lead']), { type: 'not', condition: email }] },
  { type: 'not', condition: { type: 'and', conditions: [stage('neq', 'MQL'), email] } },
  { type: 'not', condition: { type: 'not', condition: stage('eq', 'Customer') } },
  { type: 'not', condition: { type: 'or', conditions: [{ type: 'not', condition: stage('starts_with', 'Cust') }, stage('is_empty')] } },
];

async function setup() {
  const clock = createVirtualClock(new Date('2026-05-01T00:00:00Z'));
  const { workspaceId } = await createTestWorkspace(database.current, clock);
  return { db: database.current.db, clock, workspaceId };
}

describe('whether a stage move can change conditions that read the stage', () => {
  it('is never wrong about what the compiled SQL says, on every pair of stages, and sees past moves that change nothing', async () => {
    const { db, clock, workspaceId } = await setup();
    const written = await bulkUpsertContacts(
      db,
      workspaceId,
      STAGES.map((_, i) => ({ email: `s${i}@example.jp` })),
      clock,
    );
    const ids = written.map((w) => ('id' in w ? w.id : ''));
    for (const [i, id] of ids.entries()) await sql`UPDATE contacts SET lifecycle_stage = ${STAGES[i]} WHERE id = ${id}`.execute(db);
    const catalog = new FieldCatalog([]);
    const { rows } = await matchesQuery(CONDITIONS, {
      workspaceId,
      now: clock.now(),
      timeZone: 'Asia/Tokyo',
      catalog,
      contactIds: ids,
    }).execute(db);
    const matched = new Map(rows.map((r) => [r.id, r.matches]));
    let seenPast = 0;
    for (const [c, condition] of CONDITIONS.entries()) {
      const matters = stageMoveMatters([condition], catalog)!;
      for (const [i, from] of STAGES.entries()) {
        for (const [j, to] of STAGES.entries()) {
          const differs = matched.get(ids[i]!)![c] !== matched.get(ids[j]!)![c];
          if (differs) expect(matters(from, to), `condition ${c} from ${from} to ${to}`).toBe(true);
          else if (!matters(from, to)) seenPast++;
        }
      }
    }
    expect(seenPast).toBeGreaterThan(CONDITIONS.length * 20);
    expect(stageMoveMatters([stage('eq', 'Opportunity')], catalog)!('Lead', 'MQL')).toBe(false);
    expect(stageMoveMatters([stage('eq', 'Opportunity')], catalog)!(null, 'Lead')).toBe(false);
    expect(stageMoveMatters([stage('eq', 'Opportunity')], catalog)!('MQL', 'Opportunity')).toBe(true);
    expect(stageMoveMatters([email], catalog)).toBeUndefined();
  });

  it('re-scores, in the same unit of work, a model whose rule reads the stage a lifecycle rule just moved the contact to', async () => {
    const { db, clock, workspaceId } = await setup();
    const model = await createScoringModel(
      db,
      workspaceId,
      {
        name: 'product',
        definition: {
          rules: [
            { id: 'customer', label: '顧客', kind: 'attribute', condition: stage('eq', 'Customer'), points: 50 },
            {
              id: 'not_lead',
              label: 'past Lead',
              kind: 'attribute',
              condition: { type: 'not', condition: stage('in', ['Lead']) },
              points: 5,
            },
          ],
          bands: SEED_BANDS,
        },
      },
      clock,
    );
    await publishScoringModel(db, workspaceId, model.id, clock);
    await saveLifecycleDraft(
      db,
      workspaceId,
      {
        definition: {
          rules: [
            { stage: 'Lead', condition: email },
            { stage: 'MQL', condition: { type: 'event', event: 'Demo Requested' } },
            { stage: 'Customer', condition: { type: 'event', event: 'Invoice Paid' } },
          ],
        },
      },
      clock,
    );
    await publishLifecycle(db, workspaceId, clock);
    const partitions = createPartitionCache();
    const send = (event: string) =>
      ingestEvents(
        db,
        { workspaceId, partitions, calls: [{ type: 'track', userId: 'u-1', event, timestamp: clock.now().toISOString(), traits: {} }] },
        clock,
      );
    const score = async () =>
      (await db.selectFrom('contact_scores').select('score').where('model_id', '=', model.id).executeTakeFirst())?.score;
    await ingestEvents(
      db,
      { workspaceId, partitions, calls: [{ type: 'identify', userId: 'u-1', traits: { email: 'u1@example.jp' } }] },
      clock,
    );
    // No stage, then Lead, in one unit of work: "not Lead" held, then stopped holding.
    expect(await score()).toBe(0);
    await send('Demo Requested'); // Lead → MQL: "not Lead" holds again
    expect(await score()).toBe(5);
    await send('Invoice Paid'); // MQL → Customer
    expect(await score()).toBe(55);
    const ledger = await db.selectFrom('score_ledger').select(['rule', 'delta']).where('model_id', '=', model.id).orderBy('id').execute();
    expect(ledger).toEqual([
      { rule: 'not_lead', delta: 5 },
      { rule: 'not_lead', delta: -5 },
      { rule: 'not_lead', delta: 5 },
      { rule: 'customer', delta: 50 },
    ]);
  });
});

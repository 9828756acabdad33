import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { apiCaller, createTestApp, createTestWorkspace } from '../server/test-app.ts';
import { gradeOf, SEED_BANDS } from './model.ts';

const database = useTestDatabase();

const field = (name: string, operator: string, value?: unknown) => ({
  type: 'field',
  field: name,
  operator,
  ...(value === undefined ? {} : { value }),
});
const attribute = (id: string, condition: unknown, points: number) => ({ id, label: id, kind: 'attribute', condition, points });
/** Fit from the role alone: director 80 (Very Hot), manager 55 (Hot), staff 30 (Warm), none 0 (Cold). */
const FIT = {
  rules: [
    attribute('director', field('roleLevel', 'gte', 'director'), 80),
    attribute('manager', field('roleLevel', 'eq', 'manager'), 55),
    attribute('staff', field('roleLevel', 'eq', 'staff'), 30),
  ],
  bands: SEED_BANDS,
};
/** Engagement: 30 points a demo request. */
const engagement = (grade?: { fitModelId: string }) => ({
  rules: [{ id: 'demo', label: 'Demo requested', kind: 'behavior', event: 'Demo Requested', points: 30 }],
  bands: SEED_BANDS,
  ...(grade ? { grade } : {}),
});

async function setup() {
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  const call = apiCaller(app, ws.adminKey);
  const model = async (name: string, definition: unknown) => {
    const created = await call('/api/scoring-models', { json: { name, definition } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await call(`/api/scoring-models/${created.body.id}/publish`, { method: 'POST' })).status).toBeLessThan(300);
    await app.drainJobs();
    return created.body.id as string;
  };
  return { app, ws, call, model };
}

describe('fit × engagement grade (A1 … D4)', () => {
  it('grades each contact by its fit band (letter) and engagement band (number), explains it, and reports conversion per grade', async () => {
    const { app, ws, call, model } = await setup();
    const fit = await model('Fit', FIT);
    const engaged = await model('Engagement', engagement({ fitModelId: fit }));
    const people = [
      { email: 'a@example.jp', roleLevel: 'director', demos: 3, lifecycleStage: 'Customer' }, // 80 A, 90 → 1
      { email: 'b@example.jp', roleLevel: 'manager', demos: 1 }, // 55 B, 30 → 3
      { email: 'c@example.jp', roleLevel: 'staff', demos: 0 }, // 30 C, 0 → 4
      { email: 'd@example.jp', demos: 2 }, // 0 D, 60 → 2
    ];
    const ids: Record<string, string> = {};
    for (const { demos, ...person } of people) {
      const created = await call('/api/contacts', { json: person });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      ids[person.email] = created.body.id;
      const identified = await app.request('/v1/identify', {
        key: ws.writeKey,
        json: { userId: person.email, traits: { email: person.email } },
      });
      expect(identified.status).toBe(200);
      for (let i = 0; i < demos; i++) {
        const sent = await app.request('/v1/track', { key: ws.writeKey, json: { userId: person.email, event: 'Demo Requested' } });
        expect(sent.status).toBe(200);
      }
    }
    const gradeOfContact = async (email: string) => {
      const scores = (await call(`/api/contacts/${ids[email]}/scores`)).body.models as { modelId: string; grade?: string | null }[];
      expect(scores.find((m) => m.modelId === fit)).not.toHaveProperty('grade');
      return scores.find((m) => m.modelId === engaged)?.grade;
    };
    expect(await gradeOfContact('a@example.jp')).toBe('A1');
    expect(await gradeOfContact('b@example.jp')).toBe('B3');
    expect(await gradeOfContact('c@example.jp')).toBe('C4');
    expect(await gradeOfContact('d@example.jp')).toBe('D2');

    const report = (await call(`/api/reports/scores/${engaged}`)).body;
    expect(report.grades.fitModelId).toBe(fit);
    expect(report.grades.ungraded).toBe(0);
    expect(report.grades.cells).toHaveLength(16);
    expect(report.grades.cells.map((c: { grade: string }) => c.grade).slice(0, 5)).toEqual(['A1', 'A2', 'A3', 'A4', 'B1']);
    const filled = report.grades.cells.filter((c: { contacts: number }) => c.contacts > 0);
    expect(filled).toEqual([
      { grade: 'A1', contacts: 1, converted: 1, rate: 100 },
      { grade: 'B3', contacts: 1, converted: 0, rate: 0 },
      { grade: 'C4', contacts: 1, converted: 0, rate: 0 },
      { grade: 'D2', contacts: 1, converted: 0, rate: 0 },
    ]);
    // A model without a grade reports none.
    expect((await call(`/api/reports/scores/${fit}`)).body).not.toHaveProperty('grades');
  });

  it('a grade must name another published model of the workspace; nothing is saved otherwise', async () => {
    const { call, model } = await setup();
    const unknown = '00000000-0000-4000-8000-000000000042';
    const bad = await call('/api/scoring-models', { json: { name: 'Engagement', definition: engagement({ fitModelId: unknown }) } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { path: 'definition.grade.fitModelId', message: `no published scoring model ${unknown} in this workspace` },
    ]);
    const engaged = await model('Engagement', engagement());
    const self = await call(`/api/scoring-models/${engaged}`, {
      method: 'PATCH',
      json: { definition: engagement({ fitModelId: engaged }) },
    });
    expect(self.status).toBe(400);
    expect(self.body.errors.map((e: { path: string }) => e.path)).toEqual(['definition.grade.fitModelId']);
    expect((await call(`/api/scoring-models/${engaged}`)).body.draft).not.toHaveProperty('grade');
    expect((await call('/api/scoring-models')).body.items).toHaveLength(1);
  });

  it('letters and numbers count from the highest band; bands past the fourth share D and 4', () => {
    const four = ['Cold', 'Warm', 'Hot', 'Very Hot'];
    const six = ['F', 'E', 'D', 'C', 'B', 'A'];
    expect(gradeOf(four, 'Very Hot', four, 'Cold')).toBe('A4');
    expect(gradeOf(six, 'E', six, 'A')).toBe('D1');
    expect(gradeOf(six, 'F', six, 'E')).toBe('D4');
    expect(gradeOf(six, 'A', six, 'C')).toBe('A3');
    expect(gradeOf(['Low', 'High'], 'Low', four, 'Hot')).toBe('B2');
    expect(gradeOf(four, null, four, 'Hot')).toBeNull();
    expect(gradeOf(four, 'Hot', four, 'gone')).toBeNull();
  });
});

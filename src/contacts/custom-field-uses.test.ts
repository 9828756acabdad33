import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { apiCaller, createTestApp, createTestWorkspace } from '../server/test-app.ts';

const database = useTestDatabase();

const onPlan = { type: 'field', field: 'custom.plan', operator: 'eq', value: 'enterprise' };
const onTier = { type: 'field', field: 'company.custom.tier', operator: 'eq', value: 'A' };
const bands = [
  { name: 'Cold', min: 0 },
  { name: 'Hot', min: 50 },
];
const model = (condition: unknown) => ({
  bands,
  rules: [
    { id: 'fit', label: 'Fit', kind: 'attribute', condition, points: 20 },
    { id: 'pricing', label: 'Pricing', kind: 'behavior', event: 'Pricing Viewed', points: 5 },
  ],
});
const pricingOnly = { bands, rules: [{ id: 'pricing', label: 'Pricing', kind: 'behavior', event: 'Pricing Viewed', points: 5 }] };

async function setup() {
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  const call = apiCaller(app, ws.adminKey);
  const ok = async (path: string, init: { method?: string; json?: unknown } = {}) => {
    const res = await call(path, init);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body;
  };
  const track = () =>
    app.request('/v1/track', {
      method: 'POST',
      headers: { authorization: `Bearer ${ws.writeKey}` },
      body: JSON.stringify({ userId: 'u1', event: 'Pricing Viewed', traits: { email: 'u1@example.com' } }),
    });
  return { call, ok, track };
}

describe('deleting a custom field that something reads', () => {
  it('is refused while a scoring model, a stage rule or a form reads it, naming each; ingest keeps working', async () => {
    const { call, ok, track } = await setup();
    await ok('/api/custom-fields', { json: { key: 'plan', label: 'Plan', type: 'text' } });
    await ok('/api/custom-fields', { json: { entity: 'company', key: 'tier', label: 'Tier', type: 'text' } });
    const fit = await ok('/api/scoring-models', { json: { name: 'fit', definition: model(onPlan) } });
    await ok(`/api/scoring-models/${fit.id}/publish`, { method: 'POST' });
    await ok('/api/lifecycle', {
      method: 'PUT',
      json: { definition: { rules: [{ stage: 'MQL', condition: { type: 'and', conditions: [onPlan, onTier] } }] } },
    });
    const form = await ok('/api/forms', {
      json: {
        name: 'Demo request',
        fields: [
          { key: 'email', label: 'Email', type: 'email', required: true },
          { key: 'custom.plan', label: 'Plan' },
        ],
      },
    });

    const refused = await call('/api/custom-fields/contact/plan', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toBe(
      'custom field custom.plan is used by scoring model "fit", the lifecycle rule for MQL, form "Demo request"; change those first',
    );
    const company = await call('/api/custom-fields/company/tier', { method: 'DELETE' });
    expect(company.status).toBe(409);
    expect(company.body.detail).toBe('custom field company.custom.tier is used by the lifecycle rule for MQL; change those first');
    // The field is still declared, so the published model still compiles on the ingest path.
    expect((await track()).status).toBe(200);
    expect((await ok('/api/custom-fields')).items.map((f: { key: string }) => f.key).sort()).toEqual(['plan', 'tier']);

    // A draft counts too: it will be published. Its published version reads the field as well until republished.
    await ok(`/api/scoring-models/${fit.id}`, { method: 'PATCH', json: { definition: pricingOnly } });
    expect((await call('/api/custom-fields/contact/plan', { method: 'DELETE' })).body.detail).toContain('scoring model "fit"');
    await ok(`/api/scoring-models/${fit.id}/publish`, { method: 'POST' });
    await ok('/api/lifecycle', { method: 'PUT', json: { definition: { rules: [{ stage: 'MQL', condition: onTier }] } } });
    // The lifecycle's published version does not read fields (none was published); its draft now reads only the company tier.
    expect((await call('/api/custom-fields/contact/plan', { method: 'DELETE' })).body.detail).toBe(
      'custom field custom.plan is used by form "Demo request"; change those first',
    );
    await ok(`/api/forms/${form.id}`, { method: 'DELETE' });
    expect((await call('/api/custom-fields/contact/plan', { method: 'DELETE' })).status).toBe(204);
    expect((await track()).status).toBe(200);
    expect((await call('/api/custom-fields/company/tier', { method: 'DELETE' })).status).toBe(409);
  });
});

import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';

const database = useTestDatabase();

async function setup() {
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  const call = async (path: string, init: { method?: string; json?: unknown } = {}) => {
    const res = await app.request(path, { key: ws.adminKey, ...init });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  return { app, ws, call };
}

describe('companies API', () => {
  it('creates, reads, patches and deletes a company; its contacts stay, unlinked', async () => {
    const { call } = await setup();
    const { status, body: company } = await call('/api/companies', {
      json: { name: 'サンプル㈱', domain: 'Sample.co.jp', employeeCount: 250, industry: 'SaaS' },
    });
    expect(status).toBe(201);
    expect(company).toMatchObject({ name: 'サンプル株式会社', domain: 'sample.co.jp', employeeCount: 250 });
    const { body: contact } = await call('/api/contacts', { json: { email: 'ken@sample.co.jp' } });
    expect(contact.companyId).toBe(company.id);
    const { body: patched } = await call(`/api/companies/${company.id}`, {
      method: 'PATCH',
      json: { revenueBand: '1B-10B JPY', industry: null },
    });
    expect(patched).toMatchObject({ revenueBand: '1B-10B JPY', industry: null, name: 'サンプル株式会社' });
    expect((await call(`/api/companies/${company.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/api/contacts/${contact.id}`)).body.companyId).toBeNull();
  });

  it('refuses a second company with the same domain', async () => {
    const { call } = await setup();
    await call('/api/companies', { json: { name: 'One', domain: 'one.example' } });
    const { status, body } = await call('/api/companies', { json: { name: 'Another', domain: 'https://www.one.example/' } });
    expect(status).toBe(409);
    expect(body.errors[0].path).toBe('domain');
  });

  it('bulk upsert matches by domain, then by the normalised name across legal forms', async () => {
    const { call } = await setup();
    const { body } = await call('/api/companies/bulk', {
      json: {
        companies: [
          { name: '株式会社テスト', industry: '製造' },
          { name: '(株)テスト', employeeCount: 120 },
          { name: 'Acme Inc.', domain: 'acme.example' },
          { name: 'ACME Corporation', domain: 'acme.example', country: 'us' },
          { name: 'ACME Corporation', domain: 'acme.example', country: 'US' },
          { name: '   ' },
        ],
      },
    });
    expect(body.results.map((r: { status: string }) => r.status)).toEqual([
      'created',
      'updated',
      'created',
      'updated',
      'unchanged',
      'rejected',
    ]);
    expect(body.results[1].id).toBe(body.results[0].id);
    const { body: list } = await call('/api/companies?sort=name');
    expect(list.items.map((c: { name: string; employeeCount: number | null }) => [c.name, c.employeeCount])).toEqual([
      ['ACME Corporation', null],
      ['株式会社テスト', 120],
    ]);
  });

  it('searches and pages', async () => {
    const { app, call } = await setup();
    for (const name of ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon']) {
      app.clock.advance(1000);
      await call('/api/companies', { json: { name, domain: `${name.toLowerCase()}.example` } });
    }
    expect((await call('/api/companies?q=amm')).body.items.map((c: { name: string }) => c.name)).toEqual(['Gamma']);
    expect((await call('/api/companies?domain=www.beta.example')).body.items.map((c: { name: string }) => c.name)).toEqual(['Beta']);
    const first = (await call('/api/companies?limit=2&sort=name')).body;
    const second = (await call(`/api/companies?limit=2&sort=name&cursor=${first.nextCursor}`)).body;
    const third = (await call(`/api/companies?limit=2&sort=name&cursor=${second.nextCursor}`)).body;
    expect([...first.items, ...second.items, ...third.items].map((c: { name: string }) => c.name)).toEqual([
      'Alpha',
      'Beta',
      'Delta',
      'Epsilon',
      'Gamma',
    ]);
    expect(third.nextCursor).toBeNull();
  });
});

describe('OpenAPI', () => {
  it('documents every route with its schemas, security and problem responses', async () => {
    const { app } = await setup();
    const res = await app.request('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Contact', 'ContactInput', 'Company', 'Problem', 'Import']),
    );
    const post = doc.paths['/api/contacts'].post;
    expect(post.responses['400'].content['application/problem+json']).toBeDefined();
    expect(post.security).toEqual([{ bearerAuth: [] }]);
    const css = await app.request('/api/docs/assets/swagger-ui.css');
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await css.text()).length).toBeGreaterThan(1000);
    expect((await app.request('/api/docs/assets/..%2fpackage.json')).status).toBe(404);
  });
});

import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';

const database = useTestDatabase();

async function setup() {
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  const post = async (path: string, json: unknown) => {
    const res = await app.request(path, { key: ws.adminKey, json });
    return { status: res.status, body: await res.json() };
  };
  return { app, ws, post };
}

describe('contacts API', () => {
  it('creates a contact with cleansed values and reads it back', async () => {
    const { app, ws, post } = await setup();
    const { status, body: contact } = await post('/api/contacts', {
      email: ' Taro.Yamada@Example.CO.JP ',
      lastName: '山田',
      firstName: '太郎',
      phone: '03-1234-5678',
      jobTitle: '営業部長',
      companyName: '(株)サンプル',
    });
    expect(status).toBe(201);
    expect(contact).toMatchObject({
      email: 'taro.yamada@example.co.jp',
      fullName: '山田 太郎',
      nameOrder: 'family_first',
      phone: '+81312345678',
      roleLevel: 'director',
      companyName: '株式会社サンプル',
    });
    const again = await app.request(`/api/contacts/${contact.id}`, { key: ws.readKey });
    expect(await again.json()).toEqual(contact);
    const company = await (await app.request(`/api/companies/${contact.companyId}`, { key: ws.readKey })).json();
    expect(company).toMatchObject({ name: '株式会社サンプル', domain: 'example.co.jp' });
  });

  it('links a contact to the company that owns its email domain, never to a free-mail domain', async () => {
    const { post } = await setup();
    const { body: company } = await post('/api/companies', { name: 'Acme Co., Ltd.', domain: 'https://www.acme.example/about' });
    expect(company.domain).toBe('acme.example');
    const { body: worker } = await post('/api/contacts', { email: 'jane@acme.example' });
    expect(worker.companyId).toBe(company.id);
    const { body: gmail } = await post('/api/contacts', { email: 'someone@gmail.com' });
    expect(gmail.companyId).toBeNull();
  });

  it('rejects a second contact with the same email (in any case) as a conflict', async () => {
    const { post } = await setup();
    const { body: first } = await post('/api/contacts', { email: 'dup@example.com' });
    const { status, body } = await post('/api/contacts', { email: 'DUP@example.com' });
    expect(status).toBe(409);
    expect(body.errors[0]).toEqual({ path: 'email', message: `already belongs to contact ${first.id}` });
  });

  it('PATCH writes given fields only, null clears, tags are replaced, custom merges per key', async () => {
    const { app, ws, post } = await setup();
    await post('/api/custom-fields', { key: 'budget', label: '予算', type: 'number' });
    await post('/api/custom-fields', { key: 'plan', label: 'Plan', type: 'enum', options: ['free', 'pro'] });
    const { body: contact } = await post('/api/contacts', {
      email: 'p@example.com',
      firstName: 'Pat',
      jobTitle: 'Engineer',
      tags: ['a', 'b'],
      custom: { budget: 100, plan: 'free' },
    });
    app.clock.advance(60_000);
    const res = await app.request(`/api/contacts/${contact.id}`, {
      method: 'PATCH',
      key: ws.adminKey,
      json: { jobTitle: null, tags: ['c'], custom: { plan: 'pro' }, lastName: 'Lee' },
    });
    expect(res.status).toBe(200);
    const updated = await res.json();
    expect(updated).toMatchObject({ firstName: 'Pat', lastName: 'Lee', jobTitle: null, tags: ['c'], custom: { budget: 100, plan: 'pro' } });
    expect(updated.updatedAt).toBe('2026-04-01T00:01:00.000Z');
    expect(updated.createdAt).toBe(contact.createdAt);
  });

  it('bulk upsert matches by email, then by external id, and reports each row', async () => {
    const { post } = await setup();
    const { body: existing } = await post('/api/contacts', { email: 'known@example.com', firstName: 'Known' });
    const { body: byId } = await post('/api/contacts', { externalIds: { crm: 'C-1' }, firstName: 'No email yet' });
    const { status, body } = await post('/api/contacts/bulk', {
      contacts: [
        { email: 'Known@Example.com', jobTitle: 'CTO' },
        { externalIds: { crm: 'C-1' }, email: 'found-by-id@example.com' },
        { email: 'new@example.com', tags: ['x'] },
        { email: 'known@example.com', jobTitle: 'CTO' },
      ],
    });
    expect(status).toBe(200);
    expect(body.results.map((r: { status: string; id: string }) => [r.status, r.id])).toEqual([
      ['updated', existing.id],
      ['updated', byId.id],
      ['created', expect.any(String)],
      ['merged', existing.id],
    ]);
  });

  it('searches, filters, sorts and pages with a stable cursor', async () => {
    const { app, ws, post } = await setup();
    const names = ['佐藤', '鈴木', '高橋', '田中', '伊藤', 'Smith', 'Jones'];
    for (const [i, lastName] of names.entries()) {
      app.clock.advance(1000);
      await post('/api/contacts', {
        email: `c${i}@example.com`,
        lastName,
        tags: i % 2 ? ['odd'] : ['even'],
        lifecycleStage: i < 3 ? 'lead' : 'mql',
      });
    }
    const get = async (query: string) => (await app.request(`/api/contacts?${query}`, { key: ws.readKey })).json();
    expect((await get('q=鈴木')).items.map((c: { lastName: string }) => c.lastName)).toEqual(['鈴木']);
    expect((await get('q=C3@EXAMPLE')).items).toHaveLength(1);
    expect((await get('tag=odd')).items).toHaveLength(3);
    expect((await get('lifecycleStage=mql&tag=even')).items).toHaveLength(2);
    expect((await get('email=C4@Example.com')).items[0].lastName).toBe('伊藤');

    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const result = await get(`limit=3&sort=lastName${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...result.items.map((c: { lastName: string }) => c.lastName));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(seen).toEqual([...names].sort((a, b) => (a < b ? -1 : 1)));
    const newest = await get('limit=2');
    expect(newest.items.map((c: { lastName: string }) => c.lastName)).toEqual(['Jones', 'Smith']);
  });

  it('deletes a contact; a second delete is a 404', async () => {
    const { app, ws, post } = await setup();
    const { body: contact } = await post('/api/contacts', { email: 'gone@example.com' });
    expect((await app.request(`/api/contacts/${contact.id}`, { method: 'DELETE', key: ws.adminKey })).status).toBe(204);
    expect((await app.request(`/api/contacts/${contact.id}`, { method: 'DELETE', key: ws.adminKey })).status).toBe(404);
    expect((await app.request(`/api/contacts/${contact.id}`, { key: ws.adminKey })).status).toBe(404);
  });
});

describe('identity conflicts in bulk upserts', () => {
  it('treats rows linked through a shared id as one person, whatever order they come in', async () => {
    const { post } = await setup();
    const { body } = await post('/api/contacts/bulk', {
      contacts: [
        { email: 'a@example.com', externalIds: { crm: '1' } },
        { email: 'b@example.com', externalIds: { crm: '1' } },
        { email: 'b@example.com', jobTitle: 'CTO' },
      ],
    });
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'merged', 'merged']);
    const { body: list } = await post('/api/contacts/bulk', { contacts: [{ externalIds: { crm: '1' } }] });
    expect(list.results[0].status).toBe('unchanged');
  });

  it('refuses rows whose email and id belong to two stored contacts instead of moving the id', async () => {
    const { app, ws, post } = await setup();
    const { body: x } = await post('/api/contacts', { email: 'x@example.com', externalIds: { crm: '9' } });
    const { body: z } = await post('/api/contacts', { email: 'z@example.com' });
    const { status, body } = await post('/api/contacts/bulk', {
      contacts: [{ email: 'z@example.com', externalIds: { crm: '9' } }, { email: 'ok@example.com' }],
    });
    expect(status).toBe(200);
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(['rejected', 'created']);
    expect(body.results[0].errors[0].path).toBe('contacts.0.email');
    expect(body.results[0].errors[0].message).toContain([x.id, z.id].sort().join(', '));
    const stillX = await (await app.request(`/api/contacts/${x.id}`, { key: ws.readKey })).json();
    expect(stillX.externalIds).toEqual({ crm: '9' });
  });
});

describe('bulk upsert with company ids', () => {
  it('rejects only the row whose companyId is not in the workspace', async () => {
    const { post } = await setup();
    const { body: company } = await post('/api/companies', { name: 'Real Co', domain: 'real.example' });
    const { body } = await post('/api/contacts/bulk', {
      contacts: [
        { email: 'one@elsewhere.example', companyId: company.id },
        { email: 'two@elsewhere.example', companyId: '00000000-0000-4000-8000-000000000000' },
      ],
    });
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'rejected']);
    expect(body.results[1].errors[0].path).toBe('contacts.1.companyId');
  });
});

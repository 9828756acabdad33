import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { countWorkspaceRows, useTestDatabase } from '../platform/db/test-database.ts';
import { apiCaller, createTestApp, createTestWorkspace } from '../server/test-app.ts';

const database = useTestDatabase();

const MQL = { schemaVersion: 1, condition: { type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'MQL' } };
const inList = (listId: string) => ({ schemaVersion: 1, condition: { type: 'list', listId } });
const inSegment = (segmentId: string) => ({ schemaVersion: 1, condition: { type: 'segment', segmentId } });

async function setup() {
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  const call = apiCaller(app, ws.adminKey);
  const contact = async (email: string, lifecycleStage?: string) => {
    const { status, body } = await call('/api/contacts', { json: { email, lifecycleStage } });
    expect(status, JSON.stringify(body)).toBe(201);
    return body as { id: string; email: string };
  };
  /** Creates, publishes and builds a segment. */
  const published = async (name: string, definition: unknown) => {
    const created = await call('/api/segments', { json: { name, definition } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await call(`/api/segments/${created.body.id}/publish`, { method: 'POST' })).status).toBe(202);
    await app.drainJobs();
    return (await call(`/api/segments/${created.body.id}`)).body;
  };
  const list = async (name: string) => (await call('/api/lists', { json: { name } })).body as { id: string };
  const memberEmails = async (segmentId: string) =>
    (await call(`/api/segments/${segmentId}/members?limit=500`)).body.items
      .map((m: { contact: { email: string } }) => m.contact.email)
      .sort();
  return { app, ws, call, contact, published, list, memberEmails };
}

describe('segments API', () => {
  it('publishing builds the members in the background; the build shows matched and entered counts', async () => {
    const { call, contact, published, memberEmails } = await setup();
    await contact('mql-1@example.com', 'MQL');
    await contact('mql-2@example.com', 'MQL');
    await contact('lead@example.com', 'Lead');
    const created = await call('/api/segments', { json: { name: 'MQLs', definition: MQL } });
    expect(created.body).toMatchObject({ publishedVersion: null, members: 0, unpublishedChanges: true });

    const publish = await call(`/api/segments/${created.body.id}/publish`, { method: 'POST' });
    expect(publish.status).toBe(202);
    expect(publish.body).toMatchObject({ publishedVersion: 1, build: { state: 'queued' } });

    const segment = await published('MQLs again', MQL);
    expect(segment).toMatchObject({ members: 2, unpublishedChanges: false, build: { state: 'idle', matched: 2, entered: 2, exited: 0 } });
    expect(await memberEmails(segment.id)).toEqual(['mql-1@example.com', 'mql-2@example.com']);

    // A contact created later joins at once: contact writes keep memberships in their unit of work.
    await contact('mql-3@example.com', 'MQL');
    expect(await memberEmails(segment.id)).toHaveLength(3);
    const page = await call(`/api/segments/${segment.id}/members?limit=2`);
    expect(page.body.items).toHaveLength(2);
    const next = await call(`/api/segments/${segment.id}/members?limit=2&cursor=${page.body.nextCursor}`);
    expect(next.body).toMatchObject({ nextCursor: null });
    expect(next.body.items).toHaveLength(1);
  });

  it('lists, archives and rebuilds segments', async () => {
    const { call, published } = await setup();
    const segment = await published('MQLs', MQL);
    expect((await call('/api/segments')).body.items.map((s: { id: string }) => s.id)).toEqual([segment.id]);
    expect((await call(`/api/segments/${segment.id}/rebuild`, { method: 'POST' })).body.build.state).toBe('queued');
    expect((await call(`/api/segments/${segment.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call('/api/segments')).body.items).toEqual([]);
    expect((await call('/api/segments?archived=true')).body.items).toMatchObject([{ id: segment.id, archived: true, members: 0 }]);
  });

  it('previews a definition: the count and at most 20 contacts, saving nothing', async () => {
    const { ws, call, contact } = await setup();
    for (let i = 0; i < 23; i++) await contact(`p${i}@example.com`, 'MQL');
    await contact('other@example.com', 'Lead');
    const { status, body } = await call('/api/segments/preview', { json: { definition: MQL } });
    expect(status).toBe(200);
    expect(body.count).toBe(23);
    expect(body.sample).toHaveLength(20);
    expect(body.sample.every((c: { lifecycleStage: string }) => c.lifecycleStage === 'MQL')).toBe(true);
    expect(await countWorkspaceRows(database.current, ws.workspaceId, ['segments'])).toEqual({ segments: 0 });
  });

  it('lists the fields a condition may name, custom fields included', async () => {
    const { call } = await setup();
    await call('/api/custom-fields', { json: { key: 'budget', label: 'Budget', type: 'number' } });
    const { status, body } = await call('/api/segments/fields');
    expect(status).toBe(200);
    expect(body.fields).toEqual(expect.arrayContaining(['email', 'lifecycleStage', 'company.employeeCount', 'custom.budget']));
  });

  it.each([
    ['an unknown field', { type: 'field', field: 'shoeSize', operator: 'eq', value: 'x' }, 'definition.condition.field'],
    ['a value of the wrong type', { type: 'field', field: 'lifecycleStage', operator: 'eq', value: 5 }, 'definition.condition.value'],
    [
      'an operator not valid for the type',
      { type: 'field', field: 'lifecycleStage', operator: 'gt', value: 'x' },
      'definition.condition.operator',
    ],
    [
      'a list that does not exist',
      { type: 'and', conditions: [{ type: 'list', listId: '00000000-0000-4000-8000-000000000000' }] },
      'definition.condition.conditions.0.listId',
    ],
  ])('rejects %s naming its path, and saves nothing', async (_name, condition, path) => {
    const { ws, call } = await setup();
    const segment = (await call('/api/segments', { json: { name: 'Valid', definition: MQL } })).body;
    const definition = { schemaVersion: 1, condition };

    const validate = await call('/api/segments/validate', { json: { definition } });
    expect(validate.status).toBe(400);
    expect(validate.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
    expect((await call('/api/segments', { json: { name: 'Broken', definition } })).body.errors[0].path).toBe(path);
    expect((await call(`/api/segments/${segment.id}`, { method: 'PATCH', json: { definition } })).body.errors[0].path).toBe(path);
    expect((await call('/api/segments/preview', { json: { definition } })).status).toBe(400);

    expect(await countWorkspaceRows(database.current, ws.workspaceId, ['segments'])).toEqual({ segments: 1 });
    expect((await call(`/api/segments/${segment.id}`)).body.draft).toEqual(MQL);
    expect((await call('/api/segments/validate', { json: { definition: MQL } })).body).toEqual({ valid: true });
  });

  it('refuses a cycle between two segments, in PATCH and validate, and keeps the draft', async () => {
    const { ws, call } = await setup();
    const b = (await call('/api/segments', { json: { name: 'B', definition: MQL } })).body;
    const a = (await call('/api/segments', { json: { name: 'A', definition: inSegment(b.id) } })).body;
    expect(a.draft.condition.segmentId).toBe(b.id);

    const patch = await call(`/api/segments/${b.id}`, { method: 'PATCH', json: { definition: inSegment(a.id) } });
    expect(patch.status).toBe(400);
    expect(patch.body.errors).toEqual([{ path: 'definition.condition.segmentId', message: expect.stringContaining('cycle') }]);
    const validate = await call('/api/segments/validate', { json: { definition: inSegment(a.id), segmentId: b.id } });
    expect(validate.status).toBe(400);
    expect(validate.body.errors[0].path).toBe('definition.condition.segmentId');
    expect((await call(`/api/segments/${b.id}`)).body.draft).toEqual(MQL);
    expect(await countWorkspaceRows(database.current, ws.workspaceId, ['segments'])).toEqual({ segments: 2 });
    // Archiving B while A uses it would leave A dangling.
    expect((await call(`/api/segments/${b.id}`, { method: 'DELETE' })).status).toBe(409);
  });

  it('downloads the members as CSV', async () => {
    const { app, ws, contact, published } = await setup();
    await contact('csv-1@example.com', 'MQL');
    await contact('csv-2@example.com', 'MQL');
    await contact('not-me@example.com', 'Lead');
    const segment = await published('MQLs', MQL);
    const res = await app.request(`/api/segments/${segment.id}/members.csv`, { key: ws.readKey });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.csv"$/);
    const rows = parse(await res.text(), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.email).sort()).toEqual(['csv-1@example.com', 'csv-2@example.com']);
    expect(rows[0]).toMatchObject({ lifecycle_stage: 'MQL' });
    const missing = await app.request('/api/segments/00000000-0000-4000-8000-000000000000/members.csv', { key: ws.readKey });
    expect(missing.status).toBe(404);
  });

  it('shows a contact’s segments and lists', async () => {
    const { call, contact, published, list } = await setup();
    const person = await contact('member@example.com', 'MQL');
    const segment = await published('MQLs', MQL);
    const vip = await list('VIP');
    await call(`/api/lists/${vip.id}/members`, { json: { contactIds: [person.id] } });
    const { status, body } = await call(`/api/contacts/${person.id}/memberships`);
    expect(status).toBe(200);
    expect(body.segments).toMatchObject([{ segmentId: segment.id, name: 'MQLs' }]);
    expect(body.lists).toMatchObject([{ listId: vip.id, name: 'VIP' }]);
    expect(body.history).toMatchObject([{ segmentId: segment.id, version: 1, exitedAt: null }]);
  });

  it('lets a read key read segments but not change them', async () => {
    const { ws, call } = await setup();
    const segment = (await call('/api/segments', { json: { name: 'MQLs', definition: MQL } })).body;
    expect((await call(`/api/segments/${segment.id}`, { key: ws.readKey })).status).toBe(200);
    expect((await call(`/api/segments/${segment.id}/publish`, { method: 'POST', key: ws.readKey })).status).toBe(403);
  });
});

describe('segments and the data they read', () => {
  it('a deleted contact exits its segments with a signal; a deleted company drops its contacts from company segments', async () => {
    const { ws, call, contact, published, memberEmails } = await setup();
    const { db } = database.current;
    const company = (await call('/api/companies', { json: { name: 'Acme', domain: 'acme.example', employeeCount: 500 } })).body;
    const a = await contact('a@acme.example', 'MQL');
    const b = await contact('b@example.com', 'MQL');
    expect((await call(`/api/contacts/${a.id}`, { method: 'PATCH', json: { companyId: company.id } })).status).toBe(200);
    const big = await published('big companies', {
      condition: { type: 'field', field: 'company.employeeCount', operator: 'gte', value: 100 },
    });
    const mql = await published('MQLs', MQL);
    expect(await memberEmails(big.id)).toEqual(['a@acme.example']);

    expect((await call(`/api/contacts/${b.id}`, { method: 'DELETE' })).status).toBe(204);
    const signals = await db.selectFrom('signals').select(['kind', 'contact_id', 'data']).where('subject_id', '=', mql.id).execute();
    expect(signals).toEqual([{ kind: 'segment.exited', contact_id: b.id, data: { version: 1, cause: 'deleted' } }]);

    expect((await call(`/api/companies/${company.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await memberEmails(big.id)).toEqual([]);
    expect(await memberEmails(mql.id)).toEqual(['a@acme.example']);
    void ws;
  });

  it('a custom field a segment reads cannot be deleted', async () => {
    const { call, published } = await setup();
    expect((await call('/api/custom-fields', { json: { key: 'plan', label: 'Plan', type: 'text' } })).status).toBe(201);
    await published('pro', { condition: { type: 'field', field: 'custom.plan', operator: 'eq', value: 'pro' } });
    const refused = await call('/api/custom-fields/contact/plan', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('used by segment');
  });
});

describe('lists API', () => {
  it('adds by email and id, refuses unknown contacts whole, removes, and pages members', async () => {
    const { ws, call, contact, list } = await setup();
    const one = await contact('one@example.com');
    const two = await contact('two@example.com');
    const vip = await list('VIP');

    const unknown = await call(`/api/lists/${vip.id}/members`, { json: { emails: ['one@example.com', 'ghost@example.com'] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ path: 'emails.1', message: expect.stringContaining('ghost@example.com') }]);
    expect(await countWorkspaceRows(database.current, ws.workspaceId, ['list_members'])).toEqual({ list_members: 0 });

    const added = await call(`/api/lists/${vip.id}/members`, { json: { emails: ['ONE@example.com'], contactIds: [two.id] } });
    expect(added).toEqual({ status: 200, body: { changed: 2, unchanged: 0, skipped: [] } });
    expect((await call(`/api/lists/${vip.id}/members`, { json: { contactIds: [one.id] } })).body).toMatchObject({
      changed: 0,
      unchanged: 1,
    });
    expect((await call(`/api/lists/${vip.id}`)).body).toMatchObject({ name: 'VIP', members: 2 });

    const page = await call(`/api/lists/${vip.id}/members?limit=1`);
    expect(page.body.items).toHaveLength(1);
    const rest = await call(`/api/lists/${vip.id}/members?limit=1&cursor=${page.body.nextCursor}`);
    expect([page.body.items[0].contact.id, rest.body.items[0].contact.id].sort()).toEqual([one.id, two.id].sort());

    const removed = await call(`/api/lists/${vip.id}/members/remove`, { json: { emails: ['one@example.com'] } });
    expect(removed.body).toMatchObject({ changed: 1, unchanged: 0 });
    expect((await call(`/api/lists/${vip.id}`)).body.members).toBe(1);

    const renamed = await call(`/api/lists/${vip.id}`, { method: 'PATCH', json: { name: 'VIPs' } });
    expect(renamed.body).toMatchObject({ name: 'VIPs', members: 1 });
    expect((await call('/api/lists')).body.items).toMatchObject([{ id: vip.id, name: 'VIPs' }]);
    expect((await call(`/api/lists/${vip.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/api/lists/${vip.id}`)).status).toBe(404);
  });

  it('adds and removes from a CSV upload, reporting lines that name no contact', async () => {
    const { app, ws, call, contact, list } = await setup();
    await contact('a@example.com');
    await contact('b@example.com');
    const vip = await list('VIP');
    const upload = (action: string, body: string, type = 'text/csv') =>
      app.request(`/api/lists/${vip.id}/members.csv?action=${action}`, { key: ws.adminKey, body, headers: { 'content-type': type } });

    const res = await upload('add', 'email\na@example.com\nnobody@example.com\nB@example.com\n');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      changed: 2,
      unchanged: 0,
      skipped: [{ line: 3, value: 'nobody@example.com', message: expect.any(String) }],
    });
    expect((await call(`/api/lists/${vip.id}`)).body.members).toBe(2);

    expect(await (await upload('remove', 'email\nb@example.com\n')).json()).toMatchObject({ changed: 1, skipped: [] });
    expect((await call(`/api/lists/${vip.id}`)).body.members).toBe(1);

    expect((await upload('add', '{"email":"a@example.com"}', 'application/json')).status).toBe(415);
    expect((await upload('add', 'name\nx\n')).status).toBe(400);
    expect((await upload('sideways', 'email\na@example.com\n')).status).toBe(400);
  });

  it('a segment on a list gains and loses the contact as soon as the list changes', async () => {
    const { call, contact, published, list, memberEmails } = await setup();
    const person = await contact('listed@example.com');
    const vip = await list('VIP');
    const segment = await published('On VIP', inList(vip.id));
    expect(segment.members).toBe(0);

    await call(`/api/lists/${vip.id}/members`, { json: { contactIds: [person.id] } });
    expect(await memberEmails(segment.id)).toEqual(['listed@example.com']);
    await call(`/api/lists/${vip.id}/members/remove`, { json: { contactIds: [person.id] } });
    expect(await memberEmails(segment.id)).toEqual([]);
    const history = (await call(`/api/contacts/${person.id}/memberships`)).body.history;
    expect(history).toMatchObject([{ segmentId: segment.id, exitedAt: expect.any(String) }]);

    const refused = await call(`/api/lists/${vip.id}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain(segment.id);
  });
});

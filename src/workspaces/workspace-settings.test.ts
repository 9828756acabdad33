import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { apiCaller, createTestApp, createTestWorkspace } from '../server/test-app.ts';

const database = useTestDatabase();

const MQL = { schemaVersion: 1, condition: { type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'MQL' } };

async function setup() {
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  const call = apiCaller(app, ws.adminKey);
  const workspaceRow = () =>
    database.current.db.selectFrom('workspaces').selectAll().where('id', '=', ws.workspaceId).executeTakeFirstOrThrow();
  return { app, ws, call, workspaceRow };
}

describe('workspace settings (/api/workspace)', () => {
  it('any key of the workspace reads them; only an admin key changes them', async () => {
    const { ws, call, workspaceRow } = await setup();
    const read = await call('/api/workspace', { key: ws.readKey });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: ws.workspaceId, defaultRegion: 'JP', timezone: 'Asia/Tokyo', locale: 'ja' });
    const before = await workspaceRow();
    const refused = await call('/api/workspace', { method: 'PATCH', key: ws.readKey, json: { locale: 'en' } });
    expect(refused.status).toBe(403);
    expect(await workspaceRow()).toEqual(before);
  });

  it('bad settings are refused, each field named, and nothing changes', async () => {
    const { call, workspaceRow } = await setup();
    const before = await workspaceRow();
    const bad = await call('/api/workspace', {
      method: 'PATCH',
      json: { name: ' ', defaultRegion: 'jp', timezone: 'Mars/Olympus_Mons', locale: 'fr', colour: 'red' },
    });
    expect(bad.status).toBe(400);
    const paths = bad.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['', 'defaultRegion', 'locale', 'name', 'timezone']);
    expect(bad.body.errors).toContainEqual({ path: '', message: 'Unrecognized key: "colour"' });
    expect(JSON.stringify(bad.body.errors)).toContain('expected an IANA time zone such as Asia/Tokyo');
    const empty = await call('/api/workspace', { method: 'PATCH', json: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.errors[0].message).toBe('expected at least one of name, defaultRegion, timezone, locale');
    expect(await workspaceRow()).toEqual(before);
  });

  it('a new phone region applies to numbers written from then on; a new time zone rebuilds the published segments', async () => {
    const { app, call } = await setup();
    const segment = (await call('/api/segments', { json: { name: 'MQLs', definition: MQL } })).body;
    expect((await call(`/api/segments/${segment.id}/publish`, { method: 'POST' })).status).toBe(202);
    await app.drainJobs();
    const state = async () => (await call(`/api/segments/${segment.id}`)).body.build.state;
    expect(await state()).toBe('idle');
    // A name alone rebuilds nothing.
    expect((await call('/api/workspace', { method: 'PATCH', json: { name: '絆 US' } })).body.name).toBe('絆 US');
    expect(await state()).toBe('idle');

    const changed = await call('/api/workspace', {
      method: 'PATCH',
      json: { defaultRegion: 'US', timezone: 'America/New_York', locale: 'en' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: '絆 US', defaultRegion: 'US', timezone: 'America/New_York', locale: 'en' });
    expect((await call('/api/workspace')).body).toEqual(changed.body);
    expect(await state()).toBe('queued');
    await app.drainJobs();
    expect(await state()).toBe('idle');

    const contact = await call('/api/contacts', { json: { email: 'ny@example.com', phone: '(212) 555-0142' } });
    expect(contact.status, JSON.stringify(contact.body)).toBe(201);
    expect(contact.body.phone).toBe('+12125550142');
  });
});

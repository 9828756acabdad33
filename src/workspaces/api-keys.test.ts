import { describe, expect, it } from 'vitest';
import { createVirtualClock } from '../platform/clock.ts';
import { loadConfig } from '../platform/config.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';
import { hashKey } from './api-keys.ts';
import { bootstrap } from './bootstrap.ts';

const database = useTestDatabase();

describe('API keys', () => {
  it('are stored hashed, shown once, and listed by prefix only', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current, app.clock);
    const res = await app.request('/api/keys', { key: ws.adminKey, json: { name: 'reporting', scope: 'read' } });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created.key).toMatch(/^kz_read_[A-Za-z0-9_-]{32}$/);
    const stored = await database.current.db.selectFrom('api_keys').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(stored.key_hash).toBe(hashKey(created.key));
    expect(JSON.stringify(stored)).not.toContain(created.key);
    const listing = await (await app.request('/api/keys', { key: ws.adminKey })).text();
    expect(listing).not.toContain(created.key);
    expect(listing).toContain(created.key.slice(0, 12));
  });

  it('enforce scopes: read only reads, write only ingests, admin manages keys', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current, app.clock);
    const status = async (key: string, path: string, json?: unknown) => (await app.request(path, { key, json })).status;
    expect(await status(ws.readKey, '/api/contacts')).toBe(200);
    expect(await status(ws.readKey, '/api/contacts', { email: 'r@example.com' })).toBe(403);
    expect(await status(ws.writeKey, '/api/contacts')).toBe(403);
    expect(await status(ws.readKey, '/api/keys')).toBe(403);
    expect(await status(ws.adminKey, '/api/contacts', { email: 'a@example.com' })).toBe(201);
    expect(await status('kz_admin_not-a-real-key-at-all-000000', '/api/contacts')).toBe(401);
    expect((await app.request('/api/contacts')).status).toBe(401);
  });

  it('revocation takes effect on the next request', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current, app.clock);
    const created = await (await app.request('/api/keys', { key: ws.adminKey, json: { name: 'temp', scope: 'read' } })).json();
    expect((await app.request('/api/contacts', { key: created.key })).status).toBe(200);
    const revoked = await app.request(`/api/keys/${created.id}`, { method: 'DELETE', key: ws.adminKey });
    expect((await revoked.json()).revokedAt).toBe(app.clock.now().toISOString());
    const res = await app.request('/api/contacts', { key: created.key });
    expect(res.status).toBe(401);
    expect((await res.json()).detail).toContain('revoked');
  });
});

describe('first start', () => {
  it('seeds KIZUNA_ADMIN_KEY and KIZUNA_WRITE_KEY with exactly those values, once', async () => {
    const clock = createVirtualClock();
    const adminKey = `kz_admin_seeded_${crypto.randomUUID()}`;
    const writeKey = `kz_write_seeded_${crypto.randomUUID()}`;
    const config = loadConfig({ env: { KIZUNA_ADMIN_KEY: adminKey, KIZUNA_WRITE_KEY: writeKey } });
    const first = await bootstrap(database.current.db, config, clock);
    const second = await bootstrap(database.current.db, config, clock);
    expect(second.workspaceId).toBe(first.workspaceId);
    expect(first.generatedAdminKey).toBeUndefined();
    const rows = await database.current.db
      .selectFrom('api_keys')
      .select(['scope', 'workspace_id'])
      .where('key_hash', 'in', [hashKey(adminKey), hashKey(writeKey)])
      .execute();
    expect(rows.map((r) => r.scope).sort()).toEqual(['admin', 'write']);
    const app = createTestApp(database.current);
    expect((await app.request('/api/contacts', { key: adminKey })).status).toBe(200);
  });
});

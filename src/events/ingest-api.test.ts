import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';

const database = useTestDatabase();

async function setup() {
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  const send = (call: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(`/v1/${call}`, { key: ws.writeKey, json: body, headers });
  return { app, ws, send };
}

async function eventsOf(workspaceId: string) {
  return database.current.db
    .selectFrom('events')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('occurred_at')
    .orderBy('received_at')
    .execute();
}

async function contactsOf(workspaceId: string) {
  return database.current.db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
}

describe('Segment-spec ingestion', () => {
  it('stores an identify on a new contact with its traits, and a track on the same contact', async () => {
    const { app, ws, send } = await setup();
    const identify = await send('identify', {
      userId: 'u-1',
      anonymousId: 'anon-1',
      messageId: 'm-1',
      traits: { email: 'Hanako@Example.jp', name: '佐藤 花子', title: 'マネージャー', plan_tier: 'gold' },
    });
    expect(identify.status).toBe(200);
    expect(await identify.json()).toEqual({ success: true });
    app.clock.advance(1000);
    expect((await send('t', { userId: 'u-1', event: 'Demo Requested', properties: { product: 'MA' }, messageId: 'm-2' })).status).toBe(200);
    const [contact, ...others] = await contactsOf(ws.workspaceId);
    expect(others).toEqual([]);
    expect(contact).toMatchObject({
      email: 'hanako@example.jp',
      last_name: '佐藤',
      first_name: '花子',
      role_level: 'manager',
      traits: { plan_tier: 'gold' },
    });
    const events = await eventsOf(ws.workspaceId);
    expect(events.map((e) => [e.type, e.name, e.contact_id])).toEqual([
      ['identify', null, contact!.id],
      ['track', 'Demo Requested', contact!.id],
    ]);
  });

  it('answers a repeated messageId with 200 and stores it once', async () => {
    const { ws, send } = await setup();
    for (let i = 0; i < 3; i++) expect((await send('track', { anonymousId: 'a', event: 'Clicked', messageId: 'same' })).status).toBe(200);
    expect(await eventsOf(ws.workspaceId)).toHaveLength(1);
  });

  it('attaches an anonymous visitor’s earlier events when the visitor is identified', async () => {
    const { app, ws, send } = await setup();
    for (const path of ['/pricing', '/features']) {
      app.clock.advance(60_000);
      await send('page', {
        anonymousId: 'cookie-9',
        name: path,
        properties: { path },
        context: { campaign: { source: 'google', medium: 'cpc', name: 'spring' } },
      });
    }
    expect((await eventsOf(ws.workspaceId)).map((e) => e.contact_id)).toEqual([null, null]);
    app.clock.advance(60_000);
    await send('identify', { anonymousId: 'cookie-9', traits: { email: 'visitor@example.com' } });
    const [contact] = await contactsOf(ws.workspaceId);
    expect((await eventsOf(ws.workspaceId)).map((e) => e.contact_id)).toEqual([contact!.id, contact!.id, contact!.id]);
    const timeline = await (await app.request(`/api/contacts/${contact!.id}/events?type=page`, { key: ws.readKey })).json();
    expect(timeline.items.map((e: { name: string }) => e.name)).toEqual(['/features', '/pricing']);
    const identities = await (await app.request(`/api/contacts/${contact!.id}/identities`, { key: ws.readKey })).json();
    expect(identities).toMatchObject({ email: 'visitor@example.com', anonymousIds: ['cookie-9'] });
    const stored = (await contactsOf(ws.workspaceId))[0]!;
    expect(stored.first_touch).toMatchObject({ source: 'google', medium: 'cpc', campaign: 'spring', at: '2026-04-01T00:01:00.000Z' });
    expect(stored.first_seen_at?.toISOString()).toBe('2026-04-01T00:01:00.000Z');
  });

  it('merges two contacts when an identify proves they are one person, keeping every event', async () => {
    const { ws, send } = await setup();
    await send('identify', { userId: 'crm-42', traits: { firstName: 'Ken' } });
    await send('track', { userId: 'crm-42', event: 'Logged In' });
    await send('identify', { anonymousId: 'x', traits: { email: 'ken@example.com', phone: '090-1111-2222' } });
    await send('track', { anonymousId: 'x', event: 'Viewed Pricing' });
    expect(await contactsOf(ws.workspaceId)).toHaveLength(2);
    await send('identify', { userId: 'crm-42', traits: { email: 'ken@example.com' } });
    const contacts = await contactsOf(ws.workspaceId);
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatchObject({ first_name: 'Ken', email: 'ken@example.com', phone: '+819011112222' });
    const events = await eventsOf(ws.workspaceId);
    expect(events).toHaveLength(5);
    expect(new Set(events.map((e) => e.contact_id))).toEqual(new Set([contacts[0]!.id]));
    const merges = await database.current.db.selectFrom('contact_merges').selectAll().where('workspace_id', '=', ws.workspaceId).execute();
    expect(merges).toHaveLength(1);
    expect(merges[0]!.reason).toContain('crm-42');
  });

  it('alias ties a previous id to the user id', async () => {
    const { ws, send } = await setup();
    await send('page', { anonymousId: 'anon-7', name: 'Home' });
    await send('alias', { previousId: 'anon-7', userId: 'user-7' });
    const [contact] = await contactsOf(ws.workspaceId);
    expect((await eventsOf(ws.workspaceId)).every((e) => e.contact_id === contact!.id)).toBe(true);
  });

  it('group traits create or update the contact’s company', async () => {
    const { ws, send } = await setup();
    await send('group', {
      userId: 'u-g',
      groupId: 'acct-1',
      traits: { name: '株式会社グループ', website: 'https://group.example.co.jp', industry: 'SaaS', employees: 320 },
    });
    const [contact] = await contactsOf(ws.workspaceId);
    const company = await database.current.db
      .selectFrom('companies')
      .selectAll()
      .where('id', '=', contact!.company_id!)
      .executeTakeFirstOrThrow();
    expect(company).toMatchObject({ name: '株式会社グループ', domain: 'group.example.co.jp', industry: 'SaaS', employee_count: 320 });
  });

  it('accepts text/plain, gzip, the write key in the body or as Basic auth, and CORS preflight', async () => {
    const { app, ws } = await setup();
    const body = JSON.stringify({
      batch: [
        { type: 'track', anonymousId: 'z', event: 'A' },
        { type: 'page', anonymousId: 'z' },
      ],
      writeKey: ws.writeKey,
    });
    expect((await app.request('/v1/b', { body, headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    const basic = `Basic ${Buffer.from(`${ws.writeKey}:`).toString('base64')}`;
    const gz = gzipSync(JSON.stringify({ anonymousId: 'z', event: 'B' }));
    const res = await app.request('/v1/track', {
      body: new Blob([gz]),
      headers: { authorization: basic, 'content-encoding': 'gzip', 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await eventsOf(ws.workspaceId)).toHaveLength(3);
    const preflight = await app.request('/v1/t', {
      method: 'OPTIONS',
      headers: { origin: 'https://www.example.co.jp', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('stops accepting a revoked write key within five seconds (keys are cached that long per process)', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current, app.clock);
    const created = await (await app.request('/api/keys', { key: ws.adminKey, json: { name: 'site', scope: 'write' } })).json();
    const send = (n: number) =>
      app.request('/v1/track', { key: created.key, json: { anonymousId: 'a', event: 'E', messageId: `rev-${n}` } });
    expect((await send(1)).status).toBe(200);
    expect((await app.request(`/api/keys/${created.id}`, { method: 'DELETE', key: ws.adminKey })).status).toBe(200);
    app.clock.advance(5001);
    const res = await send(2);
    expect(res.status).toBe(401);
    expect((await res.json()).detail).toContain('revoked');
    expect(
      await database.current.db.selectFrom('events').select('message_id').where('workspace_id', '=', ws.workspaceId).execute(),
    ).toEqual([{ message_id: 'rev-1' }]);
  });

  it('corrects the sender’s clock skew', async () => {
    const { app, ws, send } = await setup();
    const now = app.clock.now().getTime();
    // The device clock runs an hour fast.
    await send('track', {
      anonymousId: 'c',
      event: 'Skewed',
      timestamp: new Date(now + 3_600_000 - 2000).toISOString(),
      sentAt: new Date(now + 3_600_000).toISOString(),
    });
    const [event] = await eventsOf(ws.workspaceId);
    expect(event!.occurred_at.toISOString()).toBe(new Date(now - 2000).toISOString());
  });
});

import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { instanceSecret } from '../platform/instance-secret.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';
import { signTrackingToken, TRACKING_SECRET, verifyTrackingToken } from './tracking-token.ts';

const database = useTestDatabase();
const PERSON = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko)';

async function setup() {
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  const contact = await (await app.request('/api/contacts', { key: ws.adminKey, json: { email: 'reader@example.com' } })).json();
  const secret = await instanceSecret(database.current.db, TRACKING_SECRET, app.clock);
  const claims = {
    workspaceId: ws.workspaceId,
    contactId: contact.id as string,
    deliveryId: 'd-1',
    sentAt: app.clock.now().getTime() - 60_000,
  };
  const events = () =>
    database.current.db
      .selectFrom('events')
      .select(['name', 'properties', 'contact_id'])
      .where('workspace_id', '=', ws.workspaceId)
      .execute();
  return { app, ws, contact, secret, claims, events };
}

describe('tracking tokens', () => {
  it('round-trip, and any change to payload or signature invalidates them', () => {
    const secret = Buffer.alloc(32, 7);
    const token = signTrackingToken(
      { workspaceId: 'w', contactId: 'c', deliveryId: 'd', linkIndex: 2, url: 'https://example.com/a' },
      secret,
    );
    expect(verifyTrackingToken(token, secret)).toEqual({
      workspaceId: 'w',
      contactId: 'c',
      deliveryId: 'd',
      linkIndex: 2,
      url: 'https://example.com/a',
    });
    const [payload, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('example.com', 'evil.example')).toString('base64url');
    expect(verifyTrackingToken(`${forged}.${signature}`, secret)).toBeUndefined();
    expect(verifyTrackingToken(`${payload}.${signature.slice(0, -2)}xx`, secret)).toBeUndefined();
    expect(verifyTrackingToken(payload, secret)).toBeUndefined();
    expect(verifyTrackingToken(token, Buffer.alloc(32, 8))).toBeUndefined();
  });
});

describe('click redirect /c/{token}', () => {
  it('redirects a genuine link with 302 and records Email Link Clicked', async () => {
    const { app, secret, claims, contact, events } = await setup();
    const token = signTrackingToken({ ...claims, linkIndex: 0, url: 'https://www.example.co.jp/pricing?utm_source=mail' }, secret);
    const res = await app.request(`/c/${token}`, { headers: { 'user-agent': PERSON } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://www.example.co.jp/pricing?utm_source=mail');
    expect(await events()).toEqual([
      {
        name: 'Email Link Clicked',
        contact_id: contact.id,
        properties: { deliveryId: 'd-1', linkIndex: 0, url: 'https://www.example.co.jp/pricing?utm_source=mail', machine: false },
      },
    ]);
  });

  it('never redirects a tampered or unsigned token', async () => {
    const { app, secret, claims, events } = await setup();
    const token = signTrackingToken({ ...claims, linkIndex: 0, url: 'https://www.example.co.jp/' }, secret);
    const [payload, signature] = token.split('.') as [string, string];
    const evil = Buffer.from(JSON.stringify([claims.workspaceId, claims.contactId, 'd-1', 0, 'https://evil.example/', null])).toString(
      'base64url',
    );
    for (const bad of [`${evil}.${signature}`, evil, `${payload}.AAAA`, 'garbage']) {
      const res = await app.request(`/c/${bad}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('location')).toBeNull();
    }
    expect(await events()).toEqual([]);
  });

  it('flags a security scanner’s prefetch as a machine click', async () => {
    const { app, secret, claims, events } = await setup();
    const token = signTrackingToken({ ...claims, linkIndex: 1, url: 'https://example.com/' }, secret);
    await app.request(`/c/${token}`, { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel)' } });
    expect((await events())[0]!.properties).toMatchObject({ machine: true, machineReason: 'link_scanner' });
  });
});

describe('open pixel /o/{token}', () => {
  it('answers a 1×1 GIF that is never cached and records Email Opened', async () => {
    const { app, secret, claims, events } = await setup();
    const res = await app.request(`/o/${signTrackingToken(claims, secret)}.gif`, {
      headers: { 'user-agent': PERSON, 'x-forwarded-for': '203.0.113.9' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(
      Buffer.from(await res.arrayBuffer())
        .subarray(0, 6)
        .toString(),
    ).toBe('GIF89a');
    expect((await events()).map((e) => [e.name, e.properties.machine])).toEqual([['Email Opened', false]]);
  });

  it('flags Apple Mail Privacy Protection opens, and shows a pixel without recording for a bad token', async () => {
    const { app, secret, claims, events } = await setup();
    await app.request(`/o/${signTrackingToken(claims, secret)}`, {
      headers: { 'user-agent': 'Mozilla/5.0', 'x-forwarded-for': '17.58.101.4' },
    });
    const bad = await app.request('/o/forged.token');
    expect(bad.headers.get('content-type')).toBe('image/gif');
    expect((await events()).map((e) => e.properties)).toEqual([{ deliveryId: 'd-1', machine: true, machineReason: 'apple_privacy_proxy' }]);
  });
});

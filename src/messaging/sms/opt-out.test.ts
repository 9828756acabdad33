import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { smsPolicy } from './sms-policy.ts';
import { createSmsTestApp } from './sms-test-app.ts';

const database = useTestDatabase();

describe('/api/sms/opt-outs', () => {
  it('an admin opts a number out (written nationally), lists it, and lifts it; contacts get the events', async () => {
    const { api, contact, ws, clock } = await createSmsTestApp(database.current);
    const contactId = await contact({ lastName: '山田', phone: '+819055550001' });
    const created = await api('/api/sms/opt-outs', { json: { phone: '090-5555-0001', detail: 'asked by phone' } });
    expect(created).toEqual({
      status: 201,
      body: {
        id: expect.any(String),
        phone: '+819055550001',
        source: 'api',
        keyword: null,
        messageSid: null,
        detail: 'asked by phone',
        createdAt: '2026-04-01T00:00:00.000Z',
        liftedAt: null,
        liftedBy: null,
      },
    });
    // Again: the active opt-out as is.
    expect((await api('/api/sms/opt-outs', { json: { phone: '+81 90 5555 0001' } })).body.id).toBe(created.body.id);
    const { db } = database.current;
    expect(await smsPolicy(db, ws.workspaceId, [{ contactId, phone: '+819055550001' }], { kind: 'transactional' })).toEqual([
      { contactId, allowed: false, reason: 'sms_opt_out' },
    ]);

    expect((await api('/api/sms/opt-outs?phone=09055550001&active=true')).body).toEqual({ items: [created.body], nextCursor: null });
    // A minute later, so the two events have an order on every engine.
    clock.advance(60_000);
    const lifted = await api('/api/sms/opt-outs/%2B819055550001', { method: 'DELETE' });
    expect(lifted).toMatchObject({
      status: 200,
      body: { phone: '+819055550001', liftedAt: expect.any(String), liftedBy: expect.stringMatching(/^api:/) },
    });
    expect((await api('/api/sms/opt-outs/090-5555-0001', { method: 'DELETE' })).status).toBe(404);
    expect((await api('/api/sms/opt-outs?active=true')).body.items).toEqual([]);
    expect(await smsPolicy(db, ws.workspaceId, [{ contactId, phone: '+819055550001' }], { kind: 'marketing' })).toEqual([
      { contactId, allowed: true, to: '+819055550001' },
    ]);
    const events = await db
      .selectFrom('events')
      .select('name')
      .where('workspace_id', '=', ws.workspaceId)
      .where('contact_id', '=', contactId)
      .where('name', 'like', 'SMS %')
      .orderBy('received_at')
      .execute();
    expect(events.map((e) => e.name)).toEqual(['SMS Opted Out', 'SMS Opted In']);
  });

  it('pages newest first', async () => {
    const { api, clock } = await createSmsTestApp(database.current);
    for (const n of [1, 2, 3]) {
      clock.advance(1000);
      await api('/api/sms/opt-outs', { json: { phone: `090-6666-000${n}` } });
    }
    const first = await api('/api/sms/opt-outs?limit=2');
    expect(first.body.items.map((o: { phone: string }) => o.phone)).toEqual(['+819066660003', '+819066660002']);
    const second = await api(`/api/sms/opt-outs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ phone: '+819066660001' })], nextCursor: null });
  });

  it('bad input is a 400 naming the field and writes nothing; a read key may list but not change', async () => {
    const { api, ws } = await createSmsTestApp(database.current);
    const paths = async (json: unknown) => (await api('/api/sms/opt-outs', { json })).body.errors.map((e: { path: string }) => e.path);
    expect(await paths({})).toEqual(['phone']);
    expect(await paths({ phone: '12' })).toEqual(['phone']);
    expect(await paths({ phone: '090-1234-5678', keyword: 'STOP' })).toEqual(['']);
    expect((await api('/api/sms/opt-outs?phone=abc')).body.errors[0].path).toBe('phone');
    expect((await api('/api/sms/opt-outs/abc', { method: 'DELETE' })).body.errors[0].path).toBe('path.phone');
    expect((await api('/api/sms/opt-outs?active=yes')).status).toBe(400);
    expect((await api('/api/sms/opt-outs', { key: ws.readKey })).status).toBe(200);
    expect((await api('/api/sms/opt-outs', { key: ws.readKey, json: { phone: '090-1234-5678' } })).status).toBe(403);
    expect((await api('/api/sms/opt-outs')).body.items).toEqual([]);
  });

  it('the provider webhooks are in the OpenAPI document with their signature scheme', async () => {
    const { api } = await createSmsTestApp(database.current);
    const doc = (await api('/api/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/sms/{workspaceId}/inbound', '/sms/{workspaceId}/status', '/api/sms/opt-outs']),
    );
    expect(doc.paths['/sms/{workspaceId}/inbound'].post.security).toEqual([{ twilioSignature: [] }]);
    expect(doc.components.securitySchemes.twilioSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Twilio-Signature' });
  });
});

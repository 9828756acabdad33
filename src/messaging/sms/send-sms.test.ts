import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createSmsProvider } from './provider.ts';
import { type ProviderTestServer, startProviderTestServer } from './provider-test-server.ts';
import { type SmsItem, sendSmsBatch } from './send-sms.ts';
import { smsPolicy } from './sms-policy.ts';
import { createSmsTestApp, SMS_TEST_PUBLIC_URL } from './sms-test-app.ts';
import { smsWebhookUrls } from './status-callback.ts';

const database = useTestDatabase();
const ACCOUNT = 'AC00000000000000000000000000000003';
let server: ProviderTestServer;
beforeAll(async () => {
  server = await startProviderTestServer({ accountSid: ACCOUNT, authToken: 'provider-token' });
});
afterAll(async () => {
  await server?.stop();
});

async function setup() {
  const t = await createSmsTestApp(database.current);
  const { db } = database.current;
  const provider = createSmsProvider({ baseUrl: server.baseUrl, accountSid: ACCOUNT, authToken: 'provider-token', from: '+815012345678' });
  const item = (contactId: string | null, body = 'ご予約は明日10:00です', kind: SmsItem['kind'] = 'transactional'): SmsItem => ({
    deliveryId: randomUUID(),
    contactId,
    kind,
    body,
  });
  const send = (items: SmsItem[], options: { concurrency?: number; provider?: typeof provider | undefined } = {}) =>
    sendSmsBatch({
      db,
      provider: 'provider' in options ? options.provider : provider,
      workspaceId: t.ws.workspaceId,
      items,
      statusCallbackBase: smsWebhookUrls(SMS_TEST_PUBLIC_URL, t.ws.workspaceId).status,
      now: t.clock.now(),
      concurrency: options.concurrency,
    });
  return { ...t, db, item, send };
}

describe('sendSmsBatch', () => {
  it('decides the whole batch first, then sends what may go with a status callback naming the delivery', async () => {
    const { contact, item, send, db, ws } = await setup();
    const reachable = await contact({ lastName: '山田', phone: '090-1111-0001' });
    const noPhone = await contact({ lastName: '佐藤' });
    const badPhone = await contact({ lastName: '鈴木', phone: '090-1111-0002' });
    // An import may keep a number as written when it does not parse.
    await db.updateTable('contacts').set({ phone: '12-34' }).where('id', '=', badPhone).execute();
    const foreign = await (await createSmsTestApp(database.current)).contact({ phone: '090-1111-0003' });
    const items = [
      item(reachable),
      item(noPhone),
      item(badPhone),
      item(null),
      item(foreign),
      item(reachable, '  '),
      item(reachable, 'あ'.repeat(671)),
    ];
    const before = server.requests.length;
    const outcomes = await send(items);
    expect(outcomes).toEqual([
      {
        deliveryId: items[0]!.deliveryId,
        outcome: 'sent',
        to: '+819011110001',
        sid: expect.stringMatching(/^SM/),
        providerStatus: 'queued',
        segments: 1,
      },
      { deliveryId: items[1]!.deliveryId, outcome: 'skipped', reason: 'no_phone' },
      { deliveryId: items[2]!.deliveryId, outcome: 'skipped', reason: 'invalid_phone' },
      { deliveryId: items[3]!.deliveryId, outcome: 'skipped', reason: 'no_phone' },
      // Another workspace's contact is nobody here.
      { deliveryId: items[4]!.deliveryId, outcome: 'skipped', reason: 'no_phone' },
      { deliveryId: items[5]!.deliveryId, outcome: 'failed', error: 'the message text is empty', to: '+819011110001' },
      {
        deliveryId: items[6]!.deliveryId,
        outcome: 'failed',
        error: 'the message is 11 segments long (UCS-2); at most 10 are sent: shorten the text',
        to: '+819011110001',
      },
    ]);
    expect(server.requests.slice(before).map((r) => r.form)).toEqual([
      {
        To: '+819011110001',
        From: '+815012345678',
        Body: 'ご予約は明日10:00です',
        StatusCallback: `${SMS_TEST_PUBLIC_URL}/sms/${ws.workspaceId}/status?delivery=${items[0]!.deliveryId}`,
      },
    ]);
  });

  it('a provider opt-out (21610) is skipped and remembered, so the next batch does not ask again; outages are retried', async () => {
    const { contact, item, send, db, ws } = await setup();
    const optedAtProvider = await contact({ lastName: '田中', phone: '090-2222-0001' });
    const unlucky = await contact({ lastName: '高橋', phone: '090-2222-0002' });
    server.optedOut.add('+819022220001');
    const first = await send([item(optedAtProvider)]);
    expect(first).toEqual([{ deliveryId: expect.any(String), outcome: 'skipped', reason: 'sms_opt_out' }]);
    expect(await smsPolicy(db, ws.workspaceId, [{ contactId: optedAtProvider, phone: '+819022220001' }], { kind: 'marketing' })).toEqual([
      { contactId: optedAtProvider, allowed: false, reason: 'sms_opt_out' },
    ]);
    const before = server.requests.length;
    expect(await send([item(optedAtProvider, 'hi', 'marketing')])).toMatchObject([{ outcome: 'skipped', reason: 'sms_opt_out' }]);
    expect(server.requests.length).toBe(before);

    server.script.push({ status: 503, json: { code: 20500, message: 'Service Unavailable' } });
    const [retry] = await send([item(unlucky)]);
    expect(retry).toMatchObject({ outcome: 'retry', to: '+819022220002', maybeSent: false });
    expect(retry).toHaveProperty('error', expect.stringContaining('HTTP 503 (code 20500): Service Unavailable'));
    server.script.push({ status: 400, json: { code: 21614, message: "'To' number is not a valid mobile number" } });
    expect(await send([item(unlucky)])).toMatchObject([{ outcome: 'failed', error: expect.stringContaining('21614') }]);
  });

  it('keeps at most `concurrency` requests in flight and returns outcomes in item order', async () => {
    const { contact, item, send } = await setup();
    const ids = [];
    for (let i = 0; i < 8; i++) ids.push(await contact({ lastName: `連絡${i}`, phone: `090-3333-000${i}` }));
    server.delayMs = 30;
    server.maxInFlight = 0;
    try {
      const items = ids.map((id) => item(id));
      const outcomes = await send(items, { concurrency: 3 });
      expect(outcomes.map((o) => [o.deliveryId, o.outcome])).toEqual(items.map((i) => [i.deliveryId, 'sent']));
      expect(outcomes.map((o) => (o.outcome === 'sent' ? o.to : null))).toEqual(ids.map((_, i) => `+81903333000${i}`));
      expect(server.maxInFlight).toBeLessThanOrEqual(3);
      expect(server.maxInFlight).toBeGreaterThan(1);
    } finally {
      server.delayMs = 0;
    }
  });

  it('without a provider, what would be sent fails saying SMS is not configured; policy skips still skip', async () => {
    const { contact, item, send } = await setup();
    const reachable = await contact({ phone: '090-4444-0001' });
    const outcomes = await send([item(reachable), item(null)], { provider: undefined });
    expect(outcomes).toEqual([
      { deliveryId: expect.any(String), outcome: 'failed', error: expect.stringContaining('SMS is not configured'), to: '+819044440001' },
      { deliveryId: expect.any(String), outcome: 'skipped', reason: 'no_phone' },
    ]);
  });
});

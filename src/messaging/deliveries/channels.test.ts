import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContact } from '../../contacts/contacts.ts';
import { createVirtualClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createTestWorkspace } from '../../server/test-app.ts';
import { createSmsProvider } from '../sms/provider.ts';
import { type ProviderTestServer, startProviderTestServer } from '../sms/provider-test-server.ts';
import { createMailSink, type MailSink } from '../smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../smtp/transport.ts';
import { enqueueDeliveries, type NewDelivery } from './deliveries.ts';
import { createDeliveryPipeline } from './pipeline.ts';

const database = useTestDatabase();
// The webhook receiver below listens on loopback: allowed as an operator would (KIZUNA_OUTBOUND_ALLOW).
const config = loadConfig({ env: {}, flags: { logLevel: 'silent', publicUrl: 'https://mail.example.com', outboundAllow: ['127.0.0.1'] } });
let sink: MailSink;
let mailer: MailTransport;
let provider: ProviderTestServer;

beforeAll(async () => {
  sink = createMailSink({ port: 0 });
  mailer = createMailTransport({ config: { ...config, mailMode: 'sink' }, sink: await sink.start() });
  provider = await startProviderTestServer({ accountSid: 'AC123', authToken: 'provider-token' });
});
afterAll(async () => {
  mailer.close();
  await sink.stop();
  await provider.stop();
});

async function setup() {
  const { db } = database.current;
  const clock = createVirtualClock(new Date('2026-06-01T01:00:00Z')); // 10:00 in Tokyo
  const { workspaceId } = await createTestWorkspace(database.current, clock);
  const sms = createSmsProvider({ baseUrl: provider.baseUrl, accountSid: 'AC123', authToken: 'provider-token', from: '+815012345678' });
  const pipeline = createDeliveryPipeline({ db, clock, config, mailer, sms });
  const queue = (item: Partial<NewDelivery> & Pick<NewDelivery, 'contactId' | 'channel' | 'content'>) =>
    enqueueDeliveries(db, [{ workspaceId, kind: 'marketing', source: 'test', dueAt: clock.now(), ...item }], clock.now());
  const deliveries = () => db.selectFrom('deliveries').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
  return { db, clock, workspaceId, pipeline, queue, deliveries };
}

describe('the SMS channel through the pipeline', () => {
  it('renders the Liquid body, sends through the provider, keeps the sid; defers marketing texts in quiet hours', async () => {
    const { db, clock, workspaceId, pipeline, queue, deliveries } = await setup();
    const hanako = await createContact(db, workspaceId, { email: 'h@example.jp', lastName: '佐藤', phone: '090-1234-5678' }, clock);
    provider.requests.length = 0;
    await queue({ contactId: hanako.id, channel: 'sms', content: { body: '{{ contact.lastName }}様、明日のセミナーは10時からです。' } });
    await pipeline.drain({ workspaceId });
    const [row] = await deliveries();
    expect(row).toMatchObject({ status: 'sent', to_address: '+819012345678' });
    expect(row!.message_id).toMatch(/^SM/);
    expect(provider.requests.map((r) => [r.form.To, r.form.Body])).toEqual([['+819012345678', '佐藤様、明日のセミナーは10時からです。']]);
    expect(provider.requests[0]!.form.StatusCallback).toContain(`/sms/${workspaceId}/status?delivery=${row!.id}`);

    clock.set(new Date('2026-06-01T14:00:00Z')); // 23:00 in Tokyo
    await queue({ contactId: hanako.id, channel: 'sms', content: { body: 'セール開始!' }, dueAt: clock.now() });
    await pipeline.drain({ workspaceId });
    expect((await deliveries())[1]).toMatchObject({ status: 'deferred', reason: 'quiet_hours' });
  });

  it('skips a contact without a phone, and fails a body-less delivery with the reason', async () => {
    const { db, clock, workspaceId, pipeline, queue, deliveries } = await setup();
    const nophone = await createContact(db, workspaceId, { email: 'n@example.jp' }, clock);
    await queue({ contactId: nophone.id, channel: 'sms', content: { body: 'hi' }, kind: 'transactional' });
    await queue({ contactId: nophone.id, channel: 'sms', content: {}, kind: 'transactional' });
    await pipeline.drain({ workspaceId });
    expect((await deliveries()).map((r) => [r.status, r.reason ?? r.error])).toEqual(
      expect.arrayContaining([
        ['skipped', 'no_phone'],
        ['failed', 'an SMS delivery needs content.body (Liquid text)'],
      ]),
    );
  });
});

describe('the webhook channel through the pipeline', () => {
  it('POSTs a signed payload whose webhook-id is the delivery, retries a 500 with backoff, fails on a 4xx', async () => {
    const { db, clock, workspaceId, pipeline, queue, deliveries } = await setup();
    const secret = `whsec_${Buffer.from('a-test-secret-of-32-bytes-length!').toString('base64')}`;
    const answers = [500, 200, 404];
    const received: { id: string; body: Record<string, unknown>; signed: boolean }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        // The signature a receiver computes (the timestamp is the virtual clock's, outside verify()'s 5-minute tolerance).
        const expected = new Webhook(secret).sign(headers['webhook-id']!, new Date(Number(headers['webhook-timestamp']) * 1000), body);
        received.push({ id: headers['webhook-id']!, body: JSON.parse(body), signed: headers['webhook-signature'] === expected });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    try {
      const c = await createContact(db, workspaceId, { email: 'w@example.jp' }, clock);
      await queue({ contactId: c.id, channel: 'webhook', kind: 'transactional', content: { url, secret, payload: { step: 'welcome' } } });
      await pipeline.drain({ workspaceId });
      let [row] = await deliveries();
      expect(row).toMatchObject({ status: 'deferred', reason: 'retry', error: 'HTTP 500' });
      clock.set(row!.due_at);
      await pipeline.drain({ workspaceId });
      [row] = await deliveries();
      expect(row).toMatchObject({ status: 'sent', provider_response: 'HTTP 200', attempts: 2 });
      expect(received.map((r) => [r.id, r.signed])).toEqual([
        [row!.id, true],
        [row!.id, true],
      ]);
      expect(received[1]!.body).toMatchObject({ type: 'kizuna.message', data: { deliveryId: row!.id, contactId: c.id, step: 'welcome' } });

      await queue({
        contactId: c.id,
        channel: 'webhook',
        kind: 'transactional',
        content: { url, secret, payload: {} },
        dueAt: clock.now(),
      });
      await pipeline.drain({ workspaceId });
      expect((await deliveries())[1]).toMatchObject({ status: 'failed', error: 'HTTP 404' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countWorkspaceRows, useTestDatabase } from '../../platform/db/test-database.ts';
import { createSmsProvider } from './provider.ts';
import { type ProviderTestServer, startProviderTestServer } from './provider-test-server.ts';
import { type SmsItem, sendSmsBatch } from './send-sms.ts';
import { twilioSignature } from './signature.ts';
import { createSmsTestApp, SMS_TEST_PUBLIC_URL, SMS_TEST_TOKEN } from './sms-test-app.ts';

const database = useTestDatabase();
const ACCOUNT = 'AC00000000000000000000000000000002';
let server: ProviderTestServer;
beforeAll(async () => {
  server = await startProviderTestServer({ accountSid: ACCOUNT, authToken: 'provider-token' });
});
afterAll(async () => {
  await server?.stop();
});

const PHONE = '+819012345678';
const TABLES = ['sms_opt_outs', 'events', 'deliveries'] as const;

async function setup(options: { locale?: 'ja' | 'en' } = {}) {
  const t = await createSmsTestApp(database.current, options);
  const { workspaceId } = t.ws;
  // The same line typed two ways on two contacts: both are the number that texts STOP.
  const contactIds = [await t.contact({ lastName: '山田', phone: PHONE }), await t.contact({ lastName: '佐藤', phone: '090-1234-5678' })];
  const text = (body: string, sid = `SM${body.length}${Math.random().toString(16).slice(2)}`) =>
    t.webhook(`/sms/${workspaceId}/inbound`, [
      ['MessageSid', sid],
      ['AccountSid', ACCOUNT],
      ['From', PHONE],
      ['To', '+815012345678'],
      ['Body', body],
    ]);
  const smsEvents = async () =>
    (
      await database.current.db
        .selectFrom('events')
        .select(['contact_id', 'name', 'properties'])
        .where('workspace_id', '=', workspaceId)
        .where('name', 'like', 'SMS %')
        .orderBy('received_at')
        .orderBy('contact_id')
        .execute()
    ).map((e) => ({ contactId: e.contact_id, name: e.name, properties: e.properties }));
  const optOuts = () =>
    database.current.db
      .withTables<{
        sms_opt_outs: { workspace_id: string; phone: string; source: string; keyword: string | null; lifted_at: Date | null };
      }>()
      .selectFrom('sms_opt_outs')
      .select(['phone', 'source', 'keyword', 'lifted_at'])
      .where('workspace_id', '=', workspaceId)
      .execute();
  const provider = createSmsProvider({ baseUrl: server.baseUrl, accountSid: ACCOUNT, authToken: 'provider-token', from: '+815012345678' });
  const send = (kind: SmsItem['kind']) =>
    sendSmsBatch({
      db: database.current.db,
      provider,
      workspaceId,
      items: [{ deliveryId: crypto.randomUUID(), contactId: contactIds[0]!, kind, body: 'ご来店ありがとうございました' }],
      now: t.clock.now(),
    });
  const rows = () => countWorkspaceRows(database.current, workspaceId, TABLES);
  return { ...t, workspaceId, contactIds, text, smsEvents, optOuts, send, rows };
}

describe('inbound SMS keywords', () => {
  it('STOP opts the number out once, on every contact with it, replies in English, and blocks marketing and transactional sends', async () => {
    const { text, smsEvents, optOuts, send, contactIds } = await setup({ locale: 'en' });
    const res = await text(' Stop ', 'SMstop1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/xml');
    expect(await res.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>You will no longer receive texts from Kizuna Shop. Reply START to resubscribe.</Message></Response>',
    );
    expect(await optOuts()).toEqual([{ phone: PHONE, source: 'inbound', keyword: 'STOP', lifted_at: null }]);
    const opted = { name: 'SMS Opted Out', properties: { phone: PHONE, source: 'inbound', keyword: 'STOP' } };
    expect(await smsEvents()).toEqual([...contactIds].sort().map((contactId) => ({ contactId, ...opted })));

    // The provider retrying the same webhook, or the person texting STOP again: same reply, nothing new.
    expect((await text('STOP', 'SMstop1')).status).toBe(200);
    expect(await optOuts()).toHaveLength(1);
    expect(await smsEvents()).toHaveLength(2);

    const requests = server.requests.length;
    expect(await send('marketing')).toEqual([{ deliveryId: expect.any(String), outcome: 'skipped', reason: 'sms_opt_out' }]);
    expect(await send('transactional')).toEqual([{ deliveryId: expect.any(String), outcome: 'skipped', reason: 'sms_opt_out' }]);
    expect(server.requests.length).toBe(requests);
  });

  it('full-width ＳＴＯＰ, 停止, 配信停止 and ストップ opt out with a Japanese reply; 再開 opts back in and sending resumes', async () => {
    const { text, smsEvents, optOuts, send, contactIds, clock } = await setup({ locale: 'ja' });
    expect(await (await text('ＳＴＯＰ')).text()).toContain(
      '<Message>Kizuna ShopからのSMS配信を停止しました。今後は届きません。再開するには「再開」と返信してください。</Message>',
    );
    expect(await optOuts()).toEqual([{ phone: PHONE, source: 'inbound', keyword: 'STOP', lifted_at: null }]);
    for (const keyword of ['停止', '配信停止', 'ストップ']) expect(await (await text(keyword)).text()).toContain('配信を停止しました');
    expect(await optOuts()).toHaveLength(1);

    clock.advance(60_000);
    expect(await (await text('再開')).text()).toContain(
      '<Message>Kizuna ShopからのSMS配信を再開しました。停止するには「停止」と返信してください。</Message>',
    );
    expect(await optOuts()).toEqual([{ phone: PHONE, source: 'inbound', keyword: 'STOP', lifted_at: expect.any(Date) }]);
    const events = await smsEvents();
    expect(events.map((e) => e.name)).toEqual(['SMS Opted Out', 'SMS Opted Out', 'SMS Opted In', 'SMS Opted In']);
    expect(events[2]).toEqual({
      contactId: [...contactIds].sort()[0],
      name: 'SMS Opted In',
      properties: { phone: PHONE, by: 'inbound:再開', keyword: '再開' },
    });
    expect(await send('marketing')).toMatchObject([{ outcome: 'sent', to: PHONE }]);

    // START again when not opted out: answered, nothing written.
    expect(await (await text('START')).text()).toContain('配信を再開しました');
    expect(await smsEvents()).toHaveLength(4);
  });

  it('HELP and ヘルプ are answered and change nothing; any other text gets no reply', async () => {
    const { text, rows } = await setup({ locale: 'ja' });
    const before = await rows();
    expect(await (await text('ヘルプ')).text()).toContain(
      '<Message>Kizuna ShopからのSMSです。配信停止は「停止」、再開は「再開」と返信してください。</Message>',
    );
    expect(await (await text('help')).text()).toContain('Kizuna ShopからのSMSです');
    expect(await (await text('明日の予約を変更したいです。stop')).text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect(await rows()).toEqual(before);
  });

  it('an unsigned, forged or replayed webhook is refused with 403 and changes nothing', async () => {
    const { webhook, workspaceId, rows } = await setup();
    const other = await createSmsTestApp(database.current);
    const before = await rows();
    const fields: [string, string][] = [
      ['From', PHONE],
      ['Body', 'STOP'],
    ];
    const path = `/sms/${workspaceId}/inbound`;
    const refused = async (res: Response, detail: string) => {
      expect(res.status).toBe(403);
      expect((await res.json()).detail).toContain(detail);
    };
    await refused(await webhook(path, fields, { signature: null }), 'missing X-Twilio-Signature');
    await refused(await webhook(path, fields, { signature: 'bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==' }), 'does not match');
    // Signed with someone else's key, and a genuine signature for other fields.
    await refused(
      await webhook(path, fields, { signature: twilioSignature('guessed', SMS_TEST_PUBLIC_URL + path, fields) }),
      'does not match',
    );
    const genuine = twilioSignature(SMS_TEST_TOKEN, SMS_TEST_PUBLIC_URL + path, [
      ['From', PHONE],
      ['Body', 'HELP'],
    ]);
    await refused(await webhook(path, fields, { signature: genuine }), 'does not match');
    // A STOP signed for another workspace's URL does not opt anyone out here.
    const elsewhere = twilioSignature(SMS_TEST_TOKEN, `${SMS_TEST_PUBLIC_URL}/sms/${other.ws.workspaceId}/inbound`, fields);
    await refused(await webhook(path, fields, { signature: elsewhere }), 'does not match');
    expect(await rows()).toEqual(before);
  });

  it('without an auth token configured every webhook is refused', async () => {
    const t = await createSmsTestApp(database.current, { authToken: null });
    const res = await t.webhook(`/sms/${t.ws.workspaceId}/inbound`, [
      ['From', PHONE],
      ['Body', 'STOP'],
    ]);
    expect(res.status).toBe(403);
    expect((await res.json()).detail).toContain('KIZUNA_SMS_AUTH_TOKEN is not set');
  });

  it('a signed webhook with a missing or unusable field is a 400 naming it; a non-form body is 415; an unknown workspace 404', async () => {
    const { webhook, workspaceId, rows } = await setup();
    const before = await rows();
    const noFrom = await webhook(`/sms/${workspaceId}/inbound`, [['Body', 'STOP']]);
    expect(noFrom.status).toBe(400);
    expect((await noFrom.json()).errors).toEqual([{ path: 'From', message: 'required: the sender’s number, e.g. +819012345678' }]);
    const shortCode = await webhook(`/sms/${workspaceId}/inbound`, [
      ['From', 'KIZUNA'],
      ['Body', 'STOP'],
    ]);
    expect(shortCode.status).toBe(400);
    expect((await shortCode.json()).errors[0].path).toBe('From');
    const json = await webhook(`/sms/${workspaceId}/inbound`, [['From', PHONE]], { contentType: 'application/json' });
    expect(json.status).toBe(415);
    const unknown = await webhook(`/sms/${crypto.randomUUID()}/inbound`, [
      ['From', PHONE],
      ['Body', 'STOP'],
    ]);
    expect(unknown.status).toBe(404);
    expect(await rows()).toEqual(before);
  });
});

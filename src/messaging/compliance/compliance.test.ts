import { describe, expect, it } from 'vitest';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { countWorkspaceRows, useTestDatabase } from '../../platform/db/test-database.ts';
import { instanceSecret } from '../../platform/instance-secret.ts';
import { createScoringModel, publishScoringModel, rescoreModel } from '../../scoring/models.ts';
import { createTestApp, createTestWorkspace } from '../../server/test-app.ts';
import { confirmOptIn, resubscribe } from './opt-in.ts';
import { checkSendPolicy, suppress } from './suppression.ts';
import { COMPLIANCE_SECRET, signUnsubscribeToken, type UnsubscribeClaims, verifyUnsubscribeToken } from './unsubscribe-token.ts';

const database = useTestDatabase();
const TABLES = ['suppressions', 'topic_preferences', 'contact_preferences', 'consents', 'optin_confirmations', 'events'] as const;

async function setup({ locale }: { locale?: string } = {}) {
  const { db } = database.current;
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  const { workspaceId } = ws;
  const call = async (path: string, init: { method?: string; json?: unknown } = {}) => {
    const res = await app.request(path, { key: ws.adminKey, ...init });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  const contact = (await call('/api/contacts', { json: { email: 'Taro@Example.jp', lastName: '山田', locale } })).body as { id: string };
  for (const [key, nameJa, nameEn] of [
    ['news', 'ニュースレター', 'Newsletter'],
    ['events', 'イベント案内', 'Events'],
  ])
    await call('/api/topics', { json: { key, nameJa, nameEn } });
  const secret = await instanceSecret(db, COMPLIANCE_SECRET, app.clock);
  const claims = { workspaceId, contactId: contact.id, email: 'taro@example.jp' };
  const token = (extra: Partial<UnsubscribeClaims> = {}) => signUnsubscribeToken({ purpose: 'preferences', ...claims, ...extra }, secret);
  const recipient = [{ contactId: contact.id, email: 'taro@example.jp' }];
  const policy = async (kind: 'marketing' | 'transactional', topic?: string) => {
    const [decision] = await checkSendPolicy(db, workspaceId, recipient, { kind, topic });
    return decision?.allowed ? 'allowed' : decision?.reason;
  };
  const rows = () => countWorkspaceRows(database.current, workspaceId, TABLES);
  const events = async () =>
    (
      await db
        .selectFrom('events')
        .select(['name', 'properties'])
        .where('workspace_id', '=', workspaceId)
        .where('contact_id', '=', contact.id)
        .orderBy('received_at')
        .execute()
    ).filter((e) => e.name !== null);
  const deps = { clock: app.clock, partitions: createPartitionCache() };
  const form = (fields: [string, string][]) => ({
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.7' },
  });
  return { db, app, ws, workspaceId, call, contactId: contact.id, secret, token, policy, rows, events, deps, form };
}

describe('one-click unsubscribe', () => {
  it('a POST suppresses within the request: marketing is blocked, transactional still passes, scores drop by 15', async () => {
    const { db, app, workspaceId, contactId, token, policy, events, deps } = await setup();
    const model = await createScoringModel(
      db,
      workspaceId,
      {
        name: 'Engagement',
        definition: {
          rules: [
            {
              id: 'has_email',
              label: 'email',
              kind: 'attribute',
              condition: { type: 'field', field: 'email', operator: 'is_set' },
              points: 20,
            },
            { id: 'unsubscribe', label: 'メール配信停止', kind: 'behavior', event: 'Unsubscribed', points: -15 },
          ],
          bands: [{ name: 'All', min: 0 }],
        },
      },
      deps.clock,
    );
    await publishScoringModel(db, workspaceId, model.id, deps.clock);
    await rescoreModel(db, workspaceId, model.id, deps.clock);
    const score = async () =>
      (
        await db
          .selectFrom('contact_scores')
          .select('score')
          .where('model_id', '=', model.id)
          .where('contact_id', '=', contactId)
          .executeTakeFirst()
      )?.score;
    expect(await score()).toBe(20);
    expect(await policy('marketing')).toBe('allowed');

    const res = await app.request(`/u/${token({ deliveryId: 'd-1' })}`, {
      method: 'POST',
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-robots-tag')).toBe('noindex');
    expect(await res.text()).toContain('配信を停止しました');
    expect(await policy('marketing')).toBe('unsubscribe');
    expect(await policy('marketing', 'news')).toBe('unsubscribe');
    expect(await policy('transactional')).toBe('allowed');
    expect((await events()).map((e) => [e.name, e.properties.source, e.properties.deliveryId])).toEqual([
      ['Unsubscribed', 'one_click', 'd-1'],
    ]);
    expect(await score()).toBe(5);

    // An empty body (the page's own button) works too, and a repeat stores nothing twice.
    expect((await app.request(`/u/${token()}`, { method: 'POST' })).status).toBe(200);
    expect(await db.selectFrom('suppressions').select('reason').where('workspace_id', '=', workspaceId).execute()).toEqual([
      { reason: 'unsubscribe' },
    ]);
  });

  it('a GET shows the preference page and changes nothing', async () => {
    const { app, token, rows } = await setup({ locale: 'en-US' });
    const before = await rows();
    const res = await app.request(`/u/${token()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-robots-tag')).toBe('noindex');
    const page = await res.text();
    expect(page).toContain('<html lang="en">');
    for (const text of ['Newsletter', 'Events', 'name="frequency"', 'Unsubscribe from all', 'value="news" checked'])
      expect(page).toContain(text);
    expect(await rows()).toEqual(before);
    expect(before.suppressions).toBe(0);
  });

  it('a Japanese contact gets the Japanese page; its form saves topics and frequency', async () => {
    const { app, token, policy, events, form } = await setup({ locale: 'ja-JP' });
    expect(await (await app.request(`/u/${token()}`)).text()).toContain('ニュースレター');
    const res = await app.request(`/u/${token()}/preferences`, {
      method: 'POST',
      ...form([
        ['action', 'save'],
        ['topic', 'events'],
        ['frequency', 'monthly'],
      ]),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('設定を保存しました');
    expect(await policy('marketing', 'news')).toBe('topic_opt_out');
    expect(await policy('marketing', 'events')).toBe('allowed');
    // Both in one transaction, at one instant.
    expect((await events()).map((e) => `${e.name}:${e.properties.topic ?? e.properties.frequency}`).sort()).toEqual([
      'Preferences Updated:monthly',
      'Unsubscribed:news',
    ]);
  });

  it('a tampered token or one of another purpose is a 400 and changes nothing', async () => {
    const { app, token, rows, workspaceId, contactId, secret } = await setup();
    const before = await rows();
    const good = token();
    const [payload, mac] = good.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify(['preferences', workspaceId, contactId, 'someone@else.jp', null, null, null])).toString(
      'base64url',
    );
    const confirmToken = signUnsubscribeToken(
      { purpose: 'confirm', workspaceId, contactId, email: 'taro@example.jp', confirmationId: contactId },
      secret,
    );
    for (const bad of [`${forged}.${mac}`, `${payload}.${mac.slice(0, -2)}xx`, payload, confirmToken]) {
      for (const [method, path] of [
        ['POST', `/u/${bad}`],
        ['GET', `/u/${bad}`],
        ['POST', `/u/${bad}/preferences`],
      ] as const) {
        const res = await app.request(path, { method, body: method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined });
        expect(res.status, `${method} ${path}`).toBe(400);
      }
    }
    // A preferences token cannot confirm a double opt-in.
    expect((await app.request(`/confirm/${good}`, { method: 'POST' })).status).toBe(400);
    expect((await app.request(`/confirm/${good}`)).status).toBe(400);
    expect(verifyUnsubscribeToken(good, 'confirm', secret)).toBeUndefined();
    expect(await rows()).toEqual(before);
  });
});

describe('topics, bounces and re-subscription', () => {
  it('a topic one-click blocks that topic only', async () => {
    const { app, token, policy, events } = await setup();
    expect((await app.request(`/u/${token({ topic: 'news' })}`, { method: 'POST', body: 'List-Unsubscribe=One-Click' })).status).toBe(200);
    expect(await policy('marketing', 'news')).toBe('topic_opt_out');
    expect(await policy('marketing', 'events')).toBe('allowed');
    expect(await policy('marketing')).toBe('allowed');
    expect(await policy('transactional', 'news')).toBe('allowed');
    expect((await events()).map((e) => [e.name, e.properties.topic])).toEqual([['Unsubscribed', 'news']]);
  });

  it('a hard bounce blocks transactional too; re-subscribing does not lift it', async () => {
    const { db, workspaceId, contactId, policy, deps, secret } = await setup();
    await suppress(
      db,
      { workspaceId, email: 'TARO@example.jp', reason: 'hard_bounce', source: 'dsn', detail: '550 5.1.1 user unknown' },
      deps,
    );
    await suppress(db, { workspaceId, email: 'taro@example.jp', contactId, reason: 'unsubscribe', source: 'one_click' }, deps);
    expect(await policy('transactional')).toBe('hard_bounce');
    const links = { publicUrl: 'https://mail.example.com', secret };
    const result = await resubscribe(db, { workspaceId, contactId, source: 'api' }, links, deps);
    if (result.status !== 'pending') throw new Error('expected a pending confirmation');
    const claims = verifyUnsubscribeToken(result.confirmUrl.split('/confirm/')[1] ?? '', 'confirm', secret);
    expect(await confirmOptIn(db, { claims: claims!, ip: '198.51.100.1' }, deps)).toBe('confirmed');
    expect(await policy('marketing')).toBe('hard_bounce');
    expect(await policy('transactional')).toBe('hard_bounce');
    const active = await db
      .selectFrom('suppressions')
      .select('reason')
      .where('workspace_id', '=', workspaceId)
      .where('lifted_at', 'is', null)
      .execute();
    expect(active).toEqual([{ reason: 'hard_bounce' }]);
  });

  it('re-subscribing after an unsubscribe needs the confirm POST and records the consent', async () => {
    const { db, app, token, policy, workspaceId, secret, contactId, form, events } = await setup();
    await app.request(`/u/${token()}`, { method: 'POST', body: 'List-Unsubscribe=One-Click' });
    expect(await (await app.request(`/u/${token()}`)).text()).toContain('すべてのマーケティングメールの配信を停止しています');
    const res = await app.request(`/u/${token()}/preferences`, { method: 'POST', ...form([['action', 'resubscribe']]) });
    expect(res.status).toBe(200);
    expect(await policy('marketing')).toBe('unsubscribe');
    const pending = await db
      .selectFrom('optin_confirmations')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    expect(pending).toMatchObject({
      email: 'taro@example.jp',
      source: 'preference_center',
      requested_ip: '203.0.113.7',
      confirmed_at: null,
    });
    const confirm = signUnsubscribeToken(
      { purpose: 'confirm', workspaceId, contactId, email: 'taro@example.jp', confirmationId: pending.id },
      secret,
    );

    // The GET shows the wording and a button; only the POST confirms.
    const page = await app.request(`/confirm/${confirm}`);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await page.text()).toContain(pending.wording);
    expect(await policy('marketing')).toBe('unsubscribe');
    expect(await db.selectFrom('consents').select('id').where('workspace_id', '=', workspaceId).execute()).toEqual([]);

    app.clock.advance(60_000);
    const confirmed = await app.request(`/confirm/${confirm}`, { method: 'POST', headers: { 'x-forwarded-for': '198.51.100.9' } });
    expect(confirmed.status).toBe(200);
    expect(await policy('marketing')).toBe('allowed');
    const consents = await db.selectFrom('consents').selectAll().where('workspace_id', '=', workspaceId).execute();
    expect(consents).toEqual([
      expect.objectContaining({
        contact_id: contactId,
        purpose: 'email_marketing',
        granted: true,
        wording: pending.wording,
        source: 'double_opt_in:preference_center',
        ip: '198.51.100.9',
        recorded_at: app.clock.now(),
      }),
    ]);
    expect((await events()).map((e) => e.name)).toEqual(['Unsubscribed', 'Subscribed']);
    // Confirming again is harmless.
    expect((await app.request(`/confirm/${confirm}`, { method: 'POST' })).status).toBe(200);
    expect((await db.selectFrom('consents').select('id').where('workspace_id', '=', workspaceId).execute()).length).toBe(1);
  });
});

describe('compliance API', () => {
  it('manages topics, suppressions and a contact’s preferences', async () => {
    const { call, contactId, policy } = await setup();
    const topics = (await call('/api/topics')).body.items as { id: string; key: string }[];
    expect(topics.map((t) => t.key)).toEqual(['events', 'news']);
    const patched = await call(`/api/topics/${topics[0]!.id}`, {
      method: 'PATCH',
      json: { defaultSubscribed: false, nameEn: 'Event invitations' },
    });
    expect(patched.body).toMatchObject({ key: 'events', defaultSubscribed: false, nameEn: 'Event invitations' });
    expect(await policy('marketing', 'events')).toBe('topic_opt_out');
    expect((await call('/api/topics', { json: { key: 'news', nameJa: 'x', nameEn: 'x' } })).status).toBe(409);

    const put = await call(`/api/contacts/${contactId}/preferences`, {
      method: 'PUT',
      json: { topics: { events: true }, frequency: 'weekly' },
    });
    expect(put.body).toMatchObject({
      frequency: 'weekly',
      unsubscribed: false,
      topics: [
        { key: 'events', subscribed: true },
        { key: 'news', subscribed: true },
      ],
    });
    expect(await policy('marketing', 'events')).toBe('allowed');

    const created = await call('/api/suppressions', { json: { email: 'Taro@Example.jp', detail: 'asked by phone' } });
    expect(created).toMatchObject({ status: 201, body: { email: 'taro@example.jp', contactId, reason: 'manual', source: 'api' } });
    expect(await policy('marketing')).toBe('manual');
    expect(await policy('transactional')).toBe('allowed');
    expect((await call('/api/suppressions?active=true')).body.items).toHaveLength(1);
    expect((await call(`/api/contacts/${contactId}/preferences`)).body.suppressions).toHaveLength(1);
    const lifted = await call(`/api/suppressions/${created.body.id}`, { method: 'DELETE' });
    expect(lifted.body.liftedAt).not.toBeNull();
    expect(await policy('marketing')).toBe('allowed');
    expect((await call(`/api/suppressions/${created.body.id}`, { method: 'DELETE' })).status).toBe(404);

    expect((await call(`/api/topics/${topics[1]!.id}`, { method: 'DELETE' })).status).toBe(204);
    await expect(policy('marketing', 'news')).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('bad input is a 400 naming the field, and nothing is stored', async () => {
    const { call, contactId, rows, workspaceId } = await setup();
    const before = await rows();
    const topicsBefore = await countWorkspaceRows(database.current, workspaceId, ['subscription_topics']);
    const cases: [string, string, unknown, string[]][] = [
      ['POST', '/api/suppressions', { email: 'not an address' }, ['email']],
      ['POST', '/api/suppressions', { email: 'a@b.jp', reason: 'bored' }, ['reason']],
      ['POST', '/api/topics', { key: 'Bad Key', nameJa: 'x', nameEn: 'x' }, ['key']],
      ['POST', '/api/topics', { key: 'ok', nameJa: '', nameEn: 'x' }, ['nameJa']],
      ['PUT', `/api/contacts/${contactId}/preferences`, { frequency: 'daily' }, ['frequency']],
      ['PUT', `/api/contacts/${contactId}/preferences`, { topics: { news: false, nope: false } }, ['topics.nope']],
      ['PUT', `/api/contacts/${contactId}/preferences`, { topics: { news: 'no' } }, ['topics.news']],
    ];
    for (const [method, path, json, fields] of cases) {
      const { status, body } = await call(path, { method, json });
      expect(status, JSON.stringify(json)).toBe(400);
      expect(body.errors.map((e: { path: string }) => e.path)).toEqual(fields);
    }
    expect(await rows()).toEqual(before);
    expect(await countWorkspaceRows(database.current, workspaceId, ['subscription_topics'])).toEqual(topicsBefore);
  });

  it('checks a batch in one call: missing addresses and unknown topics', async () => {
    const { db, workspaceId, contactId } = await setup();
    const decisions = await checkSendPolicy(
      db,
      workspaceId,
      [
        { contactId, email: 'taro@example.jp' },
        { contactId, email: null },
        { contactId, email: '  ' },
      ],
      { kind: 'transactional' },
    );
    expect(decisions.map((d) => (d.allowed ? `allowed:${d.frequency}` : d.reason))).toEqual(['allowed:all', 'no_email', 'no_email']);
    await expect(
      checkSendPolicy(db, workspaceId, [{ contactId, email: 'taro@example.jp' }], { kind: 'marketing', topic: 'nope' }),
    ).rejects.toMatchObject({
      issues: [{ path: 'topic' }],
    });
  });
});

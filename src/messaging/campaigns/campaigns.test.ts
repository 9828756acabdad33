import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartitionCache, ensureEventPartitions } from '../../events/event-partitions.ts';
import { loadConfig } from '../../platform/config.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../../server/test-app.ts';
import { createMailSink, type MailSink } from '../smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../smtp/transport.ts';

const database = useTestDatabase();
let sink: MailSink;
let transport: MailTransport;
beforeAll(async () => {
  sink = createMailSink({ port: 0, maxMessages: 5000 });
  transport = createMailTransport({ config: loadConfig({ env: {}, flags: { logLevel: 'silent' } }), sink: await sink.start() });
});
afterAll(async () => {
  transport.close();
  await sink.stop();
});

const HOUR = 3_600_000;
const BODY =
  '<p>{{ contact.lastName }} 様</p><p><a href="https://example.com/offer">offer</a></p><p><a href="{{ unsubscribe_url }}">配信停止</a></p>';

/** A workspace with a published template, a list of `n` contacts and an admin API. */
async function setup(n: number) {
  const app = createTestApp(database.current, { mail: { mailer: transport } });
  const ws = await createTestWorkspace(database.current, app.clock);
  const api = async (path: string, init: { method?: string; json?: unknown } = {}) => {
    const res = await app.request(path, { key: ws.adminKey, ...init });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  const template = (
    await api('/api/templates', {
      json: {
        name: 'News',
        definition: { format: 'html', defaultLocale: 'ja', locales: { ja: { subject: '{{ contact.lastName }} 様へ', body: BODY } } },
      },
    })
  ).body;
  await api(`/api/templates/${template.id}/publish`, { method: 'POST' });
  const list = (await api('/api/lists', { json: { name: 'All' } })).body;
  const { db } = database.current;
  await sql`
    INSERT INTO contacts (id, workspace_id, email, last_name, created_at, updated_at)
    SELECT gen_random_uuid(), ${ws.workspaceId}, 'c' || n || '@example.jp', '山田' || n, ${app.clock.now()}, ${app.clock.now()}
    FROM generate_series(1, ${n}) AS n`.execute(db);
  await sql`
    INSERT INTO list_members (workspace_id, list_id, contact_id, added_at)
    SELECT workspace_id, ${list.id}, id, created_at FROM contacts WHERE workspace_id = ${ws.workspaceId}`.execute(db);
  const run = async () => {
    while ((await app.drainJobs()) > 0) {}
  };
  const deliveries = () =>
    db.selectFrom('deliveries').selectAll().where('workspace_id', '=', ws.workspaceId).orderBy('due_at').orderBy('id').execute();
  return { app, ws, api, template, list, run, deliveries, db };
}

describe('broadcast campaigns', () => {
  it('sends to a list when scheduled, is sent once nothing is pending, and reports what happened', async () => {
    const { app, ws, api, template, list, run } = await setup(5);
    const created = await api('/api/campaigns', {
      json: { name: '12月のお知らせ', definition: { templateId: template.id, audience: { listId: list.id }, utm: { campaign: 'dec' } } },
    });
    expect(created).toMatchObject({ status: 201, body: { status: 'draft' } });
    const id = created.body.id;
    expect((await api(`/api/campaigns/${id}/schedule`, { json: {} })).body.status).toBe('scheduled');
    await run();
    expect((await sink.waitFor(5, { workspaceId: ws.workspaceId })).map((m) => m.subject).sort()).toEqual([
      '山田1 様へ',
      '山田2 様へ',
      '山田3 様へ',
      '山田4 様へ',
      '山田5 様へ',
    ]);
    expect((await api(`/api/campaigns/${id}`)).body.status).toBe('sending');
    app.clock.advance(2 * 60_000);
    await run();
    expect((await api(`/api/campaigns/${id}`)).body).toMatchObject({ status: 'sent', finishedAt: expect.any(String) });
    const report = (await api(`/api/campaigns/${id}/report`)).body;
    expect(report.total).toMatchObject({ queued: 5, sent: 5, delivered: 5, pending: 0, uniqueOpens: 0, conversions: null });
    expect((await api(`/api/deliveries?campaignId=${id}`)).body.items).toHaveLength(5);
    // Scheduling again, editing or deleting a started campaign: refused.
    expect((await api(`/api/campaigns/${id}/schedule`, { json: {} })).status).toBe(409);
    expect((await api(`/api/campaigns/${id}`, { method: 'DELETE' })).status).toBe(409);
  });

  it('refuses a campaign naming a template, list or topic the workspace does not have, naming the field', async () => {
    const { api, template, list } = await setup(0);
    const missing = '00000000-0000-4000-8000-000000000000';
    const bad = await api('/api/campaigns', {
      json: { name: 'x', definition: { templateId: missing, audience: { listId: missing }, topic: 'nope' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'definition.templateId',
      'definition.audience.listId',
      'definition.topic',
    ]);
    const shape = await api('/api/campaigns', {
      json: {
        name: 'x',
        definition: {
          templateId: template.id,
          audience: { listId: list.id },
          throttlePerHour: 0,
          sendWindow: { start: '9:00', end: '18:00' },
        },
      },
    });
    expect(shape.status).toBe(400);
    expect(shape.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'definition.sendWindow.start',
      'definition.throttlePerHour',
    ]);
    expect((await api('/api/campaigns')).body.items).toEqual([]);
  });

  it('spreads a throttled broadcast evenly over the hour and can be cancelled: what was not sent is skipped', async () => {
    const { app, api, template, list, run, deliveries } = await setup(6);
    const { body } = await api('/api/campaigns', {
      json: { name: 'Slow', definition: { templateId: template.id, audience: { listId: list.id }, throttlePerHour: 6 } },
    });
    await api(`/api/campaigns/${body.id}/schedule`, { json: {} });
    await run();
    const rows = await deliveries();
    const start = app.clock.now().getTime();
    // The first went at once (its due time is now its send lease); the rest are ten minutes apart.
    expect(rows.map((r) => r.status)).toEqual(['sent', 'queued', 'queued', 'queued', 'queued', 'queued']);
    expect(rows.slice(1).map((r) => (r.due_at.getTime() - start) / 60_000)).toEqual([10, 20, 30, 40, 50]);
    app.clock.advance(10 * 60_000);
    await run();
    expect((await api(`/api/campaigns/${body.id}/cancel`, { method: 'POST' })).body.status).toBe('cancelled');
    const report = (await api(`/api/campaigns/${body.id}/report`)).body;
    expect(report.total).toMatchObject({ sent: 2, skipped: { cancelled: 4 }, pending: 0 });
  });

  it('sends each contact at their usual open hour with send-time optimisation, others at the fallback hour', async () => {
    const { app, ws, api, template, list, run, deliveries, db } = await setup(2);
    const [early] = await db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', ws.workspaceId)
      .where('email', '=', 'c1@example.jp')
      .execute();
    await ensureEventPartitions(db, [new Date('2026-03-01T00:00:00Z')], createPartitionCache());
    // Opens at 20:xx Tokyo time (11:xx UTC) on three days; one machine open at 03:00 that must not count.
    for (const [at, machine] of [
      ['2026-03-20T11:05:00Z', false],
      ['2026-03-21T11:40:00Z', false],
      ['2026-03-25T11:10:00Z', false],
      ['2026-03-26T18:00:00Z', true],
      ['2026-03-27T18:00:00Z', true],
      ['2026-03-28T18:00:00Z', true],
      ['2026-03-29T18:00:00Z', true],
    ] as const)
      await sql`INSERT INTO events (workspace_id, id, message_id, type, name, contact_id, properties, context, occurred_at, received_at)
        VALUES (${ws.workspaceId}, gen_random_uuid(), gen_random_uuid()::text, 'track', 'Email Opened', ${early!.id},
          ${JSON.stringify({ machine })}::jsonb, '{}'::jsonb, ${new Date(at)}, ${new Date(at)})`.execute(db);
    const { body } = await api('/api/campaigns', {
      json: { name: 'STO', definition: { templateId: template.id, audience: { listId: list.id }, sendTimeOptimization: true } },
    });
    await api(`/api/campaigns/${body.id}/schedule`, { json: {} }); // 2026-04-01 09:00 Tokyo
    await run();
    expect(app.clock.now().toISOString()).toBe('2026-04-01T00:00:00.000Z');
    const rows = await deliveries();
    expect(rows.map((r) => [r.contact_id === early!.id ? 'history' : 'none', r.due_at.toISOString()])).toEqual([
      ['none', '2026-04-01T01:00:00.000Z'], // the fallback, 10:00 Tokyo
      ['history', '2026-04-01T11:00:00.000Z'], // 20:00 Tokyo
    ]);
  });

  it('A/B: a seeded split, the winner by opens of people (not machines), and the remainder gets only the winner', async () => {
    const { app, ws, api, template, list, run, deliveries, db } = await setup(100);
    const definition = {
      templateId: template.id,
      audience: { listId: list.id },
      abTest: {
        variants: [
          { key: 'A', subject: 'A: {{ contact.lastName }} 様へのご案内' },
          { key: 'B', subject: 'B: {{ contact.lastName }} 様、今だけの特典' },
        ],
        testPercent: 40,
        metric: { kind: 'opens' },
        testHours: 4,
        seed: 'december',
      },
    };
    const { body } = await api('/api/campaigns', { json: { name: 'Subject test', definition } });
    await api(`/api/campaigns/${body.id}/schedule`, { json: {} });
    await run();
    let rows = await deliveries();
    expect(rows.map((r) => r.variant).sort()).toEqual([...Array(20).fill('A'), ...Array(20).fill('B')]);
    expect((await api(`/api/campaigns/${body.id}`)).body.status).toBe('testing');
    const mails = await sink.waitFor(40, { workspaceId: ws.workspaceId });
    expect(new Set(mails.map((m) => m.subject.slice(0, 2)))).toEqual(new Set(['A:', 'B:']));
    // Same seed, same audience: the same split (deterministic), recorded per contact.
    const split = new Map(rows.map((r) => [r.contact_id, r.variant]));

    // People open 12 of B and 4 of A; Apple's proxy "opens" every A message (machine opens do not count).
    const people = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/128.0' };
    const pixels = new Map(mails.map((m) => [m.headers['x-kizuna-delivery']![0]!, /\/o\/([^"]+)"/.exec(m.html!)![0].slice(0, -1)]));
    app.clock.advance(HOUR);
    let a = 0;
    let b = 0;
    for (const r of rows) {
      const pixel = pixels.get(r.id)!;
      if (r.variant === 'A') await app.request(pixel, { headers: { 'user-agent': 'Mozilla/5.0', 'x-forwarded-for': '17.1.2.3' } });
      if (r.variant === 'A' && a++ < 4) await app.request(pixel, { headers: people });
      if (r.variant === 'B' && b++ < 12) await app.request(pixel, { headers: people });
    }
    app.clock.advance(3 * HOUR);
    await run();
    const campaign = (await api(`/api/campaigns/${body.id}`)).body;
    expect(campaign.abResult).toMatchObject({
      winner: 'B',
      test: 'two-proportion z-test',
      rates: { A: 0.2, B: 0.6 },
      significant: true,
      variants: [
        { key: 'A', sent: 20, successes: 4 },
        { key: 'B', sent: 20, successes: 12 },
      ],
    });
    rows = await deliveries();
    const remainder = rows.filter((r) => r.source.endsWith(':remainder'));
    expect(remainder).toHaveLength(60);
    expect(new Set(remainder.map((r) => r.variant))).toEqual(new Set(['B']));
    for (const r of rows.filter((x) => !x.source.endsWith(':remainder'))) expect(split.get(r.contact_id)).toBe(r.variant);
    const all = await sink.waitFor(100, { workspaceId: ws.workspaceId });
    const remainderIds = new Set(remainder.map((r) => r.id));
    expect(new Set(all.filter((m) => remainderIds.has(m.headers['x-kizuna-delivery']![0]!)).map((m) => m.subject.slice(0, 2)))).toEqual(
      new Set(['B:']),
    );
    // Every contact of the list got exactly one message.
    expect(new Set(rows.map((r) => r.contact_id)).size).toBe(100);
    const report = (await api(`/api/campaigns/${body.id}/report`)).body;
    expect(
      report.variants.map((v: { key: string; sent: number; uniqueOpens: number; machineOpens: number }) => [
        v.key,
        v.sent,
        v.uniqueOpens,
        v.machineOpens,
      ]),
    ).toEqual([
      ['A', 20, 4, 16],
      ['B', 20, 12, 0],
      ['B:remainder', 60, 0, 0],
    ]);
    void db;
  });
});

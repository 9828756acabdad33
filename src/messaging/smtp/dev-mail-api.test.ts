import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVirtualClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createLogger } from '../../platform/logger.ts';
import { createApp } from '../../server/app.ts';
import { createTestApp, createTestWorkspace } from '../../server/test-app.ts';
import { createMailSink, type MailSink } from './sink.ts';
import { createMailTransport, type MailTransport } from './transport.ts';

const database = useTestDatabase();
let sink: MailSink;
let transport: MailTransport;
beforeAll(async () => {
  sink = createMailSink({ port: 0 });
  const config = loadConfig({ env: {}, flags: { logLevel: 'silent' } });
  transport = createMailTransport({ config, sink: await sink.start() });
});
afterAll(async () => {
  transport.close();
  await sink.stop();
});

describe('GET/DELETE /api/dev/mail', () => {
  it('shows each workspace only its own caught mail', async () => {
    const app = createTestApp(database.current, { mail: { mailer: transport, devMailbox: sink.mailbox } });
    const a = await createTestWorkspace(database.current, app.clock, 'A');
    const b = await createTestWorkspace(database.current, app.clock, 'B');
    for (const [ws, n] of [
      [a, 1],
      [b, 1],
      [a, 2],
      [b, 2],
      [b, 3],
    ] as const)
      await transport.sendMail({
        workspaceId: ws.workspaceId,
        to: 'taro@example.jp',
        subject: `件名 ${ws === a ? 'A' : 'B'}${n}`,
        html: '<p>本文</p>',
      });
    await sink.waitFor(2, { workspaceId: a.workspaceId });
    await sink.waitFor(3, { workspaceId: b.workspaceId });

    const listed = await (await app.request('/api/dev/mail', { key: b.readKey })).json();
    expect(listed.items.map((m: { subject: string }) => m.subject)).toEqual(['件名 B3', '件名 B2', '件名 B1']);
    expect(listed.items[0]).not.toHaveProperty('html');
    const limited = await (await app.request('/api/dev/mail?limit=1', { key: b.readKey })).json();
    expect(limited.items.map((m: { subject: string }) => m.subject)).toEqual(['件名 B3']);

    const one = await app.request(`/api/dev/mail/${listed.items[0].id}`, { key: b.readKey });
    expect(await one.json()).toMatchObject({
      subject: '件名 B3',
      html: '<p>本文</p>',
      envelope: { to: ['taro@example.jp'] },
      headers: { 'x-kizuna-workspace': [b.workspaceId] },
    });
    const aMail = sink.list({ workspaceId: a.workspaceId })[0]!;
    expect((await app.request(`/api/dev/mail/${aMail.id}`, { key: b.adminKey })).status).toBe(404);

    expect((await app.request('/api/dev/mail', { method: 'DELETE', key: b.readKey })).status).toBe(403);
    const cleared = await app.request('/api/dev/mail', { method: 'DELETE', key: b.adminKey });
    expect(await cleared.json()).toEqual({ deleted: 3 });
    expect((await (await app.request('/api/dev/mail', { key: b.adminKey })).json()).items).toEqual([]);
    const aListed = await (await app.request('/api/dev/mail', { key: a.adminKey })).json();
    expect(aListed.items.map((m: { subject: string }) => m.subject)).toEqual(['件名 A2', '件名 A1']);
  });

  it('says the dev mailbox exists only in sink mode', async () => {
    const config = loadConfig({ env: { KIZUNA_MAIL_MODE: 'smtp', KIZUNA_SMTP_HOST: 'smtp.example.com' }, flags: { logLevel: 'silent' } });
    const clock = createVirtualClock();
    const { db, engine } = database.current;
    const app = createApp({ db, engine, clock, config, logger: createLogger(config) });
    const { adminKey } = await createTestWorkspace(database.current, clock);
    const res = await app.request('/api/dev/mail', { headers: { authorization: `Bearer ${adminKey}` } });
    expect(res.status).toBe(404);
    expect((await res.json()).detail).toMatch(/the dev mailbox exists only in sink mode; KIZUNA_MAIL_MODE is smtp/);

    // Sink mode in a process without the sink (kizuna serve): also told where the mailbox is.
    const serveApp = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current, serveApp.clock);
    const elsewhere = await serveApp.request('/api/dev/mail', { key: ws.adminKey });
    expect(elsewhere.status).toBe(404);
    expect((await elsewhere.json()).detail).toMatch(/in the process that runs the sink/);
  });
});

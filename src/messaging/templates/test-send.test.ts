import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../../server/test-app.ts';
import { createMailSink, type MailSink } from '../smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../smtp/transport.ts';

const database = useTestDatabase();
let sink: MailSink;
let transport: MailTransport;
beforeAll(async () => {
  sink = createMailSink({ port: 0 });
  transport = createMailTransport({ config: loadConfig({ env: {}, flags: { logLevel: 'silent' } }), sink: await sink.start() });
});
afterAll(async () => {
  transport.close();
  await sink.stop();
});

describe('POST /api/templates/{id}/test-send', () => {
  it('mails the rendered draft to the team now, marked as a test, with placeholder links and nothing queued', async () => {
    const app = createTestApp(database.current, { mail: { mailer: transport } });
    const ws = await createTestWorkspace(database.current, app.clock);
    const request = (path: string, json?: unknown) => app.request(path, { key: ws.adminKey, json });
    const body = '<p>{{ contact.lastName | default: "お客様" }} 様</p><p><a href="{{ unsubscribe_url }}">配信停止</a></p>';
    const template = await (
      await request('/api/templates', {
        name: 'Test',
        definition: { format: 'html', defaultLocale: 'ja', locales: { ja: { subject: 'ご案内', body } } },
      })
    ).json();
    const res = await request(`/api/templates/${template.id}/test-send`, { to: ['team@example.com', 'qa@example.com'] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      subject: '[TEST] ご案内',
      sent: [
        { to: 'team@example.com', accepted: true },
        { to: 'qa@example.com', accepted: true },
      ],
    });
    const mails = await sink.waitFor(2, { workspaceId: ws.workspaceId });
    expect(mails.map((m) => [m.to, m.subject, m.headers['x-kizuna-test']?.[0]])).toEqual([
      ['team@example.com', '[TEST] ご案内', 'yes'],
      ['qa@example.com', '[TEST] ご案内', 'yes'],
    ]);
    expect(mails[0]!.html).toContain('山田 様');
    expect(mails[0]!.html).toContain('https://kizuna.invalid/preview/unsubscribe');
    const { db } = database.current;
    expect(await db.selectFrom('deliveries').select('id').where('workspace_id', '=', ws.workspaceId).execute()).toEqual([]);

    const bad = await request(`/api/templates/${template.id}/test-send`, { to: ['not-an-address'] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors.map((e: { path: string }) => e.path)).toEqual(['to.0']);
  });
});

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACKING_SECRET, verifyTrackingToken } from '../../events/tracking-token.ts';
import { loadConfig } from '../../platform/config.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { instanceSecret } from '../../platform/instance-secret.ts';
import { createTestApp, createTestWorkspace } from '../../server/test-app.ts';
import { COMPLIANCE_SECRET, verifyUnsubscribeToken } from '../compliance/unsubscribe-token.ts';
import { createMailSink, type MailSink } from '../smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../smtp/transport.ts';

const database = useTestDatabase();
const COUNT = 1000;
let sink: MailSink;
let transport: MailTransport;
beforeAll(async () => {
  // Real SMTP: nodemailer's pool into an smtp-server sink on loopback, which parses every message with mailparser.
  sink = createMailSink({ port: 0, maxMessages: 2 * COUNT });
  transport = createMailTransport({ config: loadConfig({ env: {}, flags: { logLevel: 'silent' } }), sink: await sink.start() });
});
afterAll(async () => {
  transport.close();
  await sink.stop();
});

const MJML = `<mjml>
  <mj-head><mj-preview>{{ company.name | default: '皆様' }} 向け 12 月のご案内</mj-preview></mj-head>
  <mj-body>
    <mj-section><mj-column>
      <mj-text>{{ contact.lastName }} {{ contact.firstName }} 様</mj-text>
      <mj-text>{{ company.name | default: '貴社' }} の皆様に、リードスコアの新機能をご紹介します。</mj-text>
      <mj-button href="https://example.com/features/scoring?ref=news">新機能を見る</mj-button>
      <mj-text><a href="https://example.com/webinars/dec">ウェビナーに申し込む</a> · <a href="https://example.com/case-studies">導入事例</a></mj-text>
      <mj-text font-size="12px"><a href="{{ unsubscribe_url }}">配信停止・配信設定</a></mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>`;
const TARGETS = new Set([
  'https://example.com/features/scoring?ref=news&utm_source=kizuna&utm_medium=email&utm_campaign=december',
  'https://example.com/webinars/dec?utm_source=kizuna&utm_medium=email&utm_campaign=december',
  'https://example.com/case-studies?utm_source=kizuna&utm_medium=email&utm_campaign=december',
]);

describe('a broadcast to 1,000 contacts over real SMTP', () => {
  it('delivers one personalised, tracked, compliant message to every contact', { timeout: 120_000 }, async () => {
    const app = createTestApp(database.current, { mail: { mailer: transport } });
    const ws = await createTestWorkspace(database.current, app.clock);
    const api = async (path: string, json?: unknown) => (await app.request(path, { key: ws.adminKey, json })).json();
    const { db } = database.current;
    // 1,000 contacts, Japanese and English names, 100 companies.
    await sql`
      INSERT INTO companies (id, workspace_id, name, name_key, created_at, updated_at)
      SELECT gen_random_uuid(), ${ws.workspaceId}, '株式会社テスト' || n, 'テスト' || n, ${app.clock.now()}, ${app.clock.now()}
      FROM generate_series(1, 100) AS n`.execute(db);
    await sql`
      INSERT INTO contacts (id, workspace_id, email, last_name, first_name, company_id, created_at, updated_at)
      SELECT gen_random_uuid(), ${ws.workspaceId}, 'person' || n || '@example.jp',
        CASE WHEN n % 2 = 0 THEN '山田' || n ELSE 'Smith' || n END, CASE WHEN n % 2 = 0 THEN '花子' ELSE 'Alex' END,
        (SELECT id FROM companies WHERE workspace_id = ${ws.workspaceId} AND name = '株式会社テスト' || (n % 100 + 1)),
        ${app.clock.now()}, ${app.clock.now()}
      FROM generate_series(1, ${COUNT}) AS n`.execute(db);
    const list = await api('/api/lists', { name: 'Everyone' });
    await sql`INSERT INTO list_members (workspace_id, list_id, contact_id, added_at)
      SELECT workspace_id, ${list.id}, id, created_at FROM contacts WHERE workspace_id = ${ws.workspaceId}`.execute(db);
    await api('/api/topics', { key: 'news', nameJa: 'お知らせ', nameEn: 'News' });
    const template = await api('/api/templates', {
      name: 'December',
      definition: {
        format: 'mjml',
        defaultLocale: 'ja',
        locales: { ja: { subject: '{{ contact.lastName }} 様へ 12 月のご案内', body: MJML } },
      },
    });
    await app.request(`/api/templates/${template.id}/publish`, { key: ws.adminKey, method: 'POST' });
    const campaign = await api('/api/campaigns', {
      name: 'December news',
      definition: {
        templateId: template.id,
        audience: { listId: list.id },
        topic: 'news',
        utm: { source: 'kizuna', medium: 'email', campaign: 'december' },
      },
    });
    await api(`/api/campaigns/${campaign.id}/schedule`, {});
    while ((await app.drainJobs()) > 0) {}

    const mails = await sink.waitFor(COUNT, { workspaceId: ws.workspaceId, timeoutMs: 60_000 });
    expect(mails).toHaveLength(COUNT);
    const contacts = await db
      .selectFrom('contacts')
      .leftJoin('companies', 'companies.id', 'contacts.company_id')
      .select(['contacts.id', 'contacts.email', 'contacts.last_name', 'contacts.first_name', 'companies.name as company'])
      .where('contacts.workspace_id', '=', ws.workspaceId)
      .execute();
    const byEmail = new Map(contacts.map((c) => [c.email, c]));
    const deliveries = new Map(
      (await db.selectFrom('deliveries').select(['id', 'contact_id', 'status']).where('campaign_id', '=', campaign.id).execute()).map(
        (d) => [d.id, d],
      ),
    );
    expect([...deliveries.values()].every((d) => d.status === 'sent')).toBe(true);
    const tracking = await instanceSecret(db, TRACKING_SECRET, app.clock);
    const compliance = await instanceSecret(db, COMPLIANCE_SECRET, app.clock);
    const seen = new Set<string>();
    for (const mail of mails) {
      const contact = byEmail.get(mail.to)!;
      expect(contact, mail.to).toBeDefined();
      seen.add(contact.id);
      const deliveryId = mail.headers['x-kizuna-delivery']![0]!;
      expect(deliveries.get(deliveryId)?.contact_id).toBe(contact.id);
      // Valid MIME with both parts.
      expect(mail.headers['mime-version']).toEqual(['1.0']);
      expect(mail.headers['content-type']![0]).toMatch(/^multipart\/alternative; boundary=/);
      // Personalised subject, body and text part; no Liquid left.
      expect(mail.subject).toBe(`${contact.last_name} 様へ 12 月のご案内`);
      expect(mail.html).toContain(`${contact.last_name} ${contact.first_name} 様`);
      expect(mail.html).toContain(`${contact.company} の皆様に`);
      expect(mail.text).toContain(`${contact.last_name} ${contact.first_name} 様`);
      expect(mail.text).not.toMatch(/<[a-z]|\{\{|\{%/);
      expect(mail.html).not.toMatch(/\{\{|\{%/);
      // RFC 8058: an https one-click URL and a mailto, both signed for this contact and delivery.
      const header = mail.headers['list-unsubscribe']![0]!;
      const parts = /^<(https?:\/\/[^>]+\/u\/([^>]+))>, <(mailto:unsubscribe\+[^@>]+@[^>]+)>$/.exec(header);
      expect(parts, header).not.toBeNull();
      expect(mail.headers['list-unsubscribe-post']).toEqual(['List-Unsubscribe=One-Click']);
      expect(verifyUnsubscribeToken(parts![2]!, 'preferences', compliance)).toMatchObject({
        contactId: contact.id,
        deliveryId,
        topic: 'news',
        email: mail.to,
      });
      // Every link is signed and tracked (with UTM), except the unsubscribe link, which works without a redirect.
      const hrefs = [...mail.html!.matchAll(/<a\b[^>]*href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
      const clicks = hrefs.filter((h) => h.includes('/c/'));
      expect(clicks).toHaveLength(3);
      for (const href of clicks) {
        const claims = verifyTrackingToken(href.split('/c/')[1]!, tracking);
        expect(claims).toMatchObject({ deliveryId, contactId: contact.id, workspaceId: ws.workspaceId });
        expect(TARGETS.has(claims!.url!)).toBe(true);
      }
      expect(hrefs.filter((h) => !h.includes('/c/'))).toEqual([expect.stringMatching(/\/u\//)]);
      // The open pixel, signed for this delivery.
      const pixel = /<img src="[^"]+\/o\/([^"]+)\.gif"/.exec(mail.html!);
      expect(verifyTrackingToken(pixel![1]!, tracking)).toMatchObject({ deliveryId, contactId: contact.id });
    }
    expect(seen.size).toBe(COUNT);
    // Nothing more is due: each contact got exactly one message.
    expect(await app.drainJobs()).toBe(0);
    expect(sink.list({ workspaceId: ws.workspaceId, limit: 2 * COUNT })).toHaveLength(COUNT);
  });
});

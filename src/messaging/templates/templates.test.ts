import { describe, expect, it } from 'vitest';
import { createCompany } from '../../companies/companies.ts';
import { createContact } from '../../contacts/contacts.ts';
import { createVirtualClock } from '../../platform/clock.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import type { KizunaError } from '../../platform/errors.ts';
import { createTestApp, createTestWorkspace } from '../../server/test-app.ts';
import { previewTemplate } from './preview-template.ts';
import { createTemplateRenderer } from './render.ts';
import { createTemplate, getTemplate, listTemplates, loadPreparedTemplate, publishTemplate, updateTemplate } from './templates.ts';

const listTemplateIds = async (db: Parameters<typeof listTemplates>[0], workspaceId: string) =>
  (await listTemplates(db, workspaceId)).map((t) => t.id);

const database = useTestDatabase();

const JA_MJML = `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>{{ contact.fullName | default: 'お客様' }} 様</mj-text>
        <mj-text>{{ company.name }} の皆様へ。こんにちは {{ contact.firstName | default: 'お客様' }}さん。</mj-text>
        <mj-text>{{ blocks.offer }}</mj-text>
        <mj-button href="{{ unsubscribe_url }}">配信停止</mj-button>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

const EN_MJML = `<mjml><mj-body><mj-section><mj-column>
  <mj-text>Hello {{ contact.firstName | default: 'there' }},</mj-text>
  <mj-text>{{ blocks.offer }}</mj-text>
  <mj-button href="{{ unsubscribe_url }}">Unsubscribe</mj-button>
</mj-column></mj-section></mj-body></mjml>`;

function definition(overrides: Record<string, unknown> = {}) {
  return {
    format: 'mjml',
    kind: 'marketing',
    defaultLocale: 'ja',
    locales: {
      ja: {
        subject: '{{ contact.fullName | default: "お客様" }} 様へのご案内',
        preheader: '{{ company.name }} 向けの新機能',
        body: JA_MJML,
      },
      en: { subject: 'News for {{ contact.firstName | default: "you" }}', body: EN_MJML },
    },
    blocks: [
      {
        name: 'offer',
        variants: [
          {
            condition: {
              type: 'and',
              conditions: [
                { type: 'field', field: 'industry', operator: 'eq', value: '製造業' },
                { type: 'field', field: 'roleLevel', operator: 'in', value: ['manager', 'director', 'executive'] },
              ],
            },
            body: '<p>製造業の管理職の方へ: 工場 DX セミナー</p>',
          },
          { condition: { type: 'field', field: 'industry', operator: 'eq', value: '小売業' }, body: '<p>小売業向け: 店舗分析</p>' },
        ],
        fallback: '<p>最新の事例集をお届けします {{ contact.lastName }}</p>',
      },
    ],
    ...overrides,
  };
}

async function setup() {
  const { db } = database.current;
  const clock = createVirtualClock(new Date('2026-06-01T00:00:00Z'));
  const { workspaceId } = await createTestWorkspace(database.current, clock);
  const renderer = createTemplateRenderer();
  const options = { clock, renderer };
  const company = await createCompany(db, workspaceId, { name: '株式会社テスト工業', industry: '製造業' }, clock);
  const contact = (input: Parameters<typeof createContact>[2]) => createContact(db, workspaceId, input, clock);
  const template = await createTemplate(db, workspaceId, { name: 'Newsletter', definition: definition() }, options);
  const preview = (input: Record<string, unknown> = {}) => previewTemplate(db, workspaceId, template.id, input, options);
  return { db, clock, workspaceId, renderer, options, company, contact, template, preview };
}

describe('email templates', () => {
  it('personalises a Japanese MJML template: family-name-first full name, company, preheader, text part, dark mode', async () => {
    const { contact, company, preview } = await setup();
    const yamada = await contact({
      email: 'taro@test.example',
      lastName: '山田',
      firstName: '太郎',
      companyId: company.id,
      industry: '製造業',
      roleLevel: 'manager',
    });
    const message = await preview({ contactId: yamada.id });
    expect(message.locale).toBe('ja');
    expect(message.subject).toBe('山田 太郎 様へのご案内');
    expect(message.preheader).toBe('株式会社テスト工業 向けの新機能');
    expect(message.html).toContain('山田 太郎 様');
    expect(message.html).toContain('株式会社テスト工業 の皆様へ。こんにちは 太郎さん。');
    // The preheader is hidden text right at the top of the body.
    expect(message.html).toMatch(/<body[^>]*><div style="display:none[^"]*">株式会社テスト工業 向けの新機能/);
    expect(message.html).toContain('<meta name="color-scheme" content="light dark">');
    expect(message.html).toContain('<meta name="supported-color-schemes" content="light dark">');
    expect(message.html).toContain('href="https://kizuna.invalid/preview/unsubscribe"');
    expect(message.html).not.toContain('{{');
    // The text part is generated from the HTML (no markup, no preheader filler).
    expect(message.text).toContain('山田 太郎 様');
    expect(message.text).toContain('株式会社テスト工業 の皆様へ');
    expect(message.text).toContain('製造業の管理職の方へ');
    expect(message.text).not.toMatch(/<[a-z]/);
    expect(message.text).not.toContain('新機能');
  });

  it('escapes contact data, keeps block HTML, and defaults a missing first name', async () => {
    const { contact, preview } = await setup();
    const evil = await contact({ email: 'x@test.example', lastName: '<script>alert(1)</script>', firstName: '' });
    const message = await preview({ contactId: evil.id });
    expect(message.html).not.toContain('<script>alert(1)</script>');
    expect(message.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The fallback block is HTML of the template (kept), with the name in it escaped.
    expect(message.html).toContain('<p>最新の事例集をお届けします &lt;script&gt;');
    expect(message.html).toContain('こんにちは お客様さん');
    expect(message.html).not.toContain('こんにちは さん');
    // The subject is plain text: not HTML-escaped, and never more than one line.
    expect(message.subject).toBe('<script>alert(1)</script> 様へのご案内');
    expect(message.subject).not.toMatch(/[\r\n]/);
  });

  it('chooses the locale: forced → contact locale → workspace locale → the template default', async () => {
    const { db, workspaceId, contact, preview } = await setup();
    const english = await contact({ email: 'en@test.example', firstName: 'Alice', lastName: 'Smith', locale: 'en-US' });
    const unknown = await contact({ email: 'fr@test.example', firstName: 'Zoé', locale: 'fr' });
    const none = await contact({ email: 'none@test.example', firstName: 'Bob' });
    expect(await preview({ contactId: english.id })).toMatchObject({ locale: 'en', subject: 'News for Alice' });
    expect((await preview({ contactId: english.id })).html).toContain('Hello Alice,');
    expect(await preview({ contactId: english.id, locale: 'ja' })).toMatchObject({ locale: 'ja' });
    expect(await preview({ contactId: unknown.id })).toMatchObject({ locale: 'ja' });
    await db.updateTable('workspaces').set({ locale: 'en' }).where('id', '=', workspaceId).execute();
    expect(await preview({ contactId: none.id })).toMatchObject({ locale: 'en', subject: 'News for Bob' });
    expect(await preview({ contactId: unknown.id })).toMatchObject({ locale: 'en' });
  });

  it('shows the block variant whose condition holds for the contact (industry and role), else the fallback', async () => {
    const { contact, preview } = await setup();
    const manager = await contact({ email: 'm@test.example', lastName: '佐藤', industry: '製造業', roleLevel: 'manager' });
    const staff = await contact({ email: 's@test.example', lastName: '鈴木', industry: '製造業', roleLevel: 'staff' });
    const retail = await contact({ email: 'r@test.example', lastName: '高橋', industry: '小売業' });
    const html = async (id: string) => (await preview({ contactId: id })).html;
    expect(await html(manager.id)).toContain('工場 DX セミナー');
    expect(await html(staff.id)).toContain('最新の事例集をお届けします 鈴木');
    expect(await html(staff.id)).not.toContain('工場 DX');
    expect(await html(retail.id)).toContain('小売業向け: 店舗分析');
  });

  it('derives the text part once per version with the Liquid kept, giving what converting each message would', async () => {
    const { contact, company, preview, renderer, db, workspaceId, clock } = await setup();
    const yamada = await contact({
      email: 'y@test.example',
      lastName: '山田',
      firstName: '<太郎>',
      companyId: company.id,
      industry: '製造業',
      roleLevel: 'manager',
    });
    const derived = await preview({ contactId: yamada.id });
    const template = await loadPreparedTemplate(db, workspaceId, (await listTemplateIds(db, workspaceId))[0]!, {
      renderer,
      version: 'draft',
    });
    expect(template.locales.get('ja')!.textFromHtml).toBeDefined();
    expect(template.blocks[0]!.text).toBeDefined();
    // The text engine does not escape: the name reads as typed, as html-to-text would decode it.
    expect(derived.text).toContain('山田 <太郎> 様');
    expect(derived.text).toContain('製造業の管理職の方へ');
    expect(derived.text).toMatch(/配信停止 \[https:\/\/kizuna\.invalid\/preview\/unsubscribe\]/);
    expect(derived.text).not.toContain('{{');
    // Liquid the conversion drops (an image's attributes) or could misread: that template converts each message instead.
    const risky = await createTemplate(
      db,
      workspaceId,
      {
        name: 'Risky',
        definition: {
          format: 'html',
          defaultLocale: 'en',
          locales: {
            en: {
              subject: 'x',
              body: '<p><img src="https://example.com/{{ contact.id }}.png" alt="">{% if contact.employeeCount < 100 %}Small team{% else %}Big team{% endif %} {{ contact.lastName }}</p>',
            },
          },
        },
      },
      { clock, renderer },
    );
    const prepared = await loadPreparedTemplate(db, workspaceId, risky.id, { renderer, version: 'draft' });
    expect(prepared.locales.get('en')!.textFromHtml).toBeUndefined();
    expect((await previewTemplate(db, workspaceId, risky.id, { contactId: yamada.id }, { clock, renderer })).text).toBe('Small team 山田');
  });

  it('uses the locale’s own text part when it has one', async () => {
    const { db, workspaceId, options, contact } = await setup();
    const own = definition();
    (own.locales as Record<string, Record<string, string>>).ja!.text = '{{ contact.lastName }} 様\n配信停止: {{ unsubscribe_url }}';
    const template = await createTemplate(db, workspaceId, { name: 'With text', definition: own }, options);
    const c = await contact({ email: 't@test.example', lastName: '<田中>' });
    const message = await previewTemplate(db, workspaceId, template.id, { contactId: c.id }, options);
    expect(message.text).toBe('<田中> 様\n配信停止: https://kizuna.invalid/preview/unsubscribe');
  });

  it('previews without a contact on sample data, with a warning', async () => {
    const { preview } = await setup();
    const message = await preview();
    expect(message.subject).toBe('山田 太郎 様へのご案内');
    expect(message.html).toContain('株式会社サンプル');
    expect(message.warnings.map((w) => w.code)).toContain('sample_data');
  });

  it('compiles MJML once per version: 50 previews of a draft and 50 of the published version', async () => {
    const { db, workspaceId, renderer, options, template, contact, preview } = await setup();
    // Saving compiled the draft once (that is how MJML errors are found).
    expect(renderer.stats.mjmlCompiles).toBe(1);
    const c = await contact({ email: 'once@test.example', lastName: '伊藤' });
    for (let i = 0; i < 50; i++) await preview({ contactId: c.id });
    const published = await publishTemplate(db, workspaceId, template.id, options);
    expect(published.publishedVersion).toBe(1);
    for (let i = 0; i < 50; i++) expect((await preview({ contactId: c.id, version: 1 })).version).toBe(1);
    expect(renderer.stats.mjmlCompiles).toBe(1);
    expect(renderer.stats.preparations).toBe(2);
    // Another process (a fresh renderer) reads the HTML compiled at publish: no compilation at all.
    const sender = createTemplateRenderer();
    const prepared = await loadPreparedTemplate(db, workspaceId, template.id, { renderer: sender });
    expect(prepared.version).toBe(1);
    for (let i = 0; i < 50; i++) await loadPreparedTemplate(db, workspaceId, template.id, { renderer: sender, version: 1 });
    expect(sender.stats).toEqual({ mjmlCompiles: 0, preparations: 1 });
    // An edit that leaves the bodies alone compiles nothing; a new body is compiled once.
    await updateTemplate(db, workspaceId, template.id, { name: 'Edited', definition: definition({ kind: 'transactional' }) }, options);
    expect(renderer.stats.mjmlCompiles).toBe(1);
    const edited = definition();
    (edited.locales as Record<string, Record<string, string>>).en!.body = EN_MJML.replace('Hello', 'Hi');
    await updateTemplate(db, workspaceId, template.id, { name: 'Edited', definition: edited }, options);
    for (let i = 0; i < 5; i++) await preview({ contactId: c.id });
    expect(renderer.stats.mjmlCompiles).toBe(2);
    expect((await getTemplate(db, workspaceId, template.id)).versions).toHaveLength(1);
  });

  const BAD: [string, (d: ReturnType<typeof definition>) => void, string, RegExp][] = [
    [
      'Liquid syntax error',
      (d) => {
        (d.locales as Record<string, Record<string, string>>).ja!.body =
          '<mjml><mj-body>\n  <mj-text>{{ contact.fullName </mj-text></mj-body></mjml>';
      },
      'definition.locales.ja.body',
      /not closed \(line 2, column 12\)/,
    ],
    [
      'unknown variable',
      (d) => {
        (d.locales as Record<string, Record<string, string>>).en!.subject = 'Hi\n  {{ custmer.name }}';
      },
      'definition.locales.en.subject',
      /unknown variable custmer.*\(line 2, column 6\)/,
    ],
    [
      'unknown contact property',
      (d) => {
        (d.locales as Record<string, Record<string, string>>).ja!.preheader = '{{ contact.first_name }}';
      },
      'definition.locales.ja.preheader',
      /unknown property contact\.first_name.*\(line 1, column 4\)/,
    ],
    [
      'MJML error',
      (d) => {
        (d.locales as Record<string, Record<string, string>>).ja!.body =
          '<mjml>\n<mj-body>\n<mj-section>\n  <mj-colum><mj-text>x</mj-text></mj-colum>\n</mj-section>\n</mj-body>\n</mjml>';
      },
      'definition.locales.ja.body',
      /MJML: Element mj-colum doesn't exist.*\(line 4, column 3\)/,
    ],
    [
      'bad block condition',
      (d) => {
        d.blocks[0]!.variants[0]!.condition = { type: 'field', field: 'industri', operator: 'eq', value: 'x' } as never;
      },
      'definition.blocks.0.variants.0.condition.field',
      /unknown field "industri"/,
    ],
    [
      'undeclared block',
      (d) => {
        (d.locales as Record<string, Record<string, string>>).en!.body =
          '<mjml><mj-body><mj-raw>{{ blocks.hero }}</mj-raw></mj-body></mjml>';
      },
      'definition.locales.en.body',
      /no block named hero.*\(line 1, column 27\)/,
    ],
    [
      'include (no file system)',
      (d) => {
        d.blocks[0]!.fallback = "{% include 'secret' %}";
      },
      'definition.blocks.0.fallback',
      /include %\} is not available.*\(line 1, column 1\)/,
    ],
  ];

  it.each(BAD)('%s → 400 naming the path, line and column; nothing saved or published', async (_, spoil, path, message) => {
    const { db, workspaceId, options, template } = await setup();
    const bad = definition();
    spoil(bad);
    const error = (await createTemplate(db, workspaceId, { name: 'Bad', definition: bad }, options).catch((e) => e)) as KizunaError;
    expect(error.code).toBe('invalid_input');
    expect(error.issues).toEqual([expect.objectContaining({ path, message: expect.stringMatching(message) })]);
    const updated = (await updateTemplate(db, workspaceId, template.id, { name: 'Bad', definition: bad }, options).catch(
      (e) => e,
    )) as KizunaError;
    expect(updated.code).toBe('invalid_input');
    const rows = await db.selectFrom('templates').select(['name', 'published_version']).where('workspace_id', '=', workspaceId).execute();
    expect(rows).toEqual([{ name: 'Newsletter', published_version: null }]);
    expect(await db.selectFrom('template_versions').select('version').where('template_id', '=', template.id).execute()).toEqual([]);
  });
});

describe('email templates over HTTP', () => {
  it('creates, lints, publishes and previews; bad input is a problem naming the path', async () => {
    const app = createTestApp(database.current);
    const { adminKey: key } = await createTestWorkspace(database.current, app.clock);
    const bad = definition();
    (bad.locales as Record<string, Record<string, string>>).en!.subject = '{{ custmer.name }}';
    const rejected = await app.request('/api/templates', { key, json: { name: 'Bad', definition: bad } });
    expect(rejected.status).toBe(400);
    expect((await rejected.json()).errors).toEqual([
      { path: 'definition.locales.en.subject', message: expect.stringContaining('(line 1, column 4)') },
    ]);
    expect((await (await app.request('/api/templates', { key })).json()).items).toEqual([]);

    const created = await app.request('/api/templates', { key, json: { name: 'News', definition: definition() } });
    expect(created.status).toBe(201);
    const template = await created.json();
    expect(template).toMatchObject({ name: 'News', publishedVersion: null, warnings: [] });
    const preview = await app.request(`/api/templates/${template.id}/preview`, { key, method: 'POST' });
    expect(preview.status).toBe(200);
    expect(await preview.json()).toMatchObject({ subject: '山田 太郎 様へのご案内', version: null, locale: 'ja' });
    const published = await (await app.request(`/api/templates/${template.id}/publish`, { key, method: 'POST' })).json();
    expect(published).toMatchObject({ publishedVersion: 1, versions: [{ version: 1 }] });
    const lint = await (await app.request(`/api/templates/${template.id}/lint`, { key, method: 'POST' })).json();
    expect(lint).toEqual({ warnings: [] });
    const contact = await (
      await app.request('/api/contacts', { key, json: { email: 'h@test.example', firstName: 'Hana', locale: 'en' } })
    ).json();
    const forContact = await app.request(`/api/templates/${template.id}/preview`, { key, json: { contactId: contact.id, version: 1 } });
    expect(await forContact.json()).toMatchObject({ subject: 'News for Hana', locale: 'en', version: 1 });
    // Workspace B's own template cannot be previewed for A's contact.
    const b = await createTestWorkspace(database.current, app.clock, 'B');
    const bTemplate = await (
      await app.request('/api/templates', { key: b.adminKey, json: { name: 'B', definition: definition() } })
    ).json();
    const leak = await app.request(`/api/templates/${bTemplate.id}/preview`, { key: b.adminKey, json: { contactId: contact.id } });
    expect(leak.status).toBe(404);
    expect(await leak.text()).not.toContain('Hana');
    expect((await app.request(`/api/templates/${template.id}`, { key, method: 'DELETE' })).status).toBe(204);
    expect((await (await app.request('/api/templates', { key })).json()).items).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';

const database = useTestDatabase();

const DOWNLOAD_FORM = {
  name: '資料ダウンロード <MA入門>',
  fields: [
    { key: 'email', label: 'メールアドレス', type: 'email', required: true },
    { key: 'lastName', label: '姓', required: true },
    { key: 'companyName', label: '会社名', required: true },
    { key: 'jobTitle', label: '役職' },
    { key: 'employeeCount', label: '従業員数', type: 'number' },
    { key: 'custom.source_campaign', label: 'campaign', type: 'hidden', value: 'whitepaper-2026' },
  ],
  consent: { purpose: 'marketing_email', wording: '製品情報のメールを受け取ることに同意します', required: false },
  successMessage: 'ありがとうございました',
  progressiveMaxFields: 3,
};

async function setup() {
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  await app.request('/api/custom-fields', { key: ws.adminKey, json: { key: 'source_campaign', label: 'Campaign', type: 'text' } });
  const form = await (await app.request('/api/forms', { key: ws.adminKey, json: DOWNLOAD_FORM })).json();
  const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    app.request(`/f/${form.id}`, {
      method: 'POST',
      body: new URLSearchParams(body).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  return { app, ws, form, post };
}

describe('forms', () => {
  it('serves a hosted page with every text escaped', async () => {
    const { app, form } = await setup();
    const page = await (await app.request(`/f/${form.id}`)).text();
    expect(page).toContain('資料ダウンロード &lt;MA入門&gt;');
    expect(page).toContain('name="_hp"');
    expect(page).toContain('製品情報のメールを受け取ることに同意します');
  });

  it('a submission creates the contact, links the visitor, and records the submission, consent and event', async () => {
    const { app, ws, form, post } = await setup();
    await app.request('/v1/page', { key: ws.writeKey, json: { anonymousId: 'visitor-1', name: 'Pricing' } });
    app.clock.advance(60_000);
    const res = await post(
      {
        email: 'Buyer@Example.co.jp',
        lastName: '高橋',
        companyName: '(株)購買',
        jobTitle: '課長',
        employeeCount: '1,200',
        _consent: 'yes',
        _aid: 'visitor-1',
      },
      { 'x-forwarded-for': '198.51.100.7' },
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('ありがとうございました');
    const { db } = database.current;
    const contact = await db.selectFrom('contacts').selectAll().where('workspace_id', '=', ws.workspaceId).executeTakeFirstOrThrow();
    expect(contact).toMatchObject({
      email: 'buyer@example.co.jp',
      last_name: '高橋',
      company_name: '株式会社購買',
      role_level: 'manager',
      employee_count: 1200,
      custom: { source_campaign: 'whitepaper-2026' },
    });
    const consent = await db.selectFrom('consents').selectAll().where('contact_id', '=', contact.id).executeTakeFirstOrThrow();
    expect(consent).toMatchObject({
      purpose: 'marketing_email',
      granted: true,
      wording: '製品情報のメールを受け取ることに同意します',
      source: `form:${form.id}`,
      ip: '198.51.100.7',
    });
    const events = await db
      .selectFrom('events')
      .select(['name', 'contact_id'])
      .where('workspace_id', '=', ws.workspaceId)
      .orderBy('occurred_at')
      .execute();
    expect(events).toEqual([
      { name: 'Pricing', contact_id: contact.id },
      { name: 'Form Submitted', contact_id: contact.id },
    ]);
    expect(await db.selectFrom('form_submissions').select('contact_id').where('form_id', '=', form.id).execute()).toEqual([
      { contact_id: contact.id },
    ]);
  });

  it('shows per-field errors and stores nothing for a bad submission', async () => {
    const { ws, post } = await setup();
    const res = await post({ email: 'not-an-email', lastName: '', companyName: 'X' });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('姓 is required');
    expect(page).toContain('not a valid email address');
    expect(page).toContain('value="not-an-email"');
    expect(await database.current.db.selectFrom('contacts').select('id').where('workspace_id', '=', ws.workspaceId).execute()).toEqual([]);
  });

  it('a filled honeypot gets the thank-you and stores nothing', async () => {
    const { ws, post } = await setup();
    const res = await post({ email: 'bot@example.com', lastName: 'Bot', companyName: 'Bots', _hp: 'http://spam.example' });
    expect(res.status).toBe(200);
    expect(await database.current.db.selectFrom('contacts').select('id').where('workspace_id', '=', ws.workspaceId).execute()).toEqual([]);
  });

  it('progressive profiling asks a known visitor for what is still missing', async () => {
    const { app, form, post } = await setup();
    const fresh = await (await app.request(`/f/${form.id}/definition.json?anonymousId=new-visitor`)).json();
    expect(fresh.fields.map((f: { key: string }) => f.key)).toEqual(['email', 'lastName', 'companyName', 'custom.source_campaign']);
    await post({ email: 'known@example.com', lastName: '既知', companyName: '既知株式会社', _aid: 'known-visitor' });
    const known = await (await app.request(`/f/${form.id}/definition.json?anonymousId=known-visitor`)).json();
    expect(known.fields.map((f: { key: string }) => f.key)).toEqual(['email', 'jobTitle', 'employeeCount', 'custom.source_campaign']);
    // The fields it no longer shows are not required the second time.
    const again = await app.request(`/f/${form.id}`, {
      method: 'POST',
      json: { values: { email: 'known@example.com', jobTitle: '部長' }, anonymousId: 'known-visitor' },
    });
    expect(await again.json()).toMatchObject({ ok: true });
  });

  it('limits submissions per visitor address', async () => {
    const { post } = await setup();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push(
        (await post({ email: `r${i}@example.com`, lastName: 'R', companyName: 'R' }, { 'x-forwarded-for': '192.0.2.50' })).status,
      );
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('rejects bad definitions naming the problem', async () => {
    const { app, ws } = await setup();
    const cases: [unknown, string][] = [
      [{ name: 'x', fields: [{ key: 'lastName', label: '姓' }] }, 'fields'],
      [
        {
          name: 'x',
          fields: [
            { key: 'email', label: 'E' },
            { key: 'shoeSize', label: 'S' },
          ],
        },
        'fields.1.key',
      ],
      [
        {
          name: 'x',
          fields: [
            { key: 'email', label: 'E' },
            { key: 'industry', label: 'I', type: 'select' },
          ],
        },
        'fields.1.options',
      ],
      [{ name: 'x', fields: [{ key: 'email', label: 'E' }], redirectUrl: 'javascript:alert(1)' }, 'redirectUrl'],
    ];
    for (const [definition, path] of cases) {
      const res = await app.request('/api/forms', { key: ws.adminKey, json: definition });
      expect(res.status).toBe(400);
      expect((await res.json()).errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });
});

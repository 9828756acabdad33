import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine, useTestDatabase } from '../platform/db/test-database.ts';
import { createTestWorkspace, serveTestApp } from '../server/test-app.ts';

// Debian's Chromium (.ci/run installs it). Without it this file reports itself skipped.
const CHROMIUM = process.env.KIZUNA_CHROMIUM ?? '/usr/bin/chromium';
const database = useTestDatabase();

describe.runIf(existsSync(CHROMIUM) && testEngine() === 'pglite')('the web snippet in headless Chromium', () => {
  let browser: Browser;
  let kizunaUrl = '';
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    const served = await serveTestApp(database.current);
    closers.push(served.close);
    kizunaUrl = served.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    for (const close of closers) close();
  });

  /** A customer's web site on another origin, with the snippet in every page. */
  async function customerSite(writeKey: string, formId: string, consent = false): Promise<string> {
    const site: Server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html><head><title>${path}</title>
<script src="${kizunaUrl}/js/kizuna.js" data-write-key="${writeKey}"${consent ? ' data-consent="pending"' : ''}></script></head>
<body><h1>${path}</h1><div id="form"></div>
<script>kizuna.page(); if (location.pathname === '/contact') kizuna.form('${formId}', '#form');</script></body></html>`);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    closers.push(() => site.close());
    return `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  }

  async function eventsOf(workspaceId: string) {
    return database.current.db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId).orderBy('occurred_at').execute();
  }

  /** Tracking calls are fire-and-forget from the page; wait until the database has them. */
  async function waitForEvents(workspaceId: string, count: number) {
    for (let i = 0; i < 100 && (await eventsOf(workspaceId)).length < count; i++) await new Promise((r) => setTimeout(r, 100));
    return eventsOf(workspaceId);
  }

  async function setup(consent = false) {
    const ws = await createTestWorkspace(database.current);
    const form = await (
      await fetch(`${kizunaUrl}/api/forms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ws.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'お問い合わせ',
          fields: [
            { key: 'email', label: 'メールアドレス', type: 'email', required: true },
            { key: 'lastName', label: '姓', required: true },
          ],
          consent: { wording: 'ご案内メールの受信に同意します' },
          successMessage: '送信しました',
        }),
      })
    ).json();
    return { ws, form, site: await customerSite(ws.writeKey, form.id, consent) };
  }

  it('anonymous page views, then a form submission: the earlier views are on the known contact', async () => {
    const { ws, site } = await setup();
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site}/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring`);
    await page.goto(`${site}/features`);
    const anonymous = await waitForEvents(ws.workspaceId, 2);
    expect(anonymous.map((e) => [e.name, e.contact_id])).toEqual([
      ['/pricing', null],
      ['/features', null],
    ]);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'kz_aid');
    expect(cookie?.value).toBe(anonymous[0]!.anonymous_id);

    await page.goto(`${site}/contact`);
    await page.fill('input[name="email"]', 'browser@example.co.jp');
    await page.fill('input[name="lastName"]', '中村');
    await page.check('input[name="_consent"]');
    await page.click('button[type="submit"]');
    await page.waitForSelector('.kz-thanks');
    expect(await page.textContent('.kz-thanks')).toBe('送信しました');

    const contact = await database.current.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', ws.workspaceId)
      .executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ email: 'browser@example.co.jp', last_name: '中村' });
    expect(contact.first_touch).toMatchObject({ source: 'google', medium: 'cpc', campaign: 'spring' });
    const events = await waitForEvents(ws.workspaceId, 4);
    expect(events.map((e) => e.name).sort()).toEqual(['/contact', '/features', '/pricing', 'Form Submitted']);
    expect(events.every((e) => e.contact_id === contact.id)).toBe(true);
    const consent = await database.current.db.selectFrom('consents').selectAll().where('contact_id', '=', contact.id).execute();
    expect(consent.map((c) => c.wording)).toEqual(['ご案内メールの受信に同意します']);
  });

  it('consent mode holds tracking, sets no cookie, and sends what waited once the site grants it', async () => {
    const { ws, site } = await setup(true);
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site}/pricing`);
    await page.waitForFunction(() => (window as unknown as { kizuna?: { loaded: boolean } }).kizuna?.loaded === true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await eventsOf(ws.workspaceId)).toEqual([]);
    expect((await page.context().cookies()).find((c) => c.name === 'kz_aid')).toBeUndefined();
    await page.evaluate(() => (window as unknown as { kizuna: { consent(granted: boolean): void } }).kizuna.consent(true));
    const events = await waitForEvents(ws.workspaceId, 1);
    expect(events.map((e) => e.name)).toEqual(['/pricing']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkUpsertContacts } from '../contacts/contacts.ts';
import { runActionNode } from '../journeys/actions.ts';
import { createMailSink, type MailSink } from '../messaging/smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../messaging/smtp/transport.ts';
import { loadConfig } from '../platform/config.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { unitOfWork } from '../segments/membership.ts';
import { backgroundWork } from '../server/background.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';
import { drainDueHandoffs } from './handoff.ts';
import { changeStage, publishLifecycle, saveLifecycleDraft } from './lifecycle.ts';
import { sendDueOwnerNotifications } from './send-owner-notifications.ts';

const database = useTestDatabase();
const config = loadConfig({ env: {}, flags: { logLevel: 'silent' } });
const PUBLIC_URL = 'https://kizuna.example.jp';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let sink: MailSink;
let transport: MailTransport;
beforeAll(async () => {
  sink = createMailSink({ port: 0 });
  transport = createMailTransport({ config, sink: await sink.start() });
});
afterAll(async () => {
  transport?.close();
  await sink?.stop();
});

/** A workspace whose lifecycle hands every contact with an email over as an MQL to one sales user. */
async function setup({ locale = 'ja' }: { locale?: 'ja' | 'en' } = {}) {
  const app = createTestApp(database.current);
  const { clock } = app;
  const { db } = database.current;
  const ws = await createTestWorkspace(database.current, clock);
  const { workspaceId } = ws;
  await db.updateTable('workspaces').set({ locale }).where('id', '=', workspaceId).execute();
  await saveLifecycleDraft(
    db,
    workspaceId,
    {
      definition: {
        rules: [{ stage: 'MQL', label: 'email', condition: { type: 'field', field: 'email', operator: 'is_set' } }],
        handoff: { salesUsers: [{ email: 'sato@kizuna.example', weight: 1 }] },
      },
    },
    clock,
  );
  await publishLifecycle(db, workspaceId, clock);
  const send = (mailer = transport) => sendDueOwnerNotifications({ db, clock, mailer, publicUrl: PUBLIC_URL }, { workspaceId });
  const caught = () => sink.list({ workspaceId }).reverse();
  const rows = () =>
    db.selectFrom('owner_notifications').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
  const mql = async (contact: Record<string, unknown>) =>
    ((await bulkUpsertContacts(db, workspaceId, [contact], clock))[0] as { id: string }).id;
  /** One pass of every background tick, as the worker runs them. */
  const ticks = backgroundWork({ db, clock, mailer: transport, publicUrl: PUBLIC_URL }).ticks;
  const tick = async () => {
    for (const run of ticks) await run();
  };
  return { app, db, clock, ws, workspaceId, send, caught, rows, mql, tick };
}

describe('owner notification emails', () => {
  it('an MQL handoff emails the assigned owner once, in the workspace’s language, naming the contact and the SLA', async () => {
    const { db, send, caught, rows, mql } = await setup();
    const id = await mql({ email: 'yamada@lead.example', lastName: '山田', firstName: '太郎', companyName: '株式会社サンプル' });
    expect(await send()).toBe(1);
    expect(await send()).toBe(0);
    const [mail, ...more] = caught();
    expect(more).toEqual([]);
    expect(mail!.envelope.to).toEqual(['sato@kizuna.example']);
    expect(mail!.subject).toBe('【MQL】山田 太郎（株式会社サンプル） の担当になりました');
    expect(mail!.headers['auto-submitted']).toEqual(['auto-generated']);
    expect(mail!.text).toContain('メール: yamada@lead.example');
    expect(mail!.text).toContain('ステージ: MQL');
    expect(mail!.text).toContain('初回対応期限: 2026/04/02 9:00 (Asia/Tokyo)');
    expect(mail!.text).toContain(`Kizuna で開く: ${PUBLIC_URL}/api/contacts/${id}`);
    expect(mail!.html).toContain(`<a href="${PUBLIC_URL}/api/contacts/${id}">`);
    expect(await rows()).toMatchObject([
      { kind: 'handoff.assigned', to_email: 'sato@kizuna.example', status: 'sent', attempts: 1, subject: mail!.subject },
    ]);
    // The signal (webhooks) stays beside the email.
    const signals = await db
      .selectFrom('signals')
      .select('kind')
      .where('contact_id', '=', id)
      .where('kind', '=', 'handoff.assigned')
      .execute();
    expect(signals).toHaveLength(1);
  });

  it('writes English for an English workspace; a rolled-back handoff queues nothing, its retry queues one', async () => {
    const { db, clock, workspaceId, send, caught, rows, mql } = await setup({ locale: 'en' });
    // No email: not an MQL by the rules; moved there by hand.
    const id = await mql({ externalIds: { crm: 'jane-1' }, firstName: 'Jane', lastName: 'Doe' });
    const toMql = () => unitOfWork(db, clock, (tx) => changeStage(tx, workspaceId, id, { stage: 'MQL' }, 'api', clock));
    const failed = await unitOfWork(db, clock, async (tx) => {
      await changeStage(tx, workspaceId, id, { stage: 'MQL' }, 'api', clock);
      expect(await tx.selectFrom('owner_notifications').select('id').where('contact_id', '=', id).execute()).toHaveLength(1);
      throw new Error('the transaction fails after the handoff');
    }).catch((e: Error) => e.message);
    expect(failed).toBe('the transaction fails after the handoff');
    expect(await rows()).toEqual([]);
    await toMql();
    await send();
    expect(caught().map((m) => m.subject)).toEqual(['New MQL assigned to you: Jane Doe']);
    expect(caught()[0]!.text).toContain('First touch due: 2 Apr 2026, 09:00 (Asia/Tokyo)');
  });

  it('a journey’s notify_owner emails each contact’s owner once (none without an owner), even when the step runs again', async () => {
    const { app, db, ws, workspaceId, send, caught, rows } = await setup();
    const contacts = await bulkUpsertContacts(
      db,
      workspaceId,
      [
        { email: 'a@lead.example', lastName: '青木', owner: 'tanaka@kizuna.example' },
        { email: 'b@lead.example', lastName: '坂本', owner: 'suzuki@kizuna.example' },
        { externalIds: { crm: 'no-owner' }, lastName: '無担当' },
      ],
      app.clock,
    );
    const [a, b, none] = contacts.map((c) => (c as { id: string }).id) as [string, string, string];
    // The two MQL handoffs' emails are not what this test is about.
    await db.deleteFrom('owner_notifications').where('workspace_id', '=', workspaceId).execute();
    const request = (path: string, json?: unknown) => app.request(path, { key: ws.adminKey, json, method: json ? 'POST' : 'GET' });
    const definition = {
      trigger: { type: 'manual' },
      start: 'tell',
      nodes: [{ id: 'tell', type: 'notify_owner', message: '{{ contact.lastName }}様が料金ページを3回見ました' }],
    };
    const journey = await (await request('/api/journeys', { name: '料金関心', definition })).json();
    expect((await request(`/api/journeys/${journey.id}/publish`, {})).status).toBe(200);
    expect((await request(`/api/journeys/${journey.id}/enrolments`, { contactIds: [a, b, none] })).status).toBeLessThan(300);
    while ((await app.drainJobs()) > 0) {}
    // The same step run again in one unit of work (a retried batch) finds the same visit: nothing new.
    const enrolments = await db
      .selectFrom('journey_enrolments')
      .select(['id', 'contact_id'])
      .where('journey_id', '=', journey.id)
      .execute();
    await unitOfWork(db, app.clock, async (tx) => {
      const targets = enrolments.map((e) => ({ enrolmentId: e.id, journeyId: journey.id, contactId: e.contact_id }));
      const run = { tx, workspaceId, now: app.clock.now(), clock: app.clock };
      await tx.deleteFrom('journey_steps').where('journey_id', '=', journey.id).where('node_id', '=', 'tell').execute();
      await runActionNode(run, definition.nodes[0] as never, targets);
      await runActionNode(run, definition.nodes[0] as never, targets);
      expect(await tx.selectFrom('owner_notifications').select('id').where('workspace_id', '=', workspaceId).execute()).toHaveLength(2);
      throw new Error('rolled back');
    }).catch(() => undefined);
    expect(await send()).toBe(2);
    expect(await send()).toBe(0);
    const mails = caught().sort((x, y) => x.to.localeCompare(y.to));
    expect(mails.map((m) => [m.to, m.subject])).toEqual([
      ['suzuki@kizuna.example', '【料金関心】坂本'],
      ['tanaka@kizuna.example', '【料金関心】青木'],
    ]);
    expect(mails[1]!.text).toContain('青木様が料金ページを3回見ました');
    expect((await rows()).map((r) => r.idempotency_key).sort()).toEqual(
      enrolments
        .filter((e) => e.contact_id !== none)
        .map((e) => `journey:${e.id}:tell:0`)
        .sort(),
    );
    const listed = await (await request(`/api/owner-notifications?owner=tanaka@kizuna.example`)).json();
    expect(listed.items).toMatchObject([{ contactId: a, kind: 'owner.notified', status: 'sent', subject: '【料金関心】青木' }]);
  });

  it('SMTP down: retried with backoff under the virtual clock, delivered once it is back', async () => {
    const { clock, send, rows, mql, workspaceId } = await setup();
    const down = createMailSink({ port: 0 });
    const address = await down.start();
    await down.stop();
    const mailer = createMailTransport({ config, sink: address });
    try {
      await mql({ email: 'retry@lead.example', lastName: '再送' });
      expect(await send(mailer)).toBe(1);
      expect(await rows()).toMatchObject([{ status: 'queued', attempts: 1, next_attempt_at: new Date(clock.now().getTime() + MINUTE) }]);
      expect((await rows())[0]!.last_error).toMatch(/ECONNREFUSED|connect/i);
      clock.advance(MINUTE - 1);
      expect(await send(mailer)).toBe(0);
      clock.advance(1);
      expect(await send(mailer)).toBe(1);
      expect(await rows()).toMatchObject([
        { status: 'queued', attempts: 2, next_attempt_at: new Date(clock.now().getTime() + 5 * MINUTE) },
      ]);

      const back = createMailSink({ port: address.port });
      await back.start();
      try {
        clock.advance(5 * MINUTE);
        expect(await send(mailer)).toBe(1);
        expect(await send(mailer)).toBe(0);
        expect(back.list({ workspaceId }).map((m) => m.subject)).toEqual(['【MQL】再送 の担当になりました']);
        expect(await rows()).toMatchObject([{ status: 'sent', attempts: 3, last_error: null }]);
      } finally {
        await back.stop();
      }
    } finally {
      mailer.close();
    }
  });

  it('an SLA breach emails the owner once per timer ("first touch overdue"), from the worker’s ticks', async () => {
    const { db, clock, workspaceId, caught, rows, mql, tick } = await setup({ locale: 'en' });
    await mql({ email: 'late@lead.example', firstName: 'Late', lastName: 'Lead', companyName: 'Acme' });
    await tick();
    clock.advance(24 * HOUR);
    await tick();
    await tick();
    expect(await drainDueHandoffs(db, clock, { workspaceId })).toBe(0);
    expect(caught().map((m) => m.subject)).toEqual(['New MQL assigned to you: Late Lead (Acme)', 'First touch overdue: Late Lead (Acme)']);
    expect(caught()[1]!.text).toContain('The first touch with Late Lead was due 2 Apr 2026, 09:00 (Asia/Tokyo) and is not recorded yet.');
    expect((await rows()).map((r) => r.kind)).toEqual(['handoff.assigned', 'handoff.sla_breached']);
  });

  it('a workspace that turns owner emails off gets none (assignment, SLA breach, notify_owner); the signals stay', async () => {
    const { app, db, clock, ws, caught, rows, mql, tick } = await setup({ locale: 'en' });
    const request = async (path: string, json?: unknown, method = json === undefined ? 'GET' : 'POST') => {
      const res = await app.request(path, { key: ws.adminKey, json, method });
      return { status: res.status, body: await res.json() };
    };
    const bad = await request('/api/sending-settings', { ownerEmails: 'no' }, 'PUT');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['ownerEmails']);
    expect((await request('/api/sending-settings', { ownerEmails: false }, 'PUT')).body.ownerEmails).toBe(false);
    // An MQL handoff to a sales user, a journey's notify_owner to that owner, then a day without a first touch.
    const id = await mql({ email: 'quiet@lead.example', firstName: 'Quiet', lastName: 'Lead' });
    const definition = { trigger: { type: 'manual' }, start: 'tell', nodes: [{ id: 'tell', type: 'notify_owner', message: 'Call them' }] };
    const journey = (await request('/api/journeys', { name: 'Tell the owner', definition })).body;
    expect((await request(`/api/journeys/${journey.id}/publish`, {})).status).toBe(200);
    expect((await request(`/api/journeys/${journey.id}/enrolments`, { contactIds: [id] })).status).toBeLessThan(300);
    await tick();
    clock.advance(24 * HOUR);
    await tick();
    const steps = await db.selectFrom('journey_steps').select('outcome').where('journey_id', '=', journey.id).execute();
    expect(steps.map((s) => s.outcome)).toContain('notified');
    expect(await rows()).toEqual([]);
    expect(caught()).toEqual([]);
    const signals = await db.selectFrom('signals').select('kind').where('contact_id', '=', id).execute();
    expect(signals.map((s) => s.kind)).toEqual(expect.arrayContaining(['handoff.assigned', 'handoff.sla_breached']));
    // Back on: the next handoff is emailed again.
    expect((await request('/api/sending-settings', { ownerEmails: true }, 'PUT')).status).toBe(200);
    await mql({ email: 'loud@lead.example', firstName: 'Loud', lastName: 'Lead' });
    await tick();
    expect(caught().map((m) => m.subject)).toEqual(['New MQL assigned to you: Loud Lead']);
  });
});

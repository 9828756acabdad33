import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContact } from '../../contacts/contacts.ts';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { TRACKING_SECRET, verifyTrackingToken } from '../../events/tracking-token.ts';
import { createVirtualClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { instanceSecret } from '../../platform/instance-secret.ts';
import { createTestApp, createTestWorkspace } from '../../server/test-app.ts';
import { BOUNCE_SECRET, parseReturnPath } from '../bounces/verp.ts';
import { resubscribe } from '../compliance/opt-in.ts';
import { activeSuppressions, suppress } from '../compliance/suppression.ts';
import { COMPLIANCE_SECRET } from '../compliance/unsubscribe-token.ts';
import { createMailSink, type MailSink } from '../smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../smtp/transport.ts';
import { createTemplateRenderer } from '../templates/render.ts';
import { createTemplate, publishTemplate } from '../templates/templates.ts';
import { enqueueDeliveries, getDelivery, type NewDelivery } from './deliveries.ts';
import { claimDue, LEASE_MS, markHanded, recordOutcomes, recoverExpiredLeases, settle } from './leases.ts';
import { createDeliveryPipeline, MAX_ATTEMPTS } from './pipeline.ts';
import { putSendingSettings } from './sending-settings.ts';

const database = useTestDatabase();
const config = loadConfig({
  env: {},
  flags: { logLevel: 'silent', publicUrl: 'https://mail.example.com', mailFrom: 'News <news@example.com>' },
});
let sink: MailSink;
let mailer: MailTransport;

beforeAll(async () => {
  sink = createMailSink({ port: 0 });
  mailer = createMailTransport({ config: { ...config, mailMode: 'sink' }, sink: await sink.start() });
});
afterAll(async () => {
  mailer.close();
  await sink.stop();
});

const BODY = `<html><body>
<p>こんにちは {{ contact.lastName | default: 'お客様' }} 様</p>
<p><a href="https://example.com/pricing?plan=pro&amp;x=1">料金</a> <a href='https://example.com/blog'>Blog</a> <a href="mailto:sales@example.com">mail</a></p>
<p><a href="{{ unsubscribe_url }}">配信停止</a></p>
</body></html>`;

async function setup({ settings }: { settings?: Record<string, unknown> } = {}) {
  const { db } = database.current;
  // 10:00 in Tokyo: outside the default quiet hours.
  const clock = createVirtualClock(new Date('2026-06-01T01:00:00Z'));
  const { workspaceId } = await createTestWorkspace(database.current, clock);
  const renderer = createTemplateRenderer();
  const template = await createTemplate(
    db,
    workspaceId,
    {
      name: 'News',
      definition: { format: 'html', defaultLocale: 'ja', locales: { ja: { subject: '{{ contact.lastName }} 様へ', body: BODY } } },
    },
    { clock, renderer },
  );
  await publishTemplate(db, workspaceId, template.id, { clock, renderer });
  if (settings) await putSendingSettings(db, workspaceId, settings, clock);
  const pipeline = createDeliveryPipeline({ db, clock, config, mailer, renderer });
  const contact = (email: string, extra: Record<string, unknown> = {}) =>
    createContact(db, workspaceId, { email, lastName: '山田', ...extra }, clock);
  // Each queued a millisecond after the last, so listings come back in queuing order.
  const queue = async (contactId: string, extra: Partial<NewDelivery> = {}) => {
    const queued = await enqueueDeliveries(
      db,
      [
        {
          workspaceId,
          contactId,
          channel: 'email',
          kind: 'marketing',
          source: 'test',
          templateId: template.id,
          templateVersion: 1,
          dueAt: clock.now(),
          ...extra,
        },
      ],
      clock.now(),
    );
    clock.advance(1);
    return queued;
  };
  const deliveries = () =>
    db.selectFrom('deliveries').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id').execute();
  return { db, clock, workspaceId, pipeline, contact, queue, deliveries, template };
}

describe('the email pipeline', () => {
  it('renders, tracks and sends a queued message with RFC 8058 headers, a VERP-ready envelope and a Message-ID naming the delivery', async () => {
    const { db, workspaceId, pipeline, contact, queue, deliveries } = await setup();
    const yamada = await contact('yamada@example.jp');
    await queue(yamada.id);
    expect(await pipeline.drain({ workspaceId })).toBe(1);
    const [delivery] = await deliveries();
    expect(delivery).toMatchObject({ status: 'sent', to_address: 'yamada@example.jp', attempts: 1, reason: null });
    expect(delivery!.message_id).toBe(`<${delivery!.id}@example.com>`);

    const [mail] = await sink.waitFor(1, { workspaceId });
    expect(mail!.subject).toBe('山田 様へ');
    expect(mail!.headers['list-unsubscribe']![0]).toMatch(
      /^<https:\/\/mail\.example\.com\/u\/[^>]+>, <mailto:unsubscribe\+[^@]+@example\.com>$/,
    );
    expect(mail!.headers['list-unsubscribe-post']).toEqual(['List-Unsubscribe=One-Click']);
    expect(mail!.headers['x-kizuna-delivery']).toEqual([delivery!.id]);
    expect(mail!.messageId).toBe(delivery!.message_id);
    // The return path names the delivery (VERP), signed, on the mail domain.
    const bounceSecret = await instanceSecret(db, BOUNCE_SECRET, createVirtualClock());
    expect(mail!.envelope.from).toMatch(/^b-[0-9a-f]{48}@example\.com$/);
    expect(parseReturnPath(mail!.envelope.from!, bounceSecret)).toEqual({ deliveryId: delivery!.id });
    // Links go through the signed click endpoint with the original URL inside; mailto and unsubscribe stay.
    const secret = await instanceSecret(db, TRACKING_SECRET, createVirtualClock());
    const clicks = [...mail!.html!.matchAll(/href="https:\/\/mail\.example\.com\/c\/([^"]+)"/g)].map((m) =>
      verifyTrackingToken(m[1]!, secret),
    );
    expect(clicks.map((c) => [c?.linkIndex, c?.url, c?.deliveryId])).toEqual([
      [0, 'https://example.com/pricing?plan=pro&x=1', delivery!.id],
      [1, 'https://example.com/blog', delivery!.id],
    ]);
    expect(mail!.html).toContain('href="mailto:sales@example.com"');
    expect(mail!.html).toMatch(/href="https:\/\/mail\.example\.com\/u\/[^"]+">配信停止/);
    const pixel = /<img src="https:\/\/mail\.example\.com\/o\/([^"]+)\.gif"/.exec(mail!.html!);
    expect(verifyTrackingToken(pixel![1]!, secret)).toMatchObject({ deliveryId: delivery!.id, contactId: yamada.id });
    expect(mail!.text).toContain('こんにちは 山田 様');
    expect(await pipeline.drain({ workspaceId })).toBe(0);
  });

  it('adds the campaign UTM parameters to tracked links, keeping a link’s own', async () => {
    const { db, clock, workspaceId, pipeline, contact, queue, template } = await setup();
    const campaignId = crypto.randomUUID();
    await db
      .insertInto('campaigns')
      .values({
        id: campaignId,
        workspace_id: workspaceId,
        name: 'June',
        status: 'sending',
        definition: JSON.stringify({
          templateId: template.id,
          audience: { listId: crypto.randomUUID() },
          utm: { source: 'kizuna', medium: 'email', campaign: 'june' },
        }),
        created_at: clock.now(),
        updated_at: clock.now(),
      })
      .execute();
    const c = await contact('utm@example.jp');
    await queue(c.id, { campaignId });
    await pipeline.drain({ workspaceId });
    const [mail] = await sink.waitFor(1, { workspaceId });
    const secret = await instanceSecret(db, TRACKING_SECRET, clock);
    const first = /\/c\/([^"]+)"/.exec(mail!.html!)![1]!;
    expect(verifyTrackingToken(first, secret)?.url).toBe(
      'https://example.com/pricing?plan=pro&x=1&utm_source=kizuna&utm_medium=email&utm_campaign=june',
    );
  });

  it('checks suppressions at send time: a contact suppressed after queuing is skipped, and transactional mail still goes to an unsubscribed one', async () => {
    const { db, clock, workspaceId, pipeline, contact, queue, deliveries } = await setup();
    const a = await contact('a@example.jp');
    const b = await contact('b@example.jp');
    await queue(a.id);
    await queue(b.id, { kind: 'transactional' });
    const deps = { clock, partitions: createPartitionCache() };
    await suppress(db, { workspaceId, email: 'a@example.jp', reason: 'unsubscribe', source: 'test' }, deps);
    await suppress(db, { workspaceId, email: 'b@example.jp', reason: 'unsubscribe', source: 'test' }, deps);
    await pipeline.drain({ workspaceId });
    const rows = await deliveries();
    expect(rows.map((r) => [r.contact_id, r.status, r.reason])).toEqual([
      [a.id, 'skipped', 'unsubscribe'],
      [b.id, 'sent', null],
    ]);
    expect((await sink.waitFor(1, { workspaceId })).map((m) => m.to)).toEqual(['b@example.jp']);
    // No List-Unsubscribe on transactional mail.
    expect(sink.list({ workspaceId })[0]!.headers['list-unsubscribe']).toBeUndefined();
  });

  it('defers marketing mail in quiet hours to their end in the contact’s time zone, without counting an attempt', async () => {
    const { clock, workspaceId, pipeline, contact, queue, deliveries } = await setup();
    clock.set(new Date('2026-06-01T13:30:00Z')); // 22:30 in Tokyo, 09:30 in New York
    const tokyo = await contact('tokyo@example.jp');
    const newYork = await contact('ny@example.com', { timezone: 'America/New_York' });
    await queue(tokyo.id, { dueAt: clock.now() });
    await queue(newYork.id, { dueAt: clock.now() });
    await pipeline.drain({ workspaceId });
    const rows = await deliveries();
    expect(rows.map((r) => [r.contact_id, r.status, r.reason, r.attempts])).toEqual([
      [tokyo.id, 'deferred', 'quiet_hours', 0],
      [newYork.id, 'sent', null, 1],
    ]);
    expect(rows[0]!.due_at.toISOString()).toBe('2026-06-01T23:00:00.000Z'); // 08:00 in Tokyo
    clock.set(new Date('2026-06-01T23:00:00Z'));
    await pipeline.drain({ workspaceId });
    expect((await deliveries())[0]).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('applies frequency caps to marketing (higher priority first) but never to transactional mail', async () => {
    const { workspaceId, pipeline, contact, queue, deliveries } = await setup({
      settings: { frequencyCaps: { perDay: 1, perWeek: null } },
    });
    const c = await contact('capped@example.jp');
    await queue(c.id, { priority: 0 });
    await queue(c.id, { priority: 5 });
    await queue(c.id, { kind: 'transactional' });
    await pipeline.drain({ workspaceId });
    expect((await deliveries()).map((r) => [r.kind, r.priority, r.status, r.reason])).toEqual([
      ['marketing', 0, 'skipped', 'frequency_cap'],
      ['marketing', 5, 'sent', null],
      ['transactional', 0, 'sent', null],
    ]);
  });

  it('honours a contact’s frequency choice (weekly: one marketing message a week)', async () => {
    const { db, clock, workspaceId, pipeline, contact, queue, deliveries } = await setup({
      settings: { frequencyCaps: { perDay: null, perWeek: null } },
    });
    const c = await contact('weekly@example.jp');
    await db
      .insertInto('contact_preferences')
      .values({ contact_id: c.id, workspace_id: workspaceId, frequency: 'weekly', source: 'test', updated_at: clock.now() })
      .execute();
    await queue(c.id);
    await pipeline.drain({ workspaceId });
    clock.advance(3 * 86_400_000);
    await queue(c.id, { dueAt: clock.now() });
    await pipeline.drain({ workspaceId });
    clock.advance(5 * 86_400_000);
    await queue(c.id, { dueAt: clock.now() });
    await pipeline.drain({ workspaceId });
    expect((await deliveries()).map((r) => r.status)).toEqual(['sent', 'skipped', 'sent']);
  });

  it('queues a dedupe key once', async () => {
    const { workspaceId, pipeline, contact, queue, deliveries } = await setup();
    const c = await contact('once@example.jp');
    expect(await queue(c.id, { dedupeKey: 'welcome:1' })).toBe(1);
    expect(await queue(c.id, { dedupeKey: 'welcome:1' })).toBe(0);
    await pipeline.drain({ workspaceId });
    expect(await pipeline.drain({ workspaceId })).toBe(0);
    expect((await deliveries()).length).toBe(1);
    expect((await sink.waitFor(1, { workspaceId })).length).toBe(1);
  });

  it('retries a transient SMTP failure with backoff, then gives up', async () => {
    // No quiet hours: the retries fall at all hours of the day.
    const { db, clock, workspaceId, contact, queue, deliveries } = await setup({ settings: { quietHours: null } });
    // Nothing listens on this port: every attempt fails to connect.
    const closed = createMailTransport({ config: { ...config, mailMode: 'smtp', smtpHost: '127.0.0.1', smtpPort: 9 } });
    const pipeline = createDeliveryPipeline({ db, clock, config, mailer: closed });
    const c = await contact('retry@example.jp');
    await queue(c.id);
    await pipeline.drain({ workspaceId });
    let [row] = await deliveries();
    expect(row).toMatchObject({ status: 'deferred', reason: 'retry', attempts: 1 });
    expect(row!.due_at.getTime() - clock.now().getTime()).toBe(60_000);
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      clock.set((await deliveries())[0]!.due_at);
      await pipeline.drain({ workspaceId });
    }
    [row] = await deliveries();
    expect(row).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    expect(row!.error).toMatch(/gave up after 7 attempts/);
    closed.close();
  });

  it('after a worker dies, what it never handed to SMTP is sent once (its claim uncounted); what it handed over fails as interrupted', async () => {
    const { db, clock, workspaceId, pipeline, contact, queue, deliveries } = await setup({ settings: { quietHours: null } });
    const waiting = await contact('waiting@example.jp');
    const retried = await contact('retried@example.jp');
    const handed = await contact('handed@example.jp');
    await queue(waiting.id);
    await queue(retried.id);
    await queue(handed.id);
    // The second had already failed once (a 4xx) and waits for its retry.
    await db
      .updateTable('deliveries')
      .set({ status: 'deferred', attempts: 1, reason: 'retry', error: '451 try later' })
      .where('contact_id', '=', retried.id)
      .execute();
    // The worker that dies: claims all three, hands one to SMTP, and is gone.
    const { rows, lease } = await claimDue(db, clock.now(), { workspaceId, limit: 10 });
    expect(rows.map((r) => r.attempts)).toEqual([1, 2, 1]);
    const handedId = rows.find((r) => r.contact_id === handed.id)!.id;
    expect(await markHanded(db, [handedId], { lease, now: clock.now() })).toEqual(new Set([handedId]));

    // Within the lease nothing moves; after it, recovery sorts the rows and the same drain sends.
    expect(await pipeline.drain({ workspaceId })).toBe(0);
    clock.advance(LEASE_MS + 1);
    expect(await pipeline.drain({ workspaceId })).toBe(2);
    expect((await deliveries()).map((r) => [r.to_address, r.status, r.attempts, r.error?.replace(/ \(.*|;.*/, '') ?? null])).toEqual([
      ['waiting@example.jp', 'sent', 1, null],
      ['retried@example.jp', 'sent', 2, null],
      [null, 'failed', 1, 'interrupted while sending'],
    ]);
    expect((await sink.waitFor(2, { workspaceId })).map((m) => m.to).sort()).toEqual(['retried@example.jp', 'waiting@example.jp']);
    expect(await pipeline.drain({ workspaceId })).toBe(0);
  });

  it('a worker that outlives its lease neither hands over nor records a row another worker took back', async () => {
    const { db, clock, workspaceId, contact, queue, deliveries } = await setup({ settings: { quietHours: null } });
    const c = await contact('slow@example.jp');
    await queue(c.id);
    const slow = await claimDue(db, clock.now(), { workspaceId, limit: 10 });
    clock.advance(LEASE_MS + 1);
    expect(await recoverExpiredLeases(db, clock.now(), workspaceId)).toEqual({ requeued: 1, interrupted: 0 });
    const quick = await claimDue(db, clock.now(), { workspaceId, limit: 10 });
    expect(quick.rows.map((r) => [r.id, r.attempts])).toEqual([[slow.rows[0]!.id, 1]]);
    const id = quick.rows[0]!.id;

    // The slow worker wakes up: its mark and its outcome miss the row, now the quick worker's.
    expect(await markHanded(db, [id], { lease: slow.lease, now: clock.now() })).toEqual(new Set());
    await recordOutcomes(db, [{ id, status: 'skipped', reason: 'frequency_cap' }], { now: clock.now(), lease: slow.lease });
    expect(await deliveries()).toMatchObject([{ status: 'sending', handed_at: null, reason: null }]);
    expect(await markHanded(db, [id], { lease: quick.lease, now: clock.now() })).toEqual(new Set([id]));
    await recordOutcomes(
      db,
      [{ id, status: 'sent', to: 'slow@example.jp', messageId: '<x@example.com>', response: '250 ok', sentAt: clock.now() }],
      {
        now: clock.now(),
        lease: quick.lease,
      },
    );
    expect(await deliveries()).toMatchObject([{ status: 'sent', attempts: 1 }]);
  });

  it('a mark and an outcome of the same row in one write both land (a refusal at RCPT while its mark was pending)', async () => {
    const { db, clock, workspaceId, contact, queue, deliveries } = await setup({ settings: { quietHours: null } });
    const c = await contact('gone@example.jp');
    await queue(c.id);
    const claim = await claimDue(db, clock.now(), { workspaceId, limit: 10 });
    const id = claim.rows[0]!.id;
    const held = await settle(db, {
      hand: [id],
      outcomes: [{ id, status: 'bounced', error: '550 5.1.1 User unknown', to: 'gone@example.jp' }],
      lease: claim.lease,
      now: clock.now(),
    });
    expect(held).toEqual(new Set([id]));
    expect(await deliveries()).toMatchObject([{ status: 'bounced', handed_at: clock.now() }]);
  });

  it('records a refusal at RCPT as a bounce: an unknown user is a hard bounce and suppressed, a full mailbox only soft', async () => {
    const { db, clock, workspaceId, contact, queue, deliveries } = await setup();
    // An SMTP server that refuses two recipients the way providers do.
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        const error = (text: string, code: number) => Object.assign(new Error(text), { responseCode: code });
        if (address.address.startsWith('gone@'))
          return callback(error('5.1.1 <gone@example.jp>: Recipient address rejected: User unknown', 550));
        if (address.address.startsWith('full@')) return callback(error('5.2.2 Mailbox full, quota exceeded', 552));
        callback();
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as { port: number }).port;
    const refusing = createMailTransport({ config: { ...config, mailMode: 'smtp', smtpHost: '127.0.0.1', smtpPort: port } });
    try {
      const gone = await contact('gone@example.jp');
      const full = await contact('full@example.jp');
      await queue(gone.id);
      await queue(full.id);
      await createDeliveryPipeline({ db, clock, config, mailer: refusing }).drain({ workspaceId });
      expect((await deliveries()).map((r) => [r.to_address, r.status, r.reason])).toEqual([
        ['gone@example.jp', 'bounced', 'unknown_user'],
        ['full@example.jp', 'soft_bounced', 'mailbox_full'],
      ]);
      expect(
        (await activeSuppressions(db, workspaceId, { email: 'gone@example.jp', contactId: gone.id })).map((x) => [x.reason, x.source]),
      ).toEqual([['hard_bounce', 'smtp']]);
      expect(await activeSuppressions(db, workspaceId, { email: 'full@example.jp', contactId: full.id })).toEqual([]);
    } finally {
      refusing.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('marks the delivery opened and clicked by a person (machine opens apart) and unsubscribed from its one-click link', async () => {
    const { db, clock, workspaceId, pipeline, contact, queue } = await setup();
    const app = createTestApp(database.current);
    app.clock.set(new Date('2026-06-01T02:00:00Z'));
    const c = await contact('engaged@example.jp');
    await queue(c.id);
    await pipeline.drain({ workspaceId });
    const [mail] = await sink.waitFor(1, { workspaceId });
    const [delivery] = await db.selectFrom('deliveries').select('id').where('contact_id', '=', c.id).execute();
    const pixel = /\/o\/([^"]+)"/.exec(mail!.html!)![0].slice(0, -1);
    const click = /https:\/\/mail\.example\.com(\/c\/[^"]+)"/.exec(mail!.html!)![1]!;
    const unsubscribe = /<https:\/\/mail\.example\.com(\/u\/[^>]+)>/.exec(mail!.headers['list-unsubscribe']![0]!)![1]!;
    const person = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/128.0' };
    await app.request(pixel, { headers: { 'user-agent': 'Mozilla/5.0', 'x-forwarded-for': '17.58.0.1' } });
    let seen = await getDelivery(db, workspaceId, delivery!.id);
    expect(seen).toMatchObject({ status: 'sent', openedAt: null });
    expect(seen.machineOpenedAt).not.toBeNull();
    app.clock.advance(60_000);
    await app.request(pixel, { headers: person });
    expect(await getDelivery(db, workspaceId, delivery!.id)).toMatchObject({ status: 'opened' });
    expect((await app.request(click, { headers: person })).status).toBe(302);
    expect(await getDelivery(db, workspaceId, delivery!.id)).toMatchObject({ status: 'clicked' });
    expect((await app.request(unsubscribe, { method: 'POST', body: 'List-Unsubscribe=One-Click' })).status).toBeLessThan(300);
    seen = await getDelivery(db, workspaceId, delivery!.id);
    expect(seen.status).toBe('unsubscribed');
    expect(seen.clickedAt).not.toBeNull();
    expect(seen.unsubscribedAt).not.toBeNull();

    // The next marketing send skips the contact.
    await queue(c.id);
    await pipeline.drain({ workspaceId });
    const next = await db
      .selectFrom('deliveries')
      .select(['status', 'reason'])
      .where('contact_id', '=', c.id)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    expect(next).toEqual({ status: 'skipped', reason: 'unsubscribe' });
    // Coming back is a double opt-in: the confirmation mail goes out (transactional, untracked) with the confirm link.
    const secret = await instanceSecret(db, COMPLIANCE_SECRET, createVirtualClock());
    const result = await resubscribe(
      db,
      { workspaceId, contactId: c.id, source: 'test' },
      { publicUrl: config.publicUrl, secret },
      { clock, partitions: createPartitionCache() },
    );
    expect(result.status).toBe('pending');
    await pipeline.drain({ workspaceId });
    const confirmation = (await sink.waitFor(2, { workspaceId }))[1]!;
    expect(confirmation.subject).toBe('メール配信のご確認');
    expect(confirmation.html).toContain(`href="${(result as { confirmUrl: string }).confirmUrl}"`);
    expect(confirmation.text).toContain((result as { confirmUrl: string }).confirmUrl);
    expect(confirmation.headers['list-unsubscribe']).toBeUndefined();
  });
});

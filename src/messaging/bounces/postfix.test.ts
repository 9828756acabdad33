import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { createVirtualClock } from '../../platform/clock.ts';
import { testEngine, useTestDatabase } from '../../platform/db/test-database.ts';
import { instanceSecret } from '../../platform/instance-secret.ts';
import { type BounceReceiver, createBounceReceiver } from './receiver.ts';
import { insertDelivery, seedContact } from './test-deliveries.ts';
import { BOUNCE_SECRET, returnPath } from './verp.ts';

// Real bounces: a message goes through a real Postfix to a local domain, Postfix's own delivery
// agent fails it and Postfix's bounce daemon sends the DSN to our VERP return path, which its
// transport_maps route to this receiver. .ci/run sets Postfix up; these names are its names:
const BOUNCE_DOMAIN = 'bounces.kizuna.test'; // transport_maps: bounces.kizuna.test → smtp:[127.0.0.1]:2599
const RECEIVER_PORT = 2599;
const LOCAL_DOMAIN = 'mail.kizuna.test'; // in mydestination; local_recipient_maps empty, so Postfix accepts then bounces
const UNKNOWN_USER = `nobody-here@${LOCAL_DOMAIN}`; // no such system user: local(8) bounces 5.1.1
// A system user whose mbox already holds mailbox_size_limit bytes: local(8) fails with EFBIG and
// bounces 5.2.2 at once — a genuinely full mailbox, as Postfix itself reports it.
const FULL_MAILBOX = `kizuna-full@${LOCAL_DOMAIN}`;

const target = process.env.TEST_POSTFIX_SMTP;
// Postfix routes every bounce to one fixed port, so only one engine's run can listen there; the
// same recording code runs on both engines in record-feedback.test.ts and receiver.test.ts.
const skipReason = !target
  ? 'set TEST_POSTFIX_SMTP=127.0.0.1:25 to a Postfix configured as in .ci/run'
  : testEngine() !== 'pglite'
    ? 'runs in the pglite project only (one fixed bounce port)'
    : undefined;

const database = useTestDatabase();

describe.skipIf(skipReason !== undefined)(`real bounces from Postfix${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const clock = createVirtualClock(new Date('2026-04-06T01:00:00Z'));
  let receiver: BounceReceiver;

  beforeAll(async () => {
    receiver = createBounceReceiver({
      db: database.current.db,
      clock,
      partitions: createPartitionCache(),
      port: RECEIVER_PORT,
      domain: BOUNCE_DOMAIN,
    });
    await receiver.start();
  });
  afterAll(async () => {
    await receiver?.stop();
  });

  async function setup(email: string) {
    const { db } = database.current;
    const { workspaceId, contactId } = await seedContact(db, clock, email);
    const secret = await instanceSecret(db, BOUNCE_SECRET, clock);
    const [host, port] = (target ?? '').split(':');
    const transport = nodemailer.createTransport({ host, port: Number(port ?? 25), secure: false, ignoreTLS: true });
    /** Sends one message through Postfix as the pipeline will: VERP envelope, Message-ID and X-Kizuna-Delivery. */
    const send = async () => {
      const { id, messageId } = await insertDelivery(db, clock, { workspaceId, contactId, to: email, mailDomain: LOCAL_DOMAIN });
      const info = await transport.sendMail({
        envelope: { from: returnPath({ deliveryId: id, domain: BOUNCE_DOMAIN, secret }), to: email },
        from: 'Kizuna <news@kizuna.test>',
        to: email,
        subject: 'Spring sale',
        text: 'Everything 20% off.',
        messageId,
        headers: { 'X-Kizuna-Delivery': id },
      });
      expect(info.response).toMatch(/^250 /); // accepted: the failure can only come back as a DSN
      return id;
    };
    /** Polls until Postfix's DSN has been recorded for the delivery (no fixed sleeps). */
    const bounced = (id: string) =>
      vi.waitFor(
        async () => {
          const row = await db
            .selectFrom('deliveries')
            .select(['status', 'reason', 'error'])
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
          if (row.status === 'sent') throw new Error(`no DSN recorded yet for ${id}`);
          return row;
        },
        { timeout: 60_000, interval: 200 },
      );
    const suppressions = () =>
      db
        .selectFrom('suppressions')
        .select(['email', 'reason', 'source', 'detail'])
        .where('workspace_id', '=', workspaceId)
        .where('lifted_at', 'is', null)
        .execute();
    const events = () =>
      db
        .selectFrom('events')
        .select(['name', 'properties'])
        .where('workspace_id', '=', workspaceId)
        .where('name', 'in', ['Email Bounced', 'Email Suppressed'])
        .orderBy('received_at')
        .orderBy('name')
        .execute();
    return { send, bounced, suppressions, events };
  }

  it('an unknown local user: Postfix bounces 5.1.1, recorded as a hard bounce and suppressed', { timeout: 90_000 }, async () => {
    const { send, bounced, suppressions, events } = await setup(UNKNOWN_USER);
    const id = await send();
    expect(await bounced(id)).toEqual({ status: 'bounced', reason: 'unknown_user', error: '5.1.1 unknown user: "nobody-here"' });
    expect(await suppressions()).toEqual([
      { email: UNKNOWN_USER, reason: 'hard_bounce', source: 'dsn', detail: '5.1.1 unknown user: "nobody-here"' },
    ]);
    expect((await events()).map((e) => [e.name, e.properties.bounceType ?? e.properties.reason, e.properties.deliveryId])).toEqual([
      ['Email Bounced', 'hard', id],
      ['Email Suppressed', 'hard_bounce', id],
    ]);
  });

  it('a full mailbox: Postfix bounces 5.2.2, recorded as soft; the third in 30 days suppresses', { timeout: 180_000 }, async () => {
    const { send, bounced, suppressions } = await setup(FULL_MAILBOX);
    for (const n of [1, 2, 3]) {
      const id = await send();
      expect(await bounced(id)).toEqual({ status: 'soft_bounced', reason: 'mailbox_full', error: '5.2.2 input/output error' });
      expect((await suppressions()).length, `after soft bounce ${n}`).toBe(n < 3 ? 0 : 1);
      clock.advance(86_400_000);
    }
    expect(await suppressions()).toEqual([
      { email: FULL_MAILBOX, reason: 'hard_bounce', source: 'dsn', detail: '3 soft bounces in 30 days (last: 5.2.2 input/output error)' },
    ]);
  });
});

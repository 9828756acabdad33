import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { createVirtualClock } from '../../platform/clock.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { type BounceReceiver, createBounceReceiver } from './receiver.ts';
import { insertDelivery, seedContact } from './test-deliveries.ts';
import { arfMessage, dsnMessage } from './test-reports.ts';
import { returnPath } from './verp.ts';

const database = useTestDatabase();
const DOMAIN = 'bounces.example.com';
const secret = randomBytes(32);
let receiver: BounceReceiver | undefined;

afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

async function setup() {
  const { db } = database.current;
  const clock = createVirtualClock(new Date('2026-04-06T01:00:00Z'));
  const { workspaceId, contactId } = await seedContact(db, clock, 'hanako@example.jp');
  receiver = createBounceReceiver({ db, clock, partitions: createPartitionCache(), port: 0, domain: DOMAIN, secret });
  const { port } = await receiver.start();
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  const send = (raw: string, from: string, to: string) => transport.sendMail({ envelope: { from, to }, raw });
  const delivery = async (status: 'sent' | 'sending' = 'sent') => {
    const d = await insertDelivery(db, clock, { workspaceId, contactId, to: 'hanako@example.jp', status });
    return { ...d, returnPath: returnPath({ deliveryId: d.id, domain: DOMAIN, secret }) };
  };
  const state = (id: string) => db.selectFrom('deliveries').select(['status', 'reason']).where('id', '=', id).executeTakeFirstOrThrow();
  const suppressions = () =>
    db.selectFrom('suppressions').select(['reason', 'source']).where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
  return { db, receiver, send, delivery, state, suppressions, transport };
}

describe('the bounce receiver over SMTP', () => {
  it('records a DSN sent to a VERP return path as a hard bounce and suppresses the address', async () => {
    const { send, delivery, state, suppressions } = await setup();
    const d = await delivery();
    const dsn = dsnMessage({
      to: d.returnPath,
      recipient: 'hanako@example.jp',
      status: '5.1.1',
      diagnostic: 'smtp; 550 5.1.1 <hanako@example.jp>: User unknown',
    });
    const info = await send(dsn, '', d.returnPath);
    expect(info.response).toMatch(/^250 .*dsn recorded/);
    expect(await state(d.id)).toEqual({ status: 'bounced', reason: 'unknown_user' });
    expect(await suppressions()).toEqual([{ reason: 'hard_bounce', source: 'dsn' }]);
    // The MTA sends it again (our 250 was lost): accepted, nothing more recorded.
    expect((await send(dsn, '', d.returnPath)).response).toMatch(/^250 .*dsn duplicate/);
  });

  it('records an ARF report sent to fbl@ as a complaint, finding the delivery by its return path', async () => {
    const { send, delivery, state, suppressions } = await setup();
    const d = await delivery();
    const arf = arfMessage({
      to: `fbl@${DOMAIN}`,
      originalMailFrom: d.returnPath,
      originalRcptTo: 'hanako@example.jp',
      original: { messageId: d.messageId },
    });
    expect((await send(arf, 'feedback@fbl.example.jp', `FBL@${DOMAIN.toUpperCase()}`)).response).toMatch(/^250 .*arf recorded/);
    expect(await state(d.id)).toEqual({ status: 'complained', reason: null });
    expect(await suppressions()).toEqual([{ reason: 'complaint', source: 'arf' }]);
  });

  it('accepts a delayed DSN and records nothing', async () => {
    const { send, delivery, state, suppressions } = await setup();
    const d = await delivery();
    const delayed = dsnMessage({
      to: d.returnPath,
      recipient: 'hanako@example.jp',
      action: 'delayed',
      status: '4.2.2',
      diagnostic: 'smtp; 452 4.2.2 Mailbox full',
    });
    expect((await send(delayed, '', d.returnPath)).response).toMatch(/^250 .*dsn ignored/);
    expect(await state(d.id)).toEqual({ status: 'sent', reason: null });
    expect(await suppressions()).toEqual([]);
  });

  it('refuses recipients that are neither a genuine return path nor fbl@ of its domain', async () => {
    const { send, delivery } = await setup();
    const d = await delivery();
    const dsn = dsnMessage({
      to: d.returnPath,
      recipient: 'hanako@example.jp',
      status: '5.1.1',
      diagnostic: 'smtp; 550 5.1.1 User unknown',
    });
    const tampered = d.returnPath.replace(/^b-(.)/, (_, c: string) => `b-${c === 'a' ? 'b' : 'a'}`);
    for (const to of [
      tampered,
      'someone@bounces.example.com',
      `fbl@other.example.com`,
      d.returnPath.replace(DOMAIN, 'other.example.com'),
    ]) {
      await expect(send(dsn, '', to), to).rejects.toMatchObject({ responseCode: 550 });
    }
  });

  it('answers 451 when a report cannot be recorded yet, so the MTA keeps it and retries', async () => {
    const { db, send, delivery, state } = await setup();
    const d = await delivery('sending');
    const dsn = dsnMessage({
      to: d.returnPath,
      recipient: 'hanako@example.jp',
      status: '5.1.1',
      diagnostic: 'smtp; 550 5.1.1 User unknown',
    });
    await expect(send(dsn, '', d.returnPath)).rejects.toMatchObject({ responseCode: 451 });
    await db.updateTable('deliveries').set({ status: 'sent' }).where('id', '=', d.id).execute();
    expect((await send(dsn, '', d.returnPath)).response).toMatch(/^250 /);
    expect((await state(d.id)).status).toBe('bounced');
  });

  it('ingests a report without SMTP, by its own To header', async () => {
    const { receiver, delivery, state } = await setup();
    const d = await delivery();
    const result = await receiver.ingest(
      dsnMessage({ to: d.returnPath, recipient: 'hanako@example.jp', status: '5.2.2', diagnostic: 'x-unix; input/output error' }),
    );
    expect(result).toMatchObject({ kind: 'dsn', outcomes: [{ result: 'recorded', reason: 'soft_bounce', deliveryId: d.id }] });
    expect(await state(d.id)).toEqual({ status: 'soft_bounced', reason: 'mailbox_full' });
    expect(await receiver.ingest('Subject: hello\r\n\r\nnot a report')).toEqual({
      kind: 'other',
      outcomes: [],
      reason: 'not a multipart/report',
    });
  });
});

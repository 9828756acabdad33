import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DeliveryStatus } from '../../platform/db/schema.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { smsPolicy } from './sms-policy.ts';
import { createSmsTestApp } from './sms-test-app.ts';
import { smsWebhookUrls, statusCallbackUrl } from './status-callback.ts';

const database = useTestDatabase();
const PHONE = '+819012345678';

async function setup() {
  const t = await createSmsTestApp(database.current);
  const { workspaceId } = t.ws;
  const { db } = database.current;
  const contactId = await t.contact({ lastName: '山田', phone: PHONE });
  /** A delivery as the pipeline leaves it: claimed (sending) or sent with the provider's sid. */
  const delivery = async (status: DeliveryStatus, messageId: string | null) => {
    const id = randomUUID();
    await db
      .insertInto('deliveries')
      .values({
        id,
        workspace_id: workspaceId,
        contact_id: contactId,
        channel: 'sms',
        kind: 'marketing',
        source: 'test',
        content: JSON.stringify({ text: 'セール開催中' }),
        to_address: PHONE,
        status,
        due_at: t.clock.now(),
        message_id: messageId,
        provider_response: messageId ? `queued ${messageId}` : null,
        created_at: t.clock.now(),
        sent_at: status === 'sent' ? t.clock.now() : null,
      })
      .execute();
    return id;
  };
  const row = (id: string) =>
    db
      .selectFrom('deliveries')
      .select(['status', 'error', 'message_id', 'provider_response'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const statusUrl = smsWebhookUrls('', workspaceId).status;
  const callback = (fields: [string, string][], { path = statusUrl, signature }: { path?: string; signature?: string | null } = {}) =>
    t.webhook(path, [['AccountSid', 'AC1'], ['To', PHONE], ...fields], { signature });
  return { ...t, db, workspaceId, contactId, delivery, row, callback, statusUrl };
}

describe('SMS status callbacks', () => {
  it('undelivered and failed mark the delivery failed with the error; delivered keeps it sent and notes it', async () => {
    const { delivery, row, callback } = await setup();
    const undelivered = await delivery('sent', 'SMundelivered');
    const failed = await delivery('sent', 'SMfailed');
    const delivered = await delivery('sent', 'SMdelivered');
    const res = await callback([
      ['MessageSid', 'SMundelivered'],
      ['MessageStatus', 'undelivered'],
      ['ErrorCode', '30003'],
    ]);
    expect(res.status).toBe(204);
    expect(await row(undelivered)).toEqual({
      status: 'failed',
      error: 'undelivered: 30003 unreachable handset (off, or out of coverage)',
      message_id: 'SMundelivered',
      provider_response: 'undelivered SMundelivered (error 30003)',
    });
    await callback([
      ['MessageSid', 'SMfailed'],
      ['MessageStatus', 'failed'],
    ]);
    expect(await row(failed)).toMatchObject({ status: 'failed', error: 'failed: the provider gave no error code' });
    await callback([
      ['MessageSid', 'SMdelivered'],
      ['MessageStatus', 'delivered'],
    ]);
    expect(await row(delivered)).toEqual({
      status: 'sent',
      error: null,
      message_id: 'SMdelivered',
      provider_response: 'delivered SMdelivered',
    });
    // A late "failed" for a message reported delivered would be a provider bug; the row is final
    // only once failed, so a repeat of the failure changes nothing either.
    await callback([
      ['MessageSid', 'SMundelivered'],
      ['MessageStatus', 'failed'],
      ['ErrorCode', '30008'],
    ]);
    expect(await row(undelivered)).toMatchObject({ error: 'undelivered: 30003 unreachable handset (off, or out of coverage)' });
  });

  it('intermediate statuses and unknown sids change nothing', async () => {
    const { delivery, row, callback } = await setup();
    const id = await delivery('sent', 'SMsteps');
    for (const status of ['queued', 'sending', 'sent', 'accepted'])
      expect(
        (
          await callback([
            ['MessageSid', 'SMsteps'],
            ['MessageStatus', status],
          ])
        ).status,
      ).toBe(204);
    expect(
      (
        await callback([
          ['MessageSid', 'SMnobody'],
          ['MessageStatus', 'failed'],
        ])
      ).status,
    ).toBe(204);
    expect(await row(id)).toEqual({ status: 'sent', error: null, message_id: 'SMsteps', provider_response: 'queued SMsteps' });
  });

  it('a callback that beats the pipeline’s write of the sid finds its delivery through the signed callback URL', async () => {
    const { delivery, row, callback, statusUrl } = await setup();
    const id = await delivery('sending', null);
    const path = statusCallbackUrl(statusUrl, id);
    await callback(
      [
        ['MessageSid', 'SMearly'],
        ['MessageStatus', 'failed'],
        ['ErrorCode', '30006'],
      ],
      { path },
    );
    expect(await row(id)).toMatchObject({
      status: 'failed',
      message_id: 'SMearly',
      error: 'failed: 30006 landline or a carrier that cannot receive SMS',
    });
  });

  it('a forged or unsigned status callback is refused and changes nothing; a bad field is named', async () => {
    const { delivery, row, callback } = await setup();
    const id = await delivery('sent', 'SMforged');
    const fields: [string, string][] = [
      ['MessageSid', 'SMforged'],
      ['MessageStatus', 'failed'],
    ];
    expect((await callback(fields, { signature: null })).status).toBe(403);
    expect((await callback(fields, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })).status).toBe(403);
    expect(await row(id)).toMatchObject({ status: 'sent', error: null });
    const noStatus = await callback([['MessageSid', 'SMforged']]);
    expect(noStatus.status).toBe(400);
    expect((await noStatus.json()).errors).toEqual([{ path: 'MessageStatus', message: 'required: the message status, e.g. delivered' }]);
    const badCode = await callback([...fields, ['ErrorCode', 'abc']]);
    expect((await badCode.json()).errors[0].path).toBe('ErrorCode');
    expect(await row(id)).toMatchObject({ status: 'sent', error: null });
  });

  it('an undelivered 21610 (the recipient opted out at the provider) opts the number out here too', async () => {
    const { db, delivery, callback, workspaceId, contactId } = await setup();
    await delivery('sent', 'SMoptedout');
    await callback([
      ['MessageSid', 'SMoptedout'],
      ['MessageStatus', 'undelivered'],
      ['ErrorCode', '21610'],
    ]);
    expect(await smsPolicy(db, workspaceId, [{ contactId, phone: PHONE }], { kind: 'transactional' })).toEqual([
      { contactId, allowed: false, reason: 'sms_opt_out' },
    ]);
  });
});

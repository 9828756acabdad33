import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config.ts';
import { createSmsProvider, SmsSendError, smsProviderFromConfig } from './provider.ts';
import { type ProviderTestServer, startProviderTestServer } from './provider-test-server.ts';

const ACCOUNT = 'AC00000000000000000000000000000001';
const TOKEN = 'test-auth-token';
let server: ProviderTestServer;
beforeAll(async () => {
  server = await startProviderTestServer({ accountSid: ACCOUNT, authToken: TOKEN });
});
afterAll(async () => {
  await server?.stop();
});

const provider = (overrides: { authToken?: string; from?: string; timeoutMs?: number; baseUrl?: string } = {}) =>
  createSmsProvider({ baseUrl: server.baseUrl, accountSid: ACCOUNT, authToken: TOKEN, from: '+815012345678', ...overrides });

async function refusal(send: Promise<unknown>): Promise<SmsSendError> {
  const error = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmsSendError);
  return error as SmsSendError;
}

describe('SMS provider (Twilio request shape)', () => {
  it('POSTs a form with To, From, Body and StatusCallback under Basic auth and returns the sid', async () => {
    const before = server.requests.length;
    const sent = await provider().send({
      to: '+819012345678',
      body: 'ご予約ありがとうございます',
      statusCallback: 'https://kizuna.example.com/sms/ws/status?delivery=d1',
    });
    expect(sent).toEqual({ sid: expect.stringMatching(/^SM[0-9a-f]{32}$/), status: 'queued' });
    const request = server.requests[before]!;
    expect(request).toMatchObject({
      method: 'POST',
      path: `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`,
      authorization: `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`,
      contentType: 'application/x-www-form-urlencoded',
      form: {
        To: '+819012345678',
        From: '+815012345678',
        Body: 'ご予約ありがとうございます',
        StatusCallback: 'https://kizuna.example.com/sms/ws/status?delivery=d1',
      },
    });
  });

  it('sends through a messaging service when the sender is one (MG…), and a per-message sender wins', async () => {
    const service = `MG${'a'.repeat(32)}`;
    await provider({ from: service }).send({ to: '+819012345678', body: 'hi' });
    expect(server.requests.at(-1)!.form).toEqual({ To: '+819012345678', Body: 'hi', MessagingServiceSid: service });
    await provider({ from: service }).send({ to: '+819012345678', body: 'hi', from: 'Kizuna' });
    expect(server.requests.at(-1)!.form).toMatchObject({ From: 'Kizuna' });
  });

  it('an invalid number and an opted-out recipient are permanent, with the provider’s code', async () => {
    const invalid = await refusal(provider().send({ to: '090-1234', body: 'x' }));
    expect(invalid).toMatchObject({ permanent: true, code: 21211, status: 400 });
    expect(invalid.message).toContain('not a valid phone number');
    server.optedOut.add('+819011112222');
    const optedOut = await refusal(provider().send({ to: '+819011112222', body: 'x' }));
    expect(optedOut).toMatchObject({ permanent: true, code: 21610 });
  });

  it('429, 5xx, an HTML error page, a dropped connection and a timeout are retryable', async () => {
    server.script.push({ status: 429, json: { code: 20429, message: 'Too Many Requests', status: 429 } });
    expect(await refusal(provider().send({ to: '+819012345678', body: 'x' }))).toMatchObject({
      permanent: false,
      code: 20429,
      status: 429,
    });
    server.script.push({ status: 503 });
    expect(await refusal(provider().send({ to: '+819012345678', body: 'x' }))).toMatchObject({
      permanent: false,
      status: 503,
      maybeSent: false,
    });
    server.script.push('reset');
    const dropped = await refusal(provider().send({ to: '+819012345678', body: 'x' }));
    // The request was written before the connection dropped: the text may be out.
    expect(dropped).toMatchObject({ permanent: false, status: null, maybeSent: true });
    expect(dropped.message).toContain('could not be reached');
    server.script.push('hang');
    const slow = await refusal(provider({ timeoutMs: 200 }).send({ to: '+819012345678', body: 'x' }));
    expect(slow).toMatchObject({ permanent: false, status: null, maybeSent: true });
    expect(slow.message).toContain('no answer within 200 ms');
  });

  it('a refused connection is retryable and certainly sent nothing', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const error = await refusal(provider({ baseUrl: `http://127.0.0.1:${port}` }).send({ to: '+819012345678', body: 'x' }));
    expect(error).toMatchObject({ permanent: false, maybeSent: false });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('wrong credentials are retried (an operator fixes them while messages wait) and named', async () => {
    const error = await refusal(provider({ authToken: 'wrong' }).send({ to: '+819012345678', body: 'x' }));
    expect(error).toMatchObject({ permanent: false, code: 20003, status: 401 });
    expect(error.message).toContain('KIZUNA_SMS_AUTH_TOKEN');
  });

  it('comes from configuration: absent when not configured, an error naming what is missing when half configured', () => {
    const config = (env: Record<string, string>) => loadConfig({ env, flags: { logLevel: 'silent' } });
    expect(smsProviderFromConfig(config({}))).toBeUndefined();
    expect(() => smsProviderFromConfig(config({ KIZUNA_SMS_BASE_URL: server.baseUrl, KIZUNA_SMS_ACCOUNT_SID: ACCOUNT }))).toThrow(
      'KIZUNA_SMS_AUTH_TOKEN, KIZUNA_SMS_FROM must be set too',
    );
    const full = config({
      KIZUNA_SMS_BASE_URL: server.baseUrl,
      KIZUNA_SMS_ACCOUNT_SID: ACCOUNT,
      KIZUNA_SMS_AUTH_TOKEN: TOKEN,
      KIZUNA_SMS_FROM: '+815012345678',
    });
    expect(smsProviderFromConfig(full)).toBeDefined();
  });
});

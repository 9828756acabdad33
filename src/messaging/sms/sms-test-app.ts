/**
 * For the SMS tests: the real app with SMS webhooks configured (an auth token and a public URL),
 * a fresh workspace with contacts, and a caller that signs webhooks as the provider does.
 */
import { randomUUID } from 'node:crypto';
import { createVirtualClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import type { Database } from '../../platform/db/database.ts';
import { createLogger } from '../../platform/logger.ts';
import { createApp } from '../../server/app.ts';
import { createTestWorkspace } from '../../server/test-app.ts';
import { twilioSignature } from './signature.ts';

export const SMS_TEST_TOKEN = 'sms-webhook-auth-token-for-tests';
export const SMS_TEST_PUBLIC_URL = 'https://kizuna.example.com';

export async function createSmsTestApp(
  database: Database,
  { locale = 'ja', authToken = SMS_TEST_TOKEN }: { locale?: 'ja' | 'en'; authToken?: string | null } = {},
) {
  const clock = createVirtualClock(new Date('2026-04-01T00:00:00Z'));
  const config = loadConfig({
    env: { KIZUNA_PUBLIC_URL: SMS_TEST_PUBLIC_URL, ...(authToken ? { KIZUNA_SMS_AUTH_TOKEN: authToken } : {}) },
    flags: { logLevel: 'silent', logFormat: 'json' },
  });
  const app = createApp({ db: database.db, engine: database.engine, clock, config, logger: createLogger(config) });
  const ws = await createTestWorkspace(database, clock, 'Kizuna Shop');
  await database.db.updateTable('workspaces').set({ locale }).where('id', '=', ws.workspaceId).execute();
  /** An API call with the workspace's admin key (or `key`); JSON in, status and parsed JSON out. */
  const api = async (path: string, init: { method?: string; json?: unknown; key?: string } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${init.key ?? ws.adminKey}` };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(path, {
      method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    clock,
    ws,
    api,
    /** Creates a contact through the API (so its phone is normalised as any write does). */
    contact: async (fields: Record<string, unknown>) => {
      // A contact needs an email or an external id; the SMS tests care about its phone only.
      const { status, body } = await api('/api/contacts', { json: { email: `${randomUUID()}@example.jp`, ...fields } });
      if (status !== 201) throw new Error(`contact not created: ${JSON.stringify(body)}`);
      return body.id as string;
    },
    /**
     * POSTs a provider webhook, signed for its public URL unless `signature` is given (null: none).
     * @param path e.g. `/sms/{ws}/inbound`, with any query.
     */
    webhook: async (path: string, fields: [string, string][], options: { signature?: string | null; contentType?: string } = {}) => {
      const signature =
        options.signature === undefined ? twilioSignature(SMS_TEST_TOKEN, SMS_TEST_PUBLIC_URL + path, fields) : options.signature;
      return app.request(path, {
        method: 'POST',
        headers: {
          'content-type': options.contentType ?? 'application/x-www-form-urlencoded; charset=UTF-8',
          ...(signature === null ? {} : { 'x-twilio-signature': signature }),
        },
        body: new URLSearchParams(fields).toString(),
      });
    },
  };
}

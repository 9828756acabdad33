import { Analytics } from '@segment/analytics-node';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestWorkspace, serveTestApp } from '../server/test-app.ts';

const database = useTestDatabase();
const servers: { close: () => void }[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});

/** Kizuna over real HTTP on loopback; `failFirst` stores the first requests and then answers 500 anyway. */
async function startKizuna({ failFirst = 0 }: { failFirst?: number } = {}) {
  let requests = 0;
  const served = await serveTestApp(database.current, (fetch) => async (request) => {
    const response = await fetch(request);
    requests++;
    return requests <= failFirst ? new Response('{"error":"injected"}', { status: 500 }) : response;
  });
  servers.push(served);
  return { url: served.url, requests: () => requests };
}

describe('the official @segment/analytics-node client', () => {
  it('delivers identify, track and page onto the right contact', async () => {
    const kizuna = await startKizuna();
    const ws = await createTestWorkspace(database.current);
    const analytics = new Analytics({ writeKey: ws.writeKey, host: kizuna.url, flushAt: 10, flushInterval: 50 });
    analytics.identify({
      userId: 'sdk-user-1',
      traits: { email: 'sdk@example.co.jp', name: '鈴木 一郎', company: { name: '株式会社SDK' } },
    });
    analytics.track({ userId: 'sdk-user-1', event: 'Whitepaper Downloaded', properties: { title: 'MA 入門' } });
    analytics.page({ userId: 'sdk-user-1', name: 'Pricing', properties: { path: '/pricing' } });
    analytics.track({ anonymousId: 'sdk-anon', event: 'Anonymous Click' });
    await analytics.closeAndFlush({ timeout: 20_000 });

    const contacts = await database.current.db.selectFrom('contacts').selectAll().where('workspace_id', '=', ws.workspaceId).execute();
    expect(contacts.map((c) => [c.email, c.last_name, c.first_name, c.company_name])).toEqual([
      ['sdk@example.co.jp', '鈴木', '一郎', '株式会社SDK'],
    ]);
    const events = await database.current.db.selectFrom('events').selectAll().where('workspace_id', '=', ws.workspaceId).execute();
    const byName = Object.fromEntries(events.map((e) => [`${e.type}:${e.name}`, e.contact_id]));
    expect(byName).toEqual({
      'identify:null': contacts[0]!.id,
      'track:Whitepaper Downloaded': contacts[0]!.id,
      'page:Pricing': contacts[0]!.id,
      'track:Anonymous Click': null,
    });
  });

  it('stores every event exactly once when the first attempt fails with a 500 and the client retries', async () => {
    const kizuna = await startKizuna({ failFirst: 1 });
    const ws = await createTestWorkspace(database.current);
    const analytics = new Analytics({ writeKey: ws.writeKey, host: kizuna.url, flushAt: 5, flushInterval: 50, maxRetries: 3 });
    for (let i = 0; i < 5; i++) analytics.track({ anonymousId: 'retry-visitor', event: 'Step Viewed', properties: { step: i } });
    await analytics.closeAndFlush({ timeout: 20_000 });

    expect(kizuna.requests()).toBeGreaterThanOrEqual(2);
    const events = await database.current.db.selectFrom('events').selectAll().where('workspace_id', '=', ws.workspaceId).execute();
    expect(events.map((e) => e.properties.step).sort()).toEqual([0, 1, 2, 3, 4]);
  });
});

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { countWorkspaceRows, useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';

const database = useTestDatabase();

async function stored(workspaceId: string) {
  const n = await countWorkspaceRows(database.current, workspaceId, ['events', 'contacts', 'event_message_ids'] as const);
  return { events: n.events, contacts: n.contacts, messageIds: n.event_message_ids };
}

describe('concurrent identification', () => {
  it('20 parallel identifies of the same new email make exactly one contact', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current, app.clock);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        app.request('/v1/identify', {
          key: ws.writeKey,
          json: { anonymousId: `device-${i}`, traits: { email: 'Race@Example.com', firstName: 'Race' } },
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const contacts = await database.current.db
      .selectFrom('contacts')
      .select(['id', 'email'])
      .where('workspace_id', '=', ws.workspaceId)
      .execute();
    expect(contacts).toEqual([{ id: expect.any(String), email: 'race@example.com' }]);
    const devices = await database.current.db
      .selectFrom('contact_anonymous_ids')
      .select('contact_id')
      .where('workspace_id', '=', ws.workspaceId)
      .execute();
    expect(devices).toHaveLength(20);
    expect(new Set(devices.map((d) => d.contact_id))).toEqual(new Set([contacts[0]!.id]));
  });
});

interface Case {
  name: string;
  path: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  key?: 'write' | 'read' | 'wrong' | 'none';
  status: number;
  field?: string;
}

const big = 'x'.repeat(33 * 1024);
const CASES: Case[] = [
  { name: 'no userId or anonymousId', path: '/v1/track', body: JSON.stringify({ event: 'A' }), status: 400, field: 'userId' },
  { name: 'no event name', path: '/v1/track', body: JSON.stringify({ anonymousId: 'a' }), status: 400, field: 'event' },
  {
    name: 'event name of the wrong type',
    path: '/v1/track',
    body: JSON.stringify({ anonymousId: 'a', event: 42 }),
    status: 400,
    field: 'event',
  },
  {
    name: 'traits of the wrong type',
    path: '/v1/identify',
    body: JSON.stringify({ userId: 'u', traits: 'vip' }),
    status: 400,
    field: 'traits',
  },
  {
    name: 'a bad timestamp',
    path: '/v1/track',
    body: JSON.stringify({ anonymousId: 'a', event: 'A', timestamp: 'yesterday' }),
    status: 400,
    field: 'timestamp',
  },
  {
    name: 'a messageId over 100 characters',
    path: '/v1/track',
    body: JSON.stringify({ anonymousId: 'a', event: 'A', messageId: 'm'.repeat(101) }),
    status: 400,
    field: 'messageId',
  },
  { name: 'alias without previousId', path: '/v1/alias', body: JSON.stringify({ userId: 'u' }), status: 400, field: 'previousId' },
  {
    name: 'a batch with one bad call stores none',
    path: '/v1/batch',
    body: JSON.stringify({
      batch: [
        { type: 'track', anonymousId: 'a', event: 'Ok' },
        { type: 'track', anonymousId: 'a' },
      ],
    }),
    status: 400,
    field: 'batch.1.event',
  },
  {
    name: 'a batch call of unknown type',
    path: '/v1/batch',
    body: JSON.stringify({ batch: [{ type: 'purchase', anonymousId: 'a' }] }),
    status: 400,
    field: 'batch.0.type',
  },
  {
    name: 'an event over 32 KB',
    path: '/v1/track',
    body: JSON.stringify({ anonymousId: 'a', event: 'Big', properties: { big } }),
    status: 413,
    field: 'body',
  },
  {
    name: 'a batch over 500 KB',
    path: '/v1/batch',
    body: JSON.stringify({
      batch: Array.from({ length: 20 }, () => ({
        type: 'track',
        anonymousId: 'a',
        event: 'Big',
        properties: { big: 'y'.repeat(30 * 1024) },
      })),
    }),
    status: 413,
    field: 'body',
  },
  { name: 'invalid JSON', path: '/v1/track', body: '{"anonymousId": "a", "event": ', status: 400, field: 'body' },
  {
    name: 'corrupt gzip',
    path: '/v1/track',
    body: new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03]),
    headers: { 'content-encoding': 'gzip' },
    status: 400,
    field: 'body',
  },
  {
    name: 'a gzip bomb',
    path: '/v1/track',
    body: gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)),
    headers: { 'content-encoding': 'gzip' },
    status: 413,
    field: 'body',
  },
  { name: 'a wrong write key', path: '/v1/track', body: JSON.stringify({ anonymousId: 'a', event: 'A' }), key: 'wrong', status: 401 },
  { name: 'no write key', path: '/v1/track', body: JSON.stringify({ anonymousId: 'a', event: 'A' }), key: 'none', status: 401 },
  { name: 'a read key', path: '/v1/track', body: JSON.stringify({ anonymousId: 'a', event: 'A' }), key: 'read', status: 403 },
  { name: 'an unknown call', path: '/v1/purchase', body: JSON.stringify({ anonymousId: 'a' }), status: 404 },
];

describe('bad tracking input', () => {
  it.each(CASES)('$name → $status, nothing stored', async (testCase) => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current, app.clock);
    const key = { write: ws.writeKey, read: ws.readKey, wrong: 'kz_write_not-a-key-000000000000000000000', none: undefined }[
      testCase.key ?? 'write'
    ];
    const body = typeof testCase.body === 'string' ? testCase.body : new Blob([new Uint8Array(testCase.body)]);
    const res = await app.request(testCase.path, { key, body, headers: { 'content-type': 'application/json', ...testCase.headers } });
    expect(res.status).toBe(testCase.status);
    const problem = await res.json();
    if (testCase.field) expect(problem.errors.map((e: { path: string }) => e.path)).toContain(testCase.field);
    expect(await stored(ws.workspaceId)).toEqual({ events: 0, contacts: 0, messageIds: 0 });
  });

  it('answers 429 with Retry-After above the workspace rate, and stores only what it accepted', async () => {
    const app = createTestApp(database.current, { ingestPerSecond: 5 });
    const ws = await createTestWorkspace(database.current, app.clock);
    const batch = (n: number) => ({ batch: Array.from({ length: n }, (_, i) => ({ type: 'track', anonymousId: 'r', event: `E${i}` })) });
    expect((await app.request('/v1/batch', { key: ws.writeKey, json: batch(10) })).status).toBe(200);
    const limited = await app.request('/v1/batch', { key: ws.writeKey, json: batch(4) });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    app.clock.advance(1000);
    expect((await app.request('/v1/batch', { key: ws.writeKey, json: batch(4) })).status).toBe(200);
    expect((await stored(ws.workspaceId)).events).toBe(14);
  });
});

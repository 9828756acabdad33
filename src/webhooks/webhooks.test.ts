import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bulkUpsertContacts } from '../contacts/contacts.ts';
import { publishLifecycle, saveLifecycleDraft } from '../lifecycle/lifecycle.ts';
import { createVirtualClock } from '../platform/clock.ts';
import { countWorkspaceRows, useTestDatabase } from '../platform/db/test-database.ts';
import { createOutboundPolicy } from '../platform/net/outbound.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';
import { afterFailure, claimDueWebhooks, drainDueWebhooks, LEASE_MS, MAX_ATTEMPTS, RETRY_DELAYS_MS } from './deliver.ts';
import { createWebhook, listWebhookDeliveries, rotateWebhookSecret, sendTestWebhook, updateWebhook } from './webhooks.ts';

const database = useTestDatabase();
/** The receiver below listens on loopback, which the default policy refuses: allowed as an operator would. */
const outbound = createOutboundPolicy(['127.0.0.1']);

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

// A real receiver on loopback. Each test uses its own path; `answers` scripts the statuses per
// path (204 once the script runs out).
const received = new Map<string, Received[]>();
const answers = new Map<string, number[]>();
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const path = req.url ?? '/';
    received.set(path, [...(received.get(path) ?? []), { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }]);
    res.statusCode = answers.get(path)?.shift() ?? 204;
    res.end(res.statusCode >= 400 ? 'receiver says no' : '');
  });
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => {
  receiver.closeAllConnections();
  receiver.close();
});

/**
 * A workspace and a clock of its own. The clock starts in 2030 because on PostgreSQL every test
 * file shares one database and other files' test apps drain all workspaces with clocks in 2026:
 * deliveries due in 2030 are never due for them.
 */
async function setup() {
  const { db } = database.current;
  const clock = createVirtualClock(new Date('2030-01-01T00:00:00Z'));
  const { workspaceId } = await createTestWorkspace(database.current, clock);
  const path = `/hooks/${randomUUID()}`;
  const endpoint = (kinds: string[], extra: { url?: string; active?: boolean } = {}) =>
    createWebhook(db, workspaceId, { url: `${base}${path}`, kinds, ...extra }, clock);
  const signal = (kind: string, data: Record<string, unknown> = {}) =>
    db
      .insertInto('signals')
      .values({
        workspace_id: workspaceId,
        kind,
        contact_id: randomUUID(),
        subject_id: randomUUID(),
        data: JSON.stringify(data),
        occurred_at: clock.now(),
      })
      .returning(['id', 'contact_id', 'subject_id'])
      .executeTakeFirstOrThrow();
  const deliveries = () =>
    db.selectFrom('webhook_deliveries').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id').execute();
  const drain = () => drainDueWebhooks(db, clock, outbound, { workspaceId });
  return { db, clock, workspaceId, path, endpoint, signal, deliveries, drain, requests: () => received.get(path) ?? [] };
}

/** standardwebhooks checks webhook-timestamp against Date.now(); deliveries are signed on the virtual clock. */
function verifyAt(secret: string, request: Received, at: Date): unknown {
  const now = vi.spyOn(Date, 'now').mockReturnValue(at.getTime());
  try {
    return new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
  } finally {
    now.mockRestore();
  }
}

describe('webhook fan-out', () => {
  it('writes one delivery per new signal and subscribed active endpoint of its workspace, in the signal’s transaction', async () => {
    const { db, clock, workspaceId, endpoint, signal, deliveries } = await setup();
    const both = await endpoint(['handoff.assigned', 'segment.entered']);
    const handoffOnly = await endpoint(['handoff.assigned']);
    await endpoint(['segment.exited']);
    await endpoint(['handoff.assigned'], { active: false });
    const other = await setup();
    await other.endpoint(['handoff.assigned']);

    const assigned = await signal('handoff.assigned', { owner: 'sato@kizuna.example' });
    await signal('score.band_changed');
    // Two data-modifying CTEs into signals in one statement: the trigger sees both rows at once.
    await sql`
      WITH a AS (INSERT INTO signals (workspace_id, kind, contact_id, subject_id, occurred_at)
        VALUES (${workspaceId}, 'segment.entered', gen_random_uuid(), gen_random_uuid(), ${clock.now()}) RETURNING 1),
      b AS (INSERT INTO signals (workspace_id, kind, contact_id, subject_id, occurred_at)
        VALUES (${workspaceId}, 'segment.entered', gen_random_uuid(), gen_random_uuid(), ${clock.now()}) RETURNING 1)
      SELECT * FROM a, b`.execute(db);
    // A rolled-back signal leaves no delivery behind.
    await db
      .transaction()
      .execute(async (tx) => {
        await tx
          .insertInto('signals')
          .values({
            workspace_id: workspaceId,
            kind: 'handoff.assigned',
            contact_id: randomUUID(),
            subject_id: randomUUID(),
            occurred_at: clock.now(),
          })
          .execute();
        throw new Error('roll back');
      })
      .catch(() => undefined);

    const rows = await deliveries();
    const count = (endpointId: string, kind: string) => rows.filter((d) => d.endpoint_id === endpointId && d.kind === kind).length;
    expect(rows).toHaveLength(4);
    expect([count(both.id, 'handoff.assigned'), count(both.id, 'segment.entered'), count(handoffOnly.id, 'handoff.assigned')]).toEqual([
      1, 2, 1,
    ]);
    expect(await other.deliveries()).toEqual([]);
    const delivery = rows.find((d) => d.endpoint_id === handoffOnly.id)!;
    expect(delivery).toMatchObject({ signal_id: assigned.id, status: 'pending', attempts: 0, next_attempt_at: clock.now() });
    expect(delivery.payload).toEqual({
      type: 'handoff.assigned',
      timestamp: '2030-01-01T00:00:00.000Z',
      data: { contactId: assigned.contact_id, subjectId: assigned.subject_id, owner: 'sato@kizuna.example' },
    });
  });
});

describe('webhook delivery', () => {
  it('posts a lead handed to a sales owner as a request signed per Standard Webhooks', async () => {
    const { db, clock, workspaceId, endpoint, deliveries, drain, requests } = await setup();
    const { secret } = await endpoint(['handoff.assigned']);
    await saveLifecycleDraft(
      db,
      workspaceId,
      {
        definition: {
          rules: [{ stage: 'MQL', label: 'email', condition: { type: 'field', field: 'email', operator: 'is_set' } }],
          handoff: { salesUsers: [{ email: 'sato@kizuna.example' }] },
        },
      },
      clock,
    );
    await publishLifecycle(db, workspaceId, clock);
    await bulkUpsertContacts(db, workspaceId, [{ email: 'lead@example.com', firstName: 'Hanako', lastName: 'Yamada' }], clock);

    expect(await drain()).toBe(1);
    expect(await drain()).toBe(0);
    const [request] = requests();
    expect(requests()).toHaveLength(1);
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Kizuna-Webhooks/1',
      'webhook-id': (await deliveries())[0]!.id,
      'webhook-timestamp': String(clock.now().getTime() / 1000),
    });
    const event = verifyAt(secret, request!, clock.now());
    expect(event).toMatchObject({
      type: 'handoff.assigned',
      timestamp: clock.now().toISOString(),
      data: { owner: 'sato@kizuna.example', assignedBy: 'round_robin', contact: { email: 'lead@example.com' } },
    });
    expect(() => verifyAt('whsec_d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldA==', request!, clock.now())).toThrow('No matching signature');
    expect(await deliveries()).toMatchObject([{ status: 'delivered', attempts: 1, last_status: 204, delivered_at: clock.now() }]);
  });

  it('retries a failed attempt after the backoff with the same webhook-id, and records the answer', async () => {
    const { clock, path, endpoint, signal, deliveries, drain, requests } = await setup();
    const { secret } = await endpoint(['handoff.assigned']);
    answers.set(path, [500]);
    await signal('handoff.assigned');

    expect(await drain()).toBe(1);
    expect(await deliveries()).toMatchObject([
      {
        status: 'pending',
        attempts: 1,
        last_status: 500,
        last_error: 'HTTP 500: receiver says no',
        next_attempt_at: new Date(clock.now().getTime() + 30_000),
      },
    ]);
    clock.advance(29_999);
    expect(await drain()).toBe(0);
    clock.advance(1);
    expect(await drain()).toBe(1);

    const [first, second] = requests();
    expect(requests()).toHaveLength(2);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(verifyAt(secret, second!, clock.now())).toMatchObject({ type: 'handoff.assigned' });
    expect(await deliveries()).toMatchObject([{ status: 'delivered', attempts: 2, last_status: 204, last_error: null }]);
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts (about a day); a network error is recorded like a bad answer`, async () => {
    const { clock, path, endpoint, signal, deliveries, drain, requests } = await setup();
    await endpoint(['task.created']);
    answers.set(path, Array(MAX_ATTEMPTS).fill(503));
    await signal('task.created');
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      expect(await drain()).toBe(1);
      if (attempt < MAX_ATTEMPTS) clock.advance(RETRY_DELAYS_MS[attempt - 1]!);
    }
    clock.advance(7 * 24 * 3_600_000);
    expect(await drain()).toBe(0);
    expect(requests()).toHaveLength(MAX_ATTEMPTS);
    expect(await deliveries()).toMatchObject([{ status: 'failed', attempts: MAX_ATTEMPTS, last_status: 503, delivered_at: null }]);

    const refused = await setup();
    await refused.endpoint(['task.created'], { url: 'http://127.0.0.1:9/refused' });
    await refused.signal('task.created');
    expect(await refused.drain()).toBe(1);
    const [row] = await refused.deliveries();
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status: null });
    expect(row!.last_error).toMatch(/ECONNREFUSED/);
  });

  it('never sends to an address that is not public unless the operator allows it, and fails such a delivery at once', async () => {
    const { db, clock, workspaceId, path, endpoint, signal, deliveries, requests } = await setup();
    // The receiver is on loopback; the default policy (nothing allowed) refuses it, by IP and by name.
    await endpoint(['task.created']);
    const named = await createWebhook(
      db,
      workspaceId,
      { url: `${base.replace('127.0.0.1', 'localhost')}${path}`, kinds: ['task.created'] },
      clock,
    );
    await signal('task.created');
    expect(await drainDueWebhooks(db, clock, createOutboundPolicy(), { workspaceId })).toBe(2);
    expect(requests()).toHaveLength(0);
    const rows = await deliveries();
    expect(rows.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(rows.map((r) => r.attempts)).toEqual([1, 1]);
    const byEndpoint = new Map(rows.map((r) => [r.endpoint_id, r.last_error]));
    expect(byEndpoint.get(named.id)).toMatch(
      /^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address \(not public; KIZUNA_OUTBOUND_ALLOW can allow it\)$/,
    );
    expect([...byEndpoint.values()]).toContain('refused: 127.0.0.1 is a loopback address (not public; KIZUNA_OUTBOUND_ALLOW can allow it)');
    // Failed for good: nothing is retried later.
    clock.advance(2 * 24 * 3_600_000);
    expect(await drainDueWebhooks(db, clock, createOutboundPolicy(), { workspaceId })).toBe(0);

    // A test event answers with the refusal (cloud metadata stays out of reach with loopback allowed).
    const hook = await endpoint(['segment.entered'], { url: 'http://169.254.169.254/latest/meta-data/' });
    const metadata = await sendTestWebhook(db, workspaceId, hook.id, clock, createOutboundPolicy(['127.0.0.1']));
    expect(metadata).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'refused: 169.254.169.254 is a link-local (cloud metadata) address (not public; KIZUNA_OUTBOUND_ALLOW can allow it)',
    });
  });

  it('hides a claimed delivery for a lease; when its worker dies it is due again after the lease', async () => {
    const { db, clock, workspaceId, endpoint, signal, deliveries, drain, requests } = await setup();
    await endpoint(['segment.entered']);
    await signal('segment.entered');
    // A worker claims and dies before sending.
    expect(await claimDueWebhooks(db, clock.now(), { workspaceId, limit: 10 })).toHaveLength(1);
    expect(await drain()).toBe(0);
    clock.advance(LEASE_MS);
    expect(await drain()).toBe(1);
    expect(requests()).toHaveLength(1);
    expect(await deliveries()).toMatchObject([{ status: 'delivered', attempts: 1 }]);
  });

  it('sends nothing to an inactive endpoint: deactivating drops its pending deliveries', async () => {
    const { db, clock, workspaceId, endpoint, signal, deliveries, drain, requests } = await setup();
    const hook = await endpoint(['handoff.assigned']);
    await signal('handoff.assigned');
    await updateWebhook(db, workspaceId, hook.id, { active: false }, clock);
    await signal('handoff.assigned');
    expect(await drain()).toBe(0);
    expect(requests()).toEqual([]);
    expect(await deliveries()).toMatchObject([{ status: 'failed', attempts: 0, last_error: 'not sent: the endpoint was deactivated' }]);
    const page = await listWebhookDeliveries(db, workspaceId, hook.id, { limit: 10 });
    expect(page.items).toMatchObject([{ status: 'failed', kind: 'handoff.assigned', nextAttemptAt: null }]);
  });

  it('signs with the rotated secret from the rotation on, and with the old one beside it until its grace ends', async () => {
    const { db, clock, workspaceId, endpoint, signal, drain, requests } = await setup();
    const hook = await endpoint(['handoff.assigned']);
    const rotated = await rotateWebhookSecret(db, workspaceId, hook.id, clock);
    expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(rotated.secret).not.toBe(hook.secret);
    expect(rotated.previousSecretUntil).toBe(new Date(clock.now().getTime() + 24 * 3_600_000).toISOString());
    await signal('handoff.assigned');
    await drain();
    // Within the grace: two signatures, so a receiver on either secret accepts the request.
    expect(String(requests()[0]!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyAt(rotated.secret, requests()[0]!, clock.now())).toMatchObject({ type: 'handoff.assigned' });
    expect(verifyAt(hook.secret, requests()[0]!, clock.now())).toMatchObject({ type: 'handoff.assigned' });
    // After it: the new secret alone.
    clock.advance(24 * 3_600_000);
    await signal('handoff.assigned');
    await drain();
    expect(String(requests()[1]!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyAt(rotated.secret, requests()[1]!, clock.now())).toMatchObject({ type: 'handoff.assigned' });
    expect(() => verifyAt(hook.secret, requests()[1]!, clock.now())).toThrow();
    // A rotation with no grace stops the old secret at once.
    const again = await rotateWebhookSecret(db, workspaceId, hook.id, clock, { graceHours: 0 });
    expect(again.previousSecretUntil).toBeNull();
    await signal('handoff.assigned');
    await drain();
    expect(verifyAt(again.secret, requests()[2]!, clock.now())).toMatchObject({ type: 'handoff.assigned' });
    expect(() => verifyAt(rotated.secret, requests()[2]!, clock.now())).toThrow();
  });

  it('a test event is sent at once, signed, and answers with the receiver’s reply; a failed one is not retried', async () => {
    const { db, clock, workspaceId, path, endpoint, deliveries, drain, requests } = await setup();
    const hook = await endpoint(['handoff.assigned']);
    const sent = await sendTestWebhook(db, workspaceId, hook.id, clock, outbound);
    expect(sent).toMatchObject({ kind: 'webhook.test', signalId: null, status: 'delivered', attempts: 1, lastStatus: 204 });
    expect(requests()).toHaveLength(1);
    expect(requests()[0]!.headers['webhook-id']).toBe(sent.id);
    expect(verifyAt(hook.secret, requests()[0]!, clock.now())).toMatchObject({
      type: 'webhook.test',
      timestamp: clock.now().toISOString(),
      data: { webhookId: hook.id },
    });
    // The receiver refuses: the answer comes back, and the event is not tried again.
    answers.set(path, [500]);
    clock.advance(1000);
    const refused = await sendTestWebhook(db, workspaceId, hook.id, clock, outbound);
    expect(refused).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatus: 500,
      lastError: 'HTTP 500: receiver says no',
      nextAttemptAt: null,
    });
    clock.advance(2 * 86_400_000);
    expect(await drain()).toBe(0);
    expect(requests()).toHaveLength(2);
    const page = await listWebhookDeliveries(db, workspaceId, hook.id, { limit: 10 });
    expect(page.items.map((d) => d.id)).toEqual([refused.id, sent.id]);
    // An inactive endpoint gets none; nothing is stored.
    await updateWebhook(db, workspaceId, hook.id, { active: false }, clock);
    await expect(sendTestWebhook(db, workspaceId, hook.id, clock, outbound)).rejects.toMatchObject({ code: 'conflict' });
    expect(await deliveries()).toHaveLength(2);
    expect(requests()).toHaveLength(2);
  });

  it('backs off 30 s, 2 min, 10 min, 1 h, 6 h, 8 h, 8 h, then fails', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const waits = Array.from({ length: MAX_ATTEMPTS }, (_, i) => {
      const next = afterFailure(i + 1, now);
      return next.status === 'pending' ? (next.nextAttemptAt.getTime() - now.getTime()) / 1000 : next.status;
    });
    expect(waits).toEqual([30, 120, 600, 3600, 21_600, 28_800, 28_800, 'failed']);
  });
});

describe('webhooks API', () => {
  it('refuses bad input naming the field and stores nothing', async () => {
    const app = createTestApp(database.current);
    const { workspaceId, adminKey } = await createTestWorkspace(database.current, app.clock);
    const cases: [unknown, string][] = [
      [{ url: 'ftp://crm.example/hook', kinds: ['handoff.assigned'] }, 'url'],
      [{ url: 'https://crm.example/hook', kinds: ['handoff.assigned', 'contact.deleted'] }, 'kinds.1'],
      [{ url: 'https://crm.example/hook', kinds: [] }, 'kinds'],
      [{ url: 'https://crm.example/hook' }, 'kinds'],
    ];
    for (const [json, field] of cases) {
      const res = await app.request('/api/webhooks', { key: adminKey, json });
      expect(res.status).toBe(400);
      expect((await res.json()).errors.map((e: { path: string }) => e.path)).toEqual([field]);
    }
    const created = await (
      await app.request('/api/webhooks', { key: adminKey, json: { url: 'https://crm.example/hook', kinds: ['task.created'] } })
    ).json();
    const patched = await app.request(`/api/webhooks/${created.id}`, { method: 'PATCH', key: adminKey, json: { kinds: ['nope'] } });
    expect(patched.status).toBe(400);
    expect((await patched.json()).errors.map((e: { path: string }) => e.path)).toEqual(['kinds.0']);
    expect(await countWorkspaceRows(database.current, workspaceId, ['webhook_endpoints'])).toEqual({ webhook_endpoints: 1 });
    expect((await (await app.request(`/api/webhooks/${created.id}`, { key: adminKey })).json()).kinds).toEqual(['task.created']);
  });

  it('shows the secret on creation and rotation only', async () => {
    const app = createTestApp(database.current);
    const { adminKey, readKey } = await createTestWorkspace(database.current, app.clock);
    const json = { url: 'https://crm.example/hook', description: 'CRM', kinds: ['handoff.assigned', 'handoff.assigned'] };
    const res = await app.request('/api/webhooks', { key: adminKey, json });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toMatchObject({ url: json.url, description: 'CRM', kinds: ['handoff.assigned'], active: true });
    expect(created.secret).toMatch(/^whsec_/);

    const listed = await (await app.request('/api/webhooks', { key: readKey })).json();
    const got = await (await app.request(`/api/webhooks/${created.id}`, { key: readKey })).json();
    const patched = await (
      await app.request(`/api/webhooks/${created.id}`, { method: 'PATCH', key: adminKey, json: { description: null, active: false } })
    ).json();
    const { secret: _, ...shown } = created;
    expect(listed.items).toEqual([shown]);
    expect(got).toEqual(shown);
    expect(patched).toMatchObject({ description: null, active: false });
    for (const body of [listed, got, patched]) expect(JSON.stringify(body)).not.toContain(created.secret);

    const rotated = await app.request(`/api/webhooks/${created.id}/rotate-secret`, { method: 'POST', key: adminKey });
    expect(rotated.status).toBe(200);
    expect((await rotated.json()).secret).toMatch(/^whsec_/);
    expect((await app.request(`/api/webhooks/${created.id}/rotate-secret`, { method: 'POST', key: readKey })).status).toBe(403);
    const tooLong = await app.request(`/api/webhooks/${created.id}/rotate-secret?graceHours=500`, { method: 'POST', key: adminKey });
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).errors.map((e: { path: string }) => e.path)).toEqual(['query.graceHours']);
    const noGrace = await app.request(`/api/webhooks/${created.id}/rotate-secret?graceHours=0`, { method: 'POST', key: adminKey });
    expect((await noGrace.json()).previousSecretUntil).toBeNull();

    const deliveries = await app.request(`/api/webhooks/${created.id}/deliveries?limit=5`, { key: readKey });
    expect(await deliveries.json()).toEqual({ items: [], nextCursor: null });
    expect((await app.request(`/api/webhooks/${created.id}`, { method: 'DELETE', key: adminKey })).status).toBe(204);
    expect((await app.request(`/api/webhooks/${created.id}`, { key: adminKey })).status).toBe(404);
  });
});

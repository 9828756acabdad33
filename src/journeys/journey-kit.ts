import { sql } from 'kysely';
import { afterAll, beforeAll, expect } from 'vitest';
import { createMailSink, type MailSink } from '../messaging/smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../messaging/smtp/transport.ts';
import { loadConfig } from '../platform/config.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';

/**
 * What journey tests share: a test database, a loopback SMTP sink the real pipeline sends into,
 * and `journeyWorkspace(subjects)`: a workspace with published templates named by subject and
 * helpers to track events, publish journeys, and advance the virtual clock running the workers.
 */
export function useJourneyKit() {
  const database = useTestDatabase();
  let sink: MailSink;
  let transport: MailTransport;
  beforeAll(async () => {
    sink = createMailSink({ port: 0, maxMessages: 5000 });
    transport = createMailTransport({ config: loadConfig({ env: {}, flags: { logLevel: 'silent' } }), sink: await sink.start() });
  });
  afterAll(async () => {
    transport.close();
    await sink.stop();
  });

  /** A workspace with templates named by subject, quiet hours off, and helpers to track events and run the workers. */
  async function journeyWorkspace(subjects: string[]) {
    const app = createTestApp(database.current, { mail: { mailer: transport } });
    // 2026-04-01 10:00 in Tokyo.
    app.clock.set(new Date('2026-04-01T01:00:00Z'));
    const ws = await createTestWorkspace(database.current, app.clock);
    const api = async (path: string, init: { method?: string; json?: unknown } = {}) => {
      const res = await app.request(path, { key: ws.adminKey, ...init });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    };
    await api('/api/sending-settings', { method: 'PUT', json: { quietHours: null, frequencyCaps: { perDay: null, perWeek: null } } });
    const templates: Record<string, string> = {};
    for (const subject of subjects) {
      const body = `<p>{{ contact.lastName }} 様</p><p>${subject}</p><p><a href="{{ unsubscribe_url }}">配信停止</a></p>`;
      const t = (
        await api('/api/templates', {
          json: { name: subject, definition: { format: 'html', defaultLocale: 'ja', locales: { ja: { subject, body } } } },
        })
      ).body;
      await api(`/api/templates/${t.id}/publish`, { method: 'POST' });
      templates[subject] = t.id;
    }
    const run = async () => {
      while ((await app.drainJobs()) > 0) {}
    };
    const track = async (email: string, event: string, properties: Record<string, unknown> = {}) => {
      const res = await app.request('/v1/track', {
        key: ws.writeKey,
        json: { userId: email, event, properties, context: { traits: { email } } },
      });
      expect(res.status).toBe(200);
    };
    const identify = async (email: string, traits: Record<string, unknown> = {}) => {
      await app.request('/v1/identify', { key: ws.writeKey, json: { userId: email, traits: { email, lastName: '山田', ...traits } } });
      const contacts = (await api(`/api/contacts?email=${encodeURIComponent(email)}`)).body;
      return contacts.items[0].id as string;
    };
    const publish = async (definition: unknown) => {
      const created = await api('/api/journeys', { json: { name: 'Journey', definition } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const published = await api(`/api/journeys/${created.body.id}/publish`, { method: 'POST' });
      expect(published.status, JSON.stringify(published.body)).toBe(200);
      return created.body.id as string;
    };
    /** Advances the virtual clock and runs the workers: what a running worker would have done by then. */
    const advance = async (ms: number) => {
      app.clock.advance(ms);
      await run();
    };
    /**
     * Runs the workers at each moment something is due (an enrolment wakes, a delivery may go)
     * up to `end`, as a worker polling all the time would: send times are exact.
     */
    const advanceUntil = async (end: Date) => {
      for (let i = 0; i < 10_000; i++) {
        await run();
        const now = app.clock.now();
        const { rows } = await sql<{ next: Date | null }>`
          SELECT least(
            (SELECT min(wake_at) FROM journey_enrolments WHERE workspace_id = ${ws.workspaceId} AND status = 'active'),
            (SELECT min(due_at) FROM deliveries WHERE workspace_id = ${ws.workspaceId} AND status IN ('queued', 'deferred'))) AS next`.execute(
          database.current.db,
        );
        const next = rows[0]?.next ? new Date(rows[0].next) : null;
        if (!next || next > end) break;
        app.clock.set(next > now ? next : new Date(now.getTime() + 1000));
      }
      app.clock.set(end);
      await run();
    };
    /** Enrols contacts in a (manual) journey by the API. */
    const enrol = async (journeyId: string, contactIds: string[]) => {
      const res = await api(`/api/journeys/${journeyId}/enrolments`, { json: { contactIds } });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      return res.body;
    };
    /** A contact's latest enrolment: its state and steps (GET /api/contacts/{id}/journeys). */
    const trace = async (contactId: string) => {
      const res = await api(`/api/contacts/${contactId}/journeys`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.items[0] as {
        status: string;
        nodeId: string;
        wakeAt: string | null;
        waitDeadline: string | null;
        attempts: number;
        lastError: string | null;
        endReason: string | null;
        steps: { nodeId: string; outcome: string; detail: Record<string, unknown>; at: string }[];
      };
    };
    const mails = (to: string) =>
      sink
        .list({ workspaceId: ws.workspaceId, limit: 5000 })
        .filter((m) => m.to === to)
        .map((m) => m.subject)
        .reverse();
    return { app, ws, api, templates, run, track, identify, publish, enrol, trace, advance, advanceUntil, mails };
  }

  return { database, journeyWorkspace, sink: () => sink };
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main.ts';
import { contactJourneyTrace } from '../journeys/trace.ts';
import { createMailSink, type MailSink } from '../messaging/smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../messaging/smtp/transport.ts';
import { loadConfig } from '../platform/config.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { KizunaError } from '../platform/errors.ts';
import { explainScores } from '../scoring/models.ts';
import { type DemoResult, loadDemo } from './load-demo.ts';

const database = useTestDatabase();
const config = loadConfig({ env: {}, flags: { logLevel: 'silent' } });
// A fixed end: the same seed and window give the same demo.
const END = new Date('2026-06-01T00:00:00Z');
// Small enough for CI, through the same code path as the full demo; seed 90 has a few contacts
// who fit the MQL rule and ask for a demo inside 21 days.
const SMALL = { contacts: 150, days: 21, seed: 90, stepMinutes: 720, end: END, config } as const;

let sink: MailSink;
let transport: MailTransport;
beforeAll(async () => {
  sink = createMailSink({ port: 0, maxMessages: 5000 });
  transport = createMailTransport({ config, sink: await sink.start() });
});
afterAll(async () => {
  transport.close();
  await sink.stop();
});

/** What a newcomer looks at, by email (ids differ between loads): scores, bands, stages, segments, journeys. */
async function fingerprint(demo: DemoResult) {
  const { db } = database.current;
  const ws = demo.workspaceId;
  const contacts = await db
    .selectFrom('contacts as c')
    .leftJoin('contact_scores as s', 's.contact_id', 'c.id')
    .select(['c.email', 'c.lifecycle_stage', 's.score', 's.band'])
    .where('c.workspace_id', '=', ws)
    .orderBy('c.email')
    .execute();
  const segments = await sql<{ name: string; members: number }>`
    SELECT s.name, count(m.contact_id)::int AS members FROM segments s
    LEFT JOIN segment_members m ON m.segment_id = s.id AND m.exited_at IS NULL
    WHERE s.workspace_id = ${ws} GROUP BY s.name ORDER BY s.name`.execute(db);
  const enrolments = await sql<{ name: string; status: string; n: number }>`
    SELECT j.name, e.status, count(*)::int AS n FROM journey_enrolments e JOIN journeys j ON j.id = e.journey_id
    WHERE e.workspace_id = ${ws} GROUP BY 1, 2 ORDER BY 1, 2`.execute(db);
  const mail = await sql<{ status: string; n: number }>`
    SELECT status, count(*)::int AS n FROM deliveries WHERE workspace_id = ${ws} GROUP BY 1 ORDER BY 1`.execute(db);
  return { contacts, segments: segments.rows, enrolments: enrolments.rows, mail: mail.rows, events: demo.events };
}

describe('kizuna demo', () => {
  it('loads a small demo through the real path: scores, bands, stages, segments, journeys and caught mail', async () => {
    const { db } = database.current;
    const first = await loadDemo(db, { ...SMALL, workspaceName: 'Demo A', mailer: transport });
    expect(first).toMatchObject({ contacts: 150, companies: 12, journeys: expect.arrayContaining([expect.any(String)]) });
    expect(first.adminKey).toMatch(/^kz_admin_/);
    const seen = await fingerprint(first);

    // Every contact scored; the funnel has a B2B shape: mostly Cold, a minority Warm, a few Hot.
    expect(seen.contacts.every((c) => c.score !== null)).toBe(true);
    const share = (...bands: string[]) => seen.contacts.filter((c) => bands.includes(String(c.band))).length / seen.contacts.length;
    expect(share('Cold')).toBeGreaterThanOrEqual(0.6);
    expect(share('Cold')).toBeLessThanOrEqual(0.9);
    expect(share('Warm')).toBeGreaterThanOrEqual(0.08);
    expect(share('Warm')).toBeLessThanOrEqual(0.3);
    expect(share('Hot', 'Very Hot')).toBeGreaterThan(0);
    expect(share('Hot', 'Very Hot')).toBeLessThanOrEqual(0.15);
    expect(seen.contacts.every((c) => c.lifecycle_stage)).toBe(true);
    expect(seen.contacts.some((c) => c.lifecycle_stage !== 'Lead')).toBe(true);
    expect(seen.segments.find((s) => s.name.startsWith('Hot leads'))?.members).toBeGreaterThan(0);
    expect(seen.segments.find((s) => s.name.startsWith('Warm leads'))?.members).toBeGreaterThan(0);
    expect(seen.enrolments.length).toBeGreaterThan(0);
    expect(seen.mail.find((m) => m.status === 'sent' || m.status === 'opened' || m.status === 'clicked')).toBeDefined();
    expect(first.engagements).toBeGreaterThan(0);

    // Webinar attendees are followed up as attendees: the replay reaches each webinar's wait for
    // attendance before the attendance itself, whatever its step.
    const attendeesTreatedAsNoShows = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM journey_steps s JOIN journey_enrolments e ON e.id = s.enrolment_id
      WHERE s.workspace_id = ${first.workspaceId} AND s.node_id = 'recording' AND EXISTS (
        SELECT 1 FROM events v WHERE v.workspace_id = s.workspace_id AND v.contact_id = e.contact_id AND v.name = 'Webinar Attended')`.execute(
      db,
    );
    expect(attendeesTreatedAsNoShows.rows[0]!.n).toBe(0);

    // The mail went through the delivery pipeline into the SMTP sink, tagged with the workspace.
    const caught = sink.list({ workspaceId: first.workspaceId });
    expect(caught.length).toBeGreaterThan(0);
    expect(caught[0]!.to).toMatch(/@[a-z0-9-]+\.example/);
    // Sales owners were emailed about their MQLs, into the same mailbox.
    const owners = await db
      .selectFrom('owner_notifications')
      .select(['status', 'to_email'])
      .where('workspace_id', '=', first.workspaceId)
      .execute();
    expect(owners.length).toBeGreaterThan(0);
    expect(owners.every((o) => o.status === 'sent')).toBe(true);
    expect(caught.some((m) => owners.some((o) => m.to.includes(o.to_email)))).toBe(true);

    // A contact with a journey: its trace and its score explained rule by rule.
    const enrolled = await db
      .selectFrom('journey_enrolments')
      .select('contact_id')
      .where('workspace_id', '=', first.workspaceId)
      .orderBy('contact_id')
      .executeTakeFirstOrThrow();
    const trace = await contactJourneyTrace(db, first.workspaceId, enrolled.contact_id);
    expect(trace[0]!.steps.length).toBeGreaterThan(0);
    const explained = (await explainScores(db, first.workspaceId, enrolled.contact_id)).models[0]!;
    expect(explained.rules.reduce((sum, r) => sum + r.points, 0)).toBe(explained.score);
  }, 180_000);

  it('refuses a second demo of the same name unless told to replace it, and loads the same demo again for the same seed', async () => {
    const { db } = database.current;
    const tiny = { ...SMALL, contacts: 30, days: 3, workspaceName: 'Demo tiny', mailer: transport };
    const first = await loadDemo(db, tiny);
    const seen = await fingerprint(first);
    expect(seen.enrolments.length).toBeGreaterThan(0);
    expect(seen.mail.length).toBeGreaterThan(0);
    const error = await loadDemo(db, tiny).catch((e) => e);
    expect(error).toBeInstanceOf(KizunaError);
    expect((error as KizunaError).message).toContain('--replace');
    const replaced = await loadDemo(db, { ...tiny, replace: true });
    const names = await db.selectFrom('workspaces').select('id').where('name', '=', 'Demo tiny').execute();
    expect(names.map((w) => w.id)).toEqual([replaced.workspaceId]);
    expect(await db.selectFrom('contacts').select('id').where('workspace_id', '=', first.workspaceId).execute()).toEqual([]);
    // The same seed again: the same people, behaviour, scores, stages, segments, journeys and mail.
    expect(await fingerprint(replaced)).toEqual(seen);
  });

  it('kizuna demo --help explains itself', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'kizuna', 'demo', '--help'])).toBe(0);
      const text = out.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toMatch(/^Usage: kizuna demo/m);
      for (const option of ['--contacts', '--days', '--seed', '--workspace-name', '--replace']) expect(text).toContain(option);
    } finally {
      out.mockRestore();
    }
  });
});

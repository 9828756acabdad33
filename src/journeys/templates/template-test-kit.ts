import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { ingestEvents } from '../../events/ingest-events.ts';
import { submitForm } from '../../forms/submit-form.ts';
import { changeStage } from '../../lifecycle/lifecycle.ts';
import { createDeliveryPipeline } from '../../messaging/deliveries/pipeline.ts';
import { createMailSink, type MailSink } from '../../messaging/smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../../messaging/smtp/transport.ts';
import { createTemplateRenderer } from '../../messaging/templates/render.ts';
import { createVirtualClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import type { Database } from '../../platform/db/database.ts';
import { createWorker } from '../../platform/jobs/worker.ts';
import { createLogger } from '../../platform/logger.ts';
import { unitOfWork } from '../../segments/membership.ts';
import { backgroundWork } from '../../server/background.ts';
import { createTestWorkspace } from '../../server/test-app.ts';
import { installJourneyTemplate } from './install-journey-template.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const config = loadConfig({ env: {}, flags: { logLevel: 'silent', publicUrl: 'https://mail.example.com' } });

/** One SMTP sink on loopback for a test file, with the real transport (nodemailer pool) into it. */
export function useMailSink(): { readonly sink: MailSink; readonly transport: MailTransport } {
  const state = {} as { sink: MailSink; transport: MailTransport };
  beforeAll(async () => {
    state.sink = createMailSink({ port: 0, maxMessages: 2000 });
    state.transport = createMailTransport({ config, sink: await state.sink.start() });
  });
  afterAll(async () => {
    state.transport.close();
    await state.sink.stop();
  });
  return state;
}

/**
 * A fresh workspace (Asia/Tokyo, default sending settings) on a virtual clock, with the
 * background work production runs (journey inbox and steps, segment and score checks, the
 * delivery pipeline into the sink), and what a user or site does: identify, track, page, forms.
 */
export async function createTemplateWorld(database: Database, mail: { sink: MailSink; transport: MailTransport }, start: string) {
  const { db } = database;
  const clock = createVirtualClock(new Date(start));
  const { workspaceId } = await createTestWorkspace(database, clock);
  const renderer = createTemplateRenderer();
  const pipeline = createDeliveryPipeline({ db, clock, config, mailer: mail.transport, renderer });
  const worker = createWorker({ db, clock, logger: createLogger(config), ...backgroundWork({ db, clock, pipeline }) });
  const partitions = createPartitionCache();
  let messages = 0;
  const call = async (email: string, fields: Record<string, unknown>) => {
    await ingestEvents(
      db,
      // A distinct messageId per call: the same event twice is two events (ingest dedupes by messageId).
      {
        workspaceId,
        calls: [{ userId: email, context: { traits: { email } }, messageId: `m-${++messages}`, ...fields } as never],
        partitions,
      },
      clock,
    );
  };
  const contactId = async (email: string) =>
    (
      await db
        .selectFrom('contacts')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('email', '=', email)
        .executeTakeFirstOrThrow()
    ).id;

  /** Runs the background work until there is none left at this instant. */
  const run = async () => {
    while ((await worker.drain()) > 0) {}
  };
  /** The next instant after now something is due in this workspace: a journey step, a delivery, a segment or score re-check. */
  const nextDue = async (): Promise<Date | null> => {
    const now = clock.now();
    const { rows } = await sql<{ at: Date | null }>`
      SELECT least(
        (SELECT min(wake_at) FROM journey_enrolments WHERE workspace_id = ${workspaceId} AND status = 'active' AND wake_at > ${now}),
        (SELECT min(due_at) FROM deliveries WHERE workspace_id = ${workspaceId} AND status IN ('queued', 'deferred') AND due_at > ${now}),
        (SELECT min(due_at) FROM segment_checks WHERE workspace_id = ${workspaceId} AND due_at > ${now}),
        (SELECT min(due_at) FROM score_checks WHERE workspace_id = ${workspaceId} AND due_at > ${now})) AS at`.execute(db);
    const at = rows[0]?.at;
    return at ? new Date(at) : null;
  };
  /**
   * Moves the clock to `target` the way a running worker lives through the time: stopping at every
   * due instant on the way (and at least once a day) and running the background work there.
   */
  const advanceTo = async (target: string | Date) => {
    const end = new Date(target).getTime();
    await run();
    while (clock.now().getTime() < end) {
      const due = (await nextDue())?.getTime() ?? Number.POSITIVE_INFINITY;
      const step = Math.min(end, due, clock.now().getTime() + DAY);
      clock.set(new Date(step));
      await run();
    }
  };

  return {
    db,
    clock,
    workspaceId,
    run,
    advanceTo,
    advance: (ms: number) => advanceTo(new Date(clock.now().getTime() + ms)),
    install: (key: string, options: Record<string, unknown> = {}) =>
      installJourneyTemplate(db, workspaceId, key, clock, { options, publish: true }, renderer),
    contactId,
    /** An identify call (creates or updates the contact); returns the contact id. */
    identify: async (email: string, traits: Record<string, unknown> = {}) => {
      await call(email, { type: 'identify', traits: { email, lastName: '山田', ...traits } });
      return contactId(email);
    },
    track: (email: string, event: string, properties: Record<string, unknown> = {}) => call(email, { type: 'track', event, properties }),
    page: (email: string, path: string) =>
      call(email, { type: 'page', name: path, properties: { path, url: `https://shop.example.jp${path}` } }),
    submitForm: (formId: string, values: Record<string, string>) => submitForm(db, { formId, values, consent: true }, partitions, clock),
    setStage: (id: string, stage: string, reason?: string) =>
      unitOfWork(db, clock, (tx) => changeStage(tx, workspaceId, id, { stage, ...(reason ? { reason } : {}) }, 'api', clock)),
    /** Subjects of the messages the sink holds for an address, oldest first. */
    inbox: (email: string) =>
      mail.sink
        .list({ workspaceId })
        .filter((m) => m.to === email)
        .map((m) => m.subject)
        .reverse(),
    /** Each sent delivery of a contact: the template's email key and when it went. */
    sent: async (id: string, templateIds: Record<string, string>) => {
      const keyOf = new Map(Object.entries(templateIds).map(([k, v]) => [v, k]));
      const rows = await db
        .selectFrom('deliveries')
        .select(['template_id', 'sent_at'])
        .where('workspace_id', '=', workspaceId)
        .where('contact_id', '=', id)
        .where('sent_at', 'is not', null)
        .orderBy('sent_at')
        .execute();
      return rows.map((r) => `${keyOf.get(r.template_id ?? '') ?? r.template_id} ${r.sent_at!.toISOString()}`);
    },
    /** The contact's enrolment in a journey: status, node and why it ended. */
    enrolment: async (id: string, journeyId: string) =>
      db
        .selectFrom('journey_enrolments')
        .select(['status', 'node_id', 'end_reason'])
        .where('journey_id', '=', journeyId)
        .where('contact_id', '=', id)
        .orderBy('entered_at', 'desc')
        .executeTakeFirst(),
  };
}
export type TemplateWorld = Awaited<ReturnType<typeof createTemplateWorld>>;

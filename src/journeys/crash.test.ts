import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { putSendingSettings } from '../messaging/deliveries/sending-settings.ts';
import { createTemplateRenderer } from '../messaging/templates/render.ts';
import { createTemplate, publishTemplate } from '../messaging/templates/templates.ts';
import { systemClock } from '../platform/clock.ts';
import { testEngine, useTestDatabase } from '../platform/db/test-database.ts';
import { createWorkspace } from '../workspaces/workspaces.ts';
import { createJourney, publishJourney } from './journeys.ts';
import { enrolContacts } from './runtime.ts';

const database = useTestDatabase();
const BIN = new URL('../../bin/kizuna.js', import.meta.url).pathname;
const CONTACTS = 200;
/** Connections of the worker's SMTP pool: the most messages it has on the wire at once. */
const POOL = 5;
/** The sink answers this many messages, then takes the next ones without answering. */
const ANSWERED = 60;

const workers: ChildProcess[] = [];
const servers: SMTPServer[] = [];
afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Received {
  to: string;
  subject: string;
  messageId: string;
  answered: boolean;
}

/**
 * An SMTP sink that, once `stallAfter` messages have been answered, keeps every further message
 * (an MTA commits a message before it answers 250) but never answers it, so a sender's pool
 * stalls with each connection holding one message; `release()` answers normally from then on.
 */
async function startStallingSink(stallAfter: number) {
  const received: Received[] = [];
  let stalling = true;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((parsed) => {
        const answered = !stalling || received.filter((m) => m.answered).length < stallAfter;
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          subject: parsed.subject ?? '',
          messageId: parsed.messageId ?? '',
          answered,
        });
        if (answered) callback();
      }, callback);
    },
  });
  // The killed worker's connections are reset while their messages wait for an answer.
  server.on('error', () => undefined);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as { port: number }).port,
    received,
    release: () => {
      stalling = false;
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a worker killed in the middle of a batch of sends', () => {
  it.runIf(testEngine() === 'postgres')(
    'SIGKILL mid-batch: after a restart every contact received each message exactly once, counted in the SMTP sink',
    { timeout: 300_000 },
    async () => {
      const { db, pool } = database.current;
      const url = (pool as unknown as { options: { connectionString: string } }).options.connectionString;
      const clock = systemClock;
      const { id: workspaceId } = await createWorkspace(db, { name: 'Crash' }, clock);
      // Quiet hours and caps off: the worker runs on the real clock, at any hour, two messages in seconds.
      await putSendingSettings(db, workspaceId, { quietHours: null, frequencyCaps: { perDay: null, perWeek: null } }, clock);
      const renderer = createTemplateRenderer();
      const template = async (subject: string) => {
        const body = `<p>{{ contact.lastName }} 様</p><p>${subject}</p><p><a href="{{ unsubscribe_url }}">配信停止</a></p>`;
        const created = await createTemplate(
          db,
          workspaceId,
          { name: subject, definition: { format: 'html', defaultLocale: 'ja', locales: { ja: { subject, body } } } },
          { clock, renderer },
        );
        await publishTemplate(db, workspaceId, created.id, { clock, renderer });
        return created.id;
      };
      const [welcome, followUp] = [await template('A: ようこそ'), await template('B: その後いかがですか')];
      await sql`
        INSERT INTO contacts (id, workspace_id, email, last_name, created_at, updated_at)
        SELECT gen_random_uuid(), ${workspaceId}, 'c' || n || '@example.jp', '山田', now(), now()
        FROM generate_series(1, ${CONTACTS}) AS n`.execute(db);
      const journey = await createJourney(
        db,
        workspaceId,
        {
          name: 'crash',
          definition: {
            trigger: { type: 'manual' },
            start: 'a',
            nodes: [
              { id: 'a', type: 'send', templateId: welcome, next: 'pause' },
              { id: 'pause', type: 'wait', duration: { seconds: 2 }, next: 'b' },
              { id: 'b', type: 'send', templateId: followUp },
            ],
          },
        },
        clock,
      );
      await publishJourney(db, workspaceId, journey.id, clock);
      const ids = (await db.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).execute()).map((r) => r.id);
      await db
        .transaction()
        .execute((tx) => enrolContacts(tx, { workspaceId, journeyId: journey.id, contactIds: ids, now: clock.now(), source: 'test' }));

      const sink = await startStallingSink(ANSWERED);
      const env = {
        ...process.env,
        DATABASE_URL: url,
        KIZUNA_WORKER_POLL_MS: '50',
        KIZUNA_INBOUND_SMTP_PORT: '0',
        KIZUNA_DATA_DIR: mkdtempSync(join(tmpdir(), 'kizuna-crash-')),
        KIZUNA_MAIL_MODE: 'smtp',
        KIZUNA_MAIL_FROM: 'News <news@example.com>',
        KIZUNA_SMTP_HOST: '127.0.0.1',
        KIZUNA_SMTP_PORT: String(sink.port),
        KIZUNA_SMTP_POOL_SIZE: String(POOL),
        LOG_LEVEL: 'warn',
      };
      const startWorker = () => {
        const worker = spawn(process.execPath, [BIN, 'worker'], { env, stdio: 'ignore' });
        workers.push(worker);
        return worker;
      };
      const counts = async () => {
        const { rows } = await sql<{ sent: number; handed: number; open: number; active: number }>`
          SELECT
            (SELECT count(*)::int FROM deliveries WHERE workspace_id = ${workspaceId} AND status = 'sent') AS sent,
            (SELECT count(*)::int FROM deliveries WHERE workspace_id = ${workspaceId} AND status = 'sending' AND handed_at IS NOT NULL) AS handed,
            (SELECT count(*)::int FROM deliveries WHERE workspace_id = ${workspaceId} AND status IN ('queued', 'deferred', 'sending')) AS open,
            (SELECT count(*)::int FROM journey_enrolments WHERE journey_id = ${journey.id} AND status = 'active') AS active`.execute(db);
        return rows[0]!;
      };

      // 1. The first worker sends until the sink stops answering: every connection of its pool
      // holds a message the sink has kept, and the answered ones are recorded. Then it is killed.
      const first = startWorker();
      await until('the sink to stall the pool', async () => {
        const now = await counts();
        const unanswered = sink.received.filter((m) => !m.answered).length;
        return unanswered === POOL && now.sent === ANSWERED && now.handed === POOL ? now : undefined;
      });
      const exited = new Promise((resolve) => first.once('exit', resolve));
      first.kill('SIGKILL');
      await exited;
      sink.release();

      // 2. The test drives time instead of waiting out the 5-minute lease: the dead worker's
      // leases are moved into the past, as if the restart came after them.
      const moved = await sql`
        UPDATE deliveries SET due_at = now() - interval '1 second'
        WHERE workspace_id = ${workspaceId} AND status = 'sending'`.execute(db);
      // Those kept unanswered (handed over) and those never handed over (the rest of the claimed batch).
      expect(Number(moved.numAffectedRows)).toBeGreaterThan(POOL);

      // 3. A new worker recovers the rows and finishes the journey.
      const second = startWorker();
      await until('every enrolment to complete and the queue to empty', async () => {
        const now = await counts();
        return now.active === 0 && now.open === 0 ? now : undefined;
      });
      second.kill('SIGTERM');

      // The sink: each contact got A once and B once, nothing else.
      const perMessage = new Map<string, number>();
      for (const m of sink.received) perMessage.set(`${m.to} ${m.subject}`, (perMessage.get(`${m.to} ${m.subject}`) ?? 0) + 1);
      const expected = new Map(
        ids.flatMap((_, i) => [`c${i + 1}@example.jp A: ようこそ`, `c${i + 1}@example.jp B: その後いかがですか`]).map((key) => [key, 1]),
      );
      expect(new Map([...perMessage].sort())).toEqual(new Map([...expected].sort()));
      expect(new Set(sink.received.map((m) => m.messageId)).size).toBe(2 * CONTACTS);

      // The deliveries agree: those the sink kept without answering failed as interrupted (they
      // arrived, once); nothing else failed, and every other message went out on one attempt.
      const rows = await db
        .selectFrom('deliveries')
        .select(['id', 'template_id', 'status', 'error', 'attempts', 'message_id'])
        .where('workspace_id', '=', workspaceId)
        .execute();
      expect(rows).toHaveLength(2 * CONTACTS);
      const interrupted = rows.filter((r) => r.status === 'failed');
      expect(interrupted.every((r) => /interrupted/.test(r.error ?? ''))).toBe(true);
      const unanswered = sink.received.filter((m) => !m.answered).map((m) => m.messageId);
      expect(unanswered).toHaveLength(POOL);
      expect(interrupted.map((r) => `<${r.id}@example.com>`).sort()).toEqual([...unanswered].sort());
      expect(rows.filter((r) => r.status === 'sent')).toHaveLength(2 * CONTACTS - POOL);
      expect(new Set(rows.map((r) => r.attempts))).toEqual(new Set([1]));
      const sentIds = rows.filter((r) => r.status === 'sent').map((r) => r.message_id);
      expect(sentIds.every((id) => sink.received.some((m) => m.messageId === id && m.answered))).toBe(true);
    },
  );
});

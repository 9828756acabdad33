import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../platform/clock.ts';
import { testEngine, useTestDatabase } from '../platform/db/test-database.ts';
import { createWorkspace } from '../workspaces/workspaces.ts';
import { createJourney, publishJourney } from './journeys.ts';
import { enrolContacts } from './runtime.ts';

const database = useTestDatabase();
const BIN = new URL('../../bin/kizuna.js', import.meta.url).pathname;
const COUNT = 10_000;
const workers: ChildProcess[] = [];
afterAll(() => {
  for (const worker of workers) worker.kill('SIGKILL');
});

describe('journeys across worker processes', () => {
  it.runIf(testEngine() === 'postgres')(
    'two `kizuna worker` processes share 10,000 enrolments on PostgreSQL: no step runs twice and none is lost',
    { timeout: 180_000 },
    async () => {
      const { db, pool } = database.current;
      const url = (pool as unknown as { options: { connectionString: string } }).options.connectionString;
      const { id: workspaceId } = await createWorkspace(db, { name: 'Workers' }, systemClock);
      await sql`
        INSERT INTO contacts (id, workspace_id, email, created_at, updated_at)
        SELECT gen_random_uuid(), ${workspaceId}, 'w' || n || '@example.jp', now(), now() FROM generate_series(1, ${COUNT}) AS n`.execute(
        db,
      );
      const journey = await createJourney(
        db,
        workspaceId,
        {
          name: 'two workers',
          definition: {
            trigger: { type: 'manual' },
            start: 'first',
            nodes: [
              { id: 'first', type: 'tag', add: ['first'], next: 'pause' },
              { id: 'pause', type: 'wait', duration: { seconds: 2 }, next: 'second' },
              { id: 'second', type: 'tag', add: ['second'] },
            ],
          },
        },
        systemClock,
      );
      await publishJourney(db, workspaceId, journey.id, systemClock);
      const ids = (await db.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).execute()).map((r) => r.id);
      for (let i = 0; i < ids.length; i += 2000)
        await db.transaction().execute((tx) =>
          enrolContacts(tx, {
            workspaceId,
            journeyId: journey.id,
            contactIds: ids.slice(i, i + 2000),
            now: systemClock.now(),
            source: 'test',
          }),
        );

      const env = {
        ...process.env,
        DATABASE_URL: url,
        KIZUNA_WORKER_POLL_MS: '50',
        KIZUNA_INBOUND_SMTP_PORT: '0',
        KIZUNA_DATA_DIR: mkdtempSync(join(tmpdir(), 'kizuna-workers-')),
        LOG_LEVEL: 'warn',
      };
      for (let i = 0; i < 2; i++) workers.push(spawn(process.execPath, [BIN, 'worker'], { env, stdio: 'ignore' }));
      const deadline = Date.now() + 150_000;
      for (;;) {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM journey_enrolments WHERE journey_id = ${journey.id} AND status = 'active'`.execute(db);
        if (rows[0]!.n === 0) break;
        if (Date.now() > deadline) throw new Error(`${rows[0]!.n} enrolments still active`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      for (const worker of workers) worker.kill('SIGTERM');

      const { rows: statuses } = await sql<{ status: string; n: number }>`
        SELECT status, count(*)::int AS n FROM journey_enrolments WHERE journey_id = ${journey.id} GROUP BY status`.execute(db);
      expect(statuses).toEqual([{ status: 'completed', n: COUNT }]);
      // Every enrolment went through exactly these steps, each once.
      const { rows: paths } = await sql<{ path: string; n: number }>`
        SELECT path, count(*)::int AS n FROM (
          SELECT string_agg(node_id || ':' || outcome, ' ' ORDER BY id) AS path FROM journey_steps
          WHERE journey_id = ${journey.id} GROUP BY enrolment_id) p
        GROUP BY path`.execute(db);
      expect(paths).toEqual([{ path: 'first:entered first:tagged pause:waiting pause:passed second:tagged second:completed', n: COUNT }]);
      const { rows: tags } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM contacts WHERE workspace_id = ${workspaceId} AND tags = ARRAY['first', 'second']`.execute(db);
      expect(tags[0]!.n).toBe(COUNT);
    },
  );
});

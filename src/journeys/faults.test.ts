import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { KizunaError } from '../platform/errors.ts';
import { classifyFault, MAX_NODE_ATTEMPTS, retryDelayMs } from './faults.ts';
import { HOUR, useJourneyKit } from './journey-kit.ts';

const { database, journeyWorkspace } = useJourneyKit();

/**
 * A real PostgreSQL fault: writing a row of `table` for these contacts (by default, queuing a
 * message) fails with a serialization failure (SQLSTATE 40001), as a busy database would, until
 * `heal` takes a contact off the list.
 */
async function injectSerializationFailures(
  workspaceId: string,
  contactIds: string[],
  { table = 'deliveries', when = 'INSERT', also = 'true' }: { table?: string; when?: 'INSERT' | 'UPDATE'; also?: string } = {},
) {
  const { db } = database.current;
  const name = `fault_${table}_${workspaceId.replaceAll('-', '')}`;
  const define = async (ids: string[]) =>
    sql`CREATE OR REPLACE FUNCTION ${sql.raw(name)}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.contact_id::text = ANY(ARRAY[${sql.raw(ids.map((id) => `'${id}'`).join(',') || "''")}]::text[]) AND ${sql.raw(also)} THEN
          RAISE EXCEPTION 'could not serialize access due to concurrent update' USING ERRCODE = 'serialization_failure';
        END IF;
        RETURN NEW;
      END $$`.execute(db);
  await define(contactIds);
  await sql`CREATE TRIGGER ${sql.raw(name)} BEFORE ${sql.raw(when)} ON ${sql.raw(table)} FOR EACH ROW EXECUTE FUNCTION ${sql.raw(name)}()`.execute(
    db,
  );
  let failing = [...contactIds];
  return {
    heal: async (contactId: string) => {
      failing = failing.filter((id) => id !== contactId);
      await define(failing);
    },
    remove: async () => {
      await sql`DROP TRIGGER ${sql.raw(name)} ON ${sql.raw(table)}`.execute(db);
      await sql`DROP FUNCTION ${sql.raw(name)}()`.execute(db);
    },
  };
}

describe('journey faults', () => {
  it('classifies: our input, not-found and conflict errors, Liquid errors and bad data are the contact’s; anything else is the system’s', async () => {
    // The database's own errors, as a node would see them: bad data fails the same way every time.
    const { db } = database.current;
    const id = crypto.randomUUID();
    const failure = (query: ReturnType<typeof sql>) =>
      query.execute(db).then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(classifyFault(await failure(sql`SELECT 1 / 0`))).toBe('contact'); // 22012 division_by_zero
    expect(classifyFault(await failure(sql`SELECT 'soon'::timestamptz`))).toBe('contact'); // 22007 invalid datetime
    expect(
      classifyFault(await failure(sql`INSERT INTO workspaces (id, name, created_at) VALUES (${id}, 'a', now()), (${id}, 'b', now())`)),
    ).toBe('contact'); // 23505 unique_violation
    expect(classifyFault(new KizunaError('not_found', 'list gone'))).toBe('contact');
    expect(classifyFault(new KizunaError('invalid_input', 'unknown field'))).toBe('contact');
    expect(classifyFault(new KizunaError('unavailable', 'SMTP down'))).toBe('system');
    expect(classifyFault(Object.assign(new Error('could not serialize'), { code: '40001' }))).toBe('system');
    expect(classifyFault(new TypeError('x is undefined'))).toBe('system');
    // 1, 2, 4 … minutes, at most an hour, plus at most 10% of jitter, the same for the same enrolment.
    const seed = crypto.randomUUID();
    for (const [attempt, minutes] of [
      [1, 1],
      [2, 2],
      [3, 4],
      [6, 32],
      [7, 60],
      [8, 60],
    ] as const) {
      const delay = retryDelayMs({ attempt, seed });
      expect(delay).toBeGreaterThanOrEqual(minutes * 60_000);
      expect(delay).toBeLessThanOrEqual(minutes * 66_000);
    }
    expect(retryDelayMs({ attempt: 3, seed })).toBe(retryDelayMs({ attempt: 3, seed }));
  });

  it('a contact fault (a list deleted since publishing) fails the enrolment at once, naming the problem', async () => {
    const { api, identify, publish, enrol, trace, run } = await journeyWorkspace([]);
    const list = (await api('/api/lists', { json: { name: 'Webinar' } })).body;
    const journeyId = await publish({ trigger: { type: 'manual' }, start: 'add', nodes: [{ id: 'add', type: 'list', add: [list.id] }] });
    expect((await api(`/api/lists/${list.id}`, { method: 'DELETE' })).status).toBe(204);
    const contact = await identify('listed@example.jp');
    await enrol(journeyId, [contact]);
    await run();
    const t = await trace(contact);
    expect(t).toMatchObject({ status: 'failed', attempts: 0 });
    expect(t.endReason).toMatch(/^node add: list .* was deleted after the journey was published/);
    expect(t.steps.map((s) => s.outcome)).toEqual(['entered', 'failed']);
  });

  it('a system fault is retried with backoff as the same step, one contact holding back nobody, and fails after the last attempt', async () => {
    const { app, ws, templates, identify, publish, enrol, trace, run, advanceUntil, mails } = await journeyWorkspace(['ようこそ']);
    const start = app.clock.now();
    const journeyId = await publish({
      trigger: { type: 'manual' },
      start: 'welcome',
      nodes: [{ id: 'welcome', type: 'send', templateId: templates.ようこそ }],
    });
    const flaky = await identify('flaky@example.jp');
    const broken = await identify('broken@example.jp');
    const fine = [await identify('fine1@example.jp'), await identify('fine2@example.jp')];
    const faults = await injectSerializationFailures(ws.workspaceId, [flaky, broken]);
    try {
      await enrol(journeyId, [flaky, fine[0]!, broken, fine[1]!]);
      await run();
      // The others in the same batch and at the same node went on at once.
      expect([mails('fine1@example.jp'), mails('fine2@example.jp')]).toEqual([['ようこそ'], ['ようこそ']]);
      expect((await trace(fine[0]!)).status).toBe('completed');

      // Retries at 1, 2, 4 … minutes (plus the enrolment's jitter) after each failure, at the same node.
      const expected = async (contactId: string, attempts: number) => {
        const { enrolmentId } = (await trace(contactId)) as unknown as { enrolmentId: string };
        let at = start.getTime();
        return Array.from({ length: attempts }, (_, i) => {
          const failedAt = new Date(at).toISOString();
          at += retryDelayMs({ attempt: i + 1, seed: enrolmentId });
          return { failedAt, retryAt: new Date(at).toISOString() };
        });
      };
      const retries = async (contactId: string) =>
        (await trace(contactId)).steps.filter((s) => s.outcome === 'retrying').map((s) => ({ failedAt: s.at, retryAt: s.detail.retryAt }));
      const flakyPlan = await expected(flaky, 3);
      await advanceUntil(new Date(flakyPlan[2]!.failedAt));
      expect(await retries(flaky)).toEqual(flakyPlan);
      const waiting = await trace(flaky);
      expect(waiting).toMatchObject({ status: 'active', nodeId: 'welcome', attempts: 3, wakeAt: flakyPlan[2]!.retryAt });
      expect(waiting.lastError).toMatch(/node welcome: could not serialize access/);
      expect(waiting.steps.at(-1)!.detail).toMatchObject({ attempt: 3, reason: waiting.lastError });

      // The database is well again for the flaky one: the next retry sends once, under the first attempt's key.
      await faults.heal(flaky);
      await advanceUntil(new Date(flakyPlan[2]!.retryAt));
      const sent = await trace(flaky);
      expect(sent).toMatchObject({ status: 'completed', attempts: 0 });
      expect(sent.steps.find((s) => s.outcome === 'sent')).toMatchObject({
        at: flakyPlan[2]!.retryAt,
        detail: { dedupeKey: `journey:${(sent as unknown as { enrolmentId: string }).enrolmentId}:welcome:1` },
      });
      expect(mails('flaky@example.jp')).toEqual(['ようこそ']);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM deliveries WHERE contact_id = ${flaky}`.execute(
        database.current.db,
      );
      expect(rows[0]!.n).toBe(1);

      // The broken one fails with the last error after the last attempt (about two hours).
      const brokenPlan = await expected(broken, MAX_NODE_ATTEMPTS);
      await advanceUntil(new Date(start.getTime() + 3 * HOUR));
      const gaveUp = await trace(broken);
      expect(await retries(broken)).toEqual(brokenPlan.slice(0, MAX_NODE_ATTEMPTS - 1));
      expect(gaveUp.status).toBe('failed');
      expect(gaveUp.endReason).toBe(
        `node welcome: could not serialize access due to concurrent update (gave up after ${MAX_NODE_ATTEMPTS} attempts)`,
      );
      expect(gaveUp.steps.at(-1)).toMatchObject({ outcome: 'failed', at: brokenPlan[MAX_NODE_ATTEMPTS - 1]!.failedAt });
      expect(mails('broken@example.jp')).toEqual([]);
    } finally {
      await faults.remove();
    }
  });

  it('a batch that fails as a whole (its states cannot be written) reruns each enrolment alone and puts off only the one that fails', async () => {
    const { app, ws, templates, identify, publish, enrol, trace, run, advanceUntil, mails } = await journeyWorkspace(['ようこそ']);
    const start = app.clock.now();
    const journeyId = await publish({
      trigger: { type: 'manual' },
      start: 'welcome',
      nodes: [{ id: 'welcome', type: 'send', templateId: templates.ようこそ }],
    });
    const stuck = await identify('stuck@example.jp');
    const fine = await identify('fine@example.jp');
    // Ending the stuck one's enrolment fails: outside any node, in the statement that writes the whole batch's states.
    const faults = await injectSerializationFailures(ws.workspaceId, [stuck], {
      table: 'journey_enrolments',
      when: 'UPDATE',
      also: "NEW.status = 'completed'",
    });
    try {
      await enrol(journeyId, [stuck, fine]);
      // The worker loop gets the error to log, once.
      await expect(app.drainJobs()).rejects.toThrow(/could not serialize access/);
      expect((await trace(fine)).status).toBe('completed');
      const putOff = await trace(stuck);
      const { enrolmentId } = putOff as unknown as { enrolmentId: string };
      const retryAt = new Date(start.getTime() + retryDelayMs({ attempt: 1, seed: enrolmentId })).toISOString();
      expect(putOff).toMatchObject({ status: 'active', nodeId: 'welcome', attempts: 1, wakeAt: retryAt });
      expect(putOff.steps.at(-1)).toMatchObject({ outcome: 'retrying', detail: { attempt: 1, retryAt } });
      // Not claimed first again on the next tick: the worker goes on with everything else.
      await run();
      expect([mails('fine@example.jp'), mails('stuck@example.jp')]).toEqual([['ようこそ'], []]);

      await faults.remove();
      await advanceUntil(new Date(retryAt));
      const done = await trace(stuck);
      expect(done).toMatchObject({ status: 'completed', attempts: 0 });
      expect(done.steps.find((s) => s.outcome === 'sent')).toMatchObject({
        at: retryAt,
        detail: { dedupeKey: `journey:${enrolmentId}:welcome:1` },
      });
      expect(mails('stuck@example.jp')).toEqual(['ようこそ']);
    } finally {
      await faults.remove().catch(() => {});
    }
  });
});

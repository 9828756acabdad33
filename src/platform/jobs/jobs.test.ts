import { describe, expect, it } from 'vitest';
import { createVirtualClock } from '../clock.ts';
import { useTestDatabase } from '../db/test-database.ts';
import { claimJobs, completeJob, enqueueJob, failJob } from './jobs.ts';

const database = useTestDatabase();

describe('jobs', () => {
  it('runs each key once, hands a dead worker’s job to another after its lease, and gives up after max attempts', async () => {
    const { db } = database.current;
    const clock = createVirtualClock(new Date('2026-05-01T00:00:00Z'));
    const kind = `test.${crypto.randomUUID()}`;
    await enqueueJob(db, { kind, key: `${kind}:1`, maxAttempts: 2 }, clock);
    await enqueueJob(db, { kind, key: `${kind}:1`, maxAttempts: 2 }, clock);
    const [first] = await claimJobs(db, { workerId: 'w1', kinds: [kind], limit: 5, leaseMs: 1000 }, clock);
    expect(first).toMatchObject({ attempts: 1, locked_by: 'w1' });
    expect(await claimJobs(db, { workerId: 'w2', kinds: [kind] }, clock)).toEqual([]);

    clock.advance(2000); // w1 died: its lease runs out
    const [second] = await claimJobs(db, { workerId: 'w2', kinds: [kind], leaseMs: 1000 }, clock);
    expect(second).toMatchObject({ id: first!.id, attempts: 2, locked_by: 'w2' });
    await completeJob(db, first!, clock); // w1 comes back too late: its word no longer counts
    expect((await db.selectFrom('jobs').select('status').where('id', '=', first!.id).executeTakeFirstOrThrow()).status).toBe('running');

    clock.advance(2000); // w2 died as well, on the last attempt
    expect(await claimJobs(db, { workerId: 'w3', kinds: [kind] }, clock)).toEqual([]);
    const row = await db.selectFrom('jobs').selectAll().where('id', '=', first!.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.last_error).toContain('stopped answering');
  });

  it('retries a retryable failure with backoff', async () => {
    const { db } = database.current;
    const clock = createVirtualClock(new Date('2026-05-01T00:00:00Z'));
    const kind = `test.${crypto.randomUUID()}`;
    await enqueueJob(db, { kind, key: `${kind}:1` }, clock);
    const [job] = await claimJobs(db, { workerId: 'w1', kinds: [kind] }, clock);
    expect(await failJob(db, job!, 'connection reset', { retryable: true }, clock)).toBe('retry');
    expect(await claimJobs(db, { workerId: 'w1', kinds: [kind] }, clock)).toEqual([]);
    clock.advance(2000);
    expect(await claimJobs(db, { workerId: 'w1', kinds: [kind] }, clock)).toHaveLength(1);
  });
});

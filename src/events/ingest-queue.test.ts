import { describe, expect, it } from 'vitest';
import { createVirtualClock } from '../platform/clock.ts';
import type { SegmentCall } from './event-schema.ts';
import type { IngestResult } from './ingest-events.ts';
import { createIngestQueue } from './ingest-queue.ts';

const calls = (...ids: string[]): SegmentCall[] => ids.map((messageId) => ({ type: 'track', event: 'E', anonymousId: 'a', messageId }));

/** A store that records each transaction and holds it open until released; messageIds starting "dup" were stored before. */
function gatedStore({ failOn }: { failOn?: string } = {}) {
  const transactions: { workspaceId: string; messageIds: string[] }[] = [];
  const arrivals: Date[][] = [];
  const gates: (() => void)[] = [];
  const store = async (workspaceId: string, batch: SegmentCall[], arrived: Date[]): Promise<IngestResult> => {
    transactions.push({ workspaceId, messageIds: batch.map((c) => c.messageId!) });
    arrivals.push(arrived);
    await new Promise<void>((release) => gates.push(release));
    if (failOn && batch.some((c) => c.messageId === failOn)) throw new Error(`cannot store ${failOn}`);
    const fresh = batch.map((c) => !c.messageId!.startsWith('dup'));
    return { stored: fresh.filter(Boolean).length, duplicates: fresh.filter((f) => !f).length, fresh };
  };
  const releaseAll = async () => {
    // Let queued work reach the store, then open every gate, until nothing is waiting.
    for (let round = 0; round < 20; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      while (gates.length) gates.shift()!();
    }
  };
  return { store, transactions, arrivals, releaseAll };
}

describe('ingest queue (group commit)', () => {
  it('stores the requests that wait behind a transaction together, answering each with its own counts', async () => {
    const { store, transactions, releaseAll } = gatedStore();
    const queue = createIngestQueue({ store, clock: createVirtualClock(), transactions: 1 });
    const first = queue.submit('w1', calls('m1'));
    const second = queue.submit('w1', calls('m2', 'dup-m3'));
    const third = queue.submit('w1', calls('m4'));
    await releaseAll();
    expect(await first).toEqual({ stored: 1, duplicates: 0, fresh: [true] });
    expect(await second).toEqual({ stored: 1, duplicates: 1, fresh: [true, false] });
    expect(await third).toEqual({ stored: 1, duplicates: 0, fresh: [true] });
    expect(transactions.map((t) => t.messageIds)).toEqual([['m1'], ['m2', 'dup-m3', 'm4']]);
  });

  it('never mixes workspaces in one transaction, and keeps each workspace in arrival order', async () => {
    const { store, transactions, releaseAll } = gatedStore();
    const queue = createIngestQueue({ store, clock: createVirtualClock(), transactions: 1 });
    const done = [
      queue.submit('w1', calls('a1')),
      queue.submit('w2', calls('b1')),
      queue.submit('w1', calls('a2')),
      queue.submit('w2', calls('b2')),
    ];
    await releaseAll();
    await Promise.all(done);
    expect(transactions).toEqual([
      { workspaceId: 'w1', messageIds: ['a1'] },
      { workspaceId: 'w2', messageIds: ['b1', 'b2'] },
      { workspaceId: 'w1', messageIds: ['a2'] },
    ]);
  });

  it('keeps a group under maxCalls without letting a later request overtake one that did not fit', async () => {
    const { store, transactions, releaseAll } = gatedStore();
    const queue = createIngestQueue({ store, clock: createVirtualClock(), transactions: 1, maxCalls: 3 });
    const done = [
      queue.submit('w1', calls('x')),
      queue.submit('w1', calls('a', 'b')),
      queue.submit('w1', calls('c', 'd')),
      queue.submit('w1', calls('e')),
    ];
    await releaseAll();
    await Promise.all(done);
    expect(transactions.map((t) => t.messageIds)).toEqual([['x'], ['a', 'b'], ['c', 'd', 'e']]);
  });

  it('retries a failed group one request at a time, so only the failing request gets the error', async () => {
    const { store, transactions, releaseAll } = gatedStore({ failOn: 'bad' });
    const failures: number[] = [];
    const queue = createIngestQueue({ store, clock: createVirtualClock(), transactions: 1, onGroupFailed: (_, n) => failures.push(n) });
    const first = queue.submit('w1', calls('m1'));
    const good = queue.submit('w1', calls('m2'));
    const bad = queue.submit('w1', calls('bad'));
    const after = queue.submit('w1', calls('m3'));
    const settled = Promise.allSettled([first, good, bad, after]);
    await releaseAll();
    const [a, b, c, d] = await settled;
    expect([a.status, b.status, c.status, d.status]).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((c as PromiseRejectedResult).reason.message).toBe('cannot store bad');
    expect(transactions.map((t) => t.messageIds)).toEqual([['m1'], ['m2', 'bad', 'm3'], ['m2'], ['bad'], ['m3']]);
    expect(failures).toEqual([3]);
  });

  it('runs up to `transactions` groups at once', async () => {
    const { store, transactions, releaseAll } = gatedStore();
    const queue = createIngestQueue({ store, clock: createVirtualClock(), transactions: 2 });
    const done = [queue.submit('w1', calls('a')), queue.submit('w1', calls('b')), queue.submit('w1', calls('c'))];
    await new Promise((resolve) => setImmediate(resolve));
    expect(transactions.map((t) => t.messageIds)).toEqual([['a'], ['b']]);
    await releaseAll();
    await Promise.all(done);
    expect(transactions.map((t) => t.messageIds)).toEqual([['a'], ['b'], ['c']]);
  });

  it('hands the store each request’s arrival time, not the time its group ran', async () => {
    const { store, arrivals, releaseAll } = gatedStore();
    const clock = createVirtualClock();
    const queue = createIngestQueue({ store, clock, transactions: 1 });
    const t0 = clock.now();
    const done = [queue.submit('w1', calls('a'))];
    const t1 = clock.advance(1500);
    done.push(queue.submit('w1', calls('b', 'c')));
    const t2 = clock.advance(700);
    done.push(queue.submit('w1', calls('d')));
    clock.advance(5000);
    await releaseAll();
    await Promise.all(done);
    expect(arrivals).toEqual([[t0], [t1, t1, t2]]);
  });
});

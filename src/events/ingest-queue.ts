import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { createPartitionCache } from './event-partitions.ts';
import type { SegmentCall } from './event-schema.ts';
import { type IngestResult, ingestEvents } from './ingest-events.ts';

type Store = (workspaceId: string, calls: SegmentCall[], arrivals: Date[]) => Promise<IngestResult>;

/** The app's store for the queue: `ingestEvents` on the database with one partition cache per process. */
export function storeEvents(db: Kysely<DB>, clock: Clock): Store {
  const partitions = createPartitionCache();
  return (workspaceId, calls, arrivals) => ingestEvents(db, { workspaceId, calls, arrivals, partitions }, clock);
}

export interface IngestQueue {
  /** Stores the calls; resolves once they are committed (with the requests they were grouped with). */
  submit(workspaceId: string, calls: SegmentCall[]): Promise<IngestResult>;
}

interface Pending {
  workspaceId: string;
  calls: SegmentCall[];
  /** When the request was queued: its calls' clock skew is measured from here, not from when their group ran. */
  arrivedAt: Date;
  resolve: (result: IngestResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for tracking requests: while a transaction is writing, requests that arrive
 * queue up; the next transaction takes every waiting request of one workspace (up to
 * `maxCalls` calls) and stores them together, so the statements per event fall as the load
 * rises instead of the requests queueing for the database one by one. Each request is still
 * answered only after its events are committed. If a grouped transaction fails, each request
 * is retried on its own, so one request's failure never becomes its neighbours'.
 */
export function createIngestQueue({
  store,
  clock,
  transactions,
  maxCalls = 5000,
  onGroupFailed,
}: {
  /** Stores one workspace's calls in one transaction (`storeEvents` in the app). */
  store: Store;
  clock: Clock;
  /** Transactions writing at once (PGlite has one connection: 1). */
  transactions: number;
  maxCalls?: number;
  /** Told when a grouped transaction failed and its requests are retried one by one. */
  onGroupFailed?: (error: unknown, requests: number) => void;
}): IngestQueue {
  const pending: Pending[] = [];
  let running = 0;

  /** The oldest waiting request and the others of its workspace, in arrival order, up to maxCalls. */
  function takeGroup(): Pending[] {
    const first = pending.shift()!;
    const group = [first];
    let size = first.calls.length;
    for (let i = 0; i < pending.length; ) {
      const next = pending[i]!;
      if (next.workspaceId !== first.workspaceId) {
        i++;
        continue;
      }
      // The workspace's next request waits for the next group rather than being overtaken.
      if (size + next.calls.length > maxCalls) break;
      group.push(next);
      size += next.calls.length;
      pending.splice(i, 1);
    }
    return group;
  }

  const arrivalsOf = (request: Pending) => request.calls.map(() => request.arrivedAt);

  async function run(group: Pending[]): Promise<void> {
    if (group.length > 1) {
      try {
        const result = await store(
          group[0]!.workspaceId,
          group.flatMap((p) => p.calls),
          group.flatMap(arrivalsOf),
        );
        let offset = 0;
        for (const request of group) {
          const fresh = result.fresh.slice(offset, offset + request.calls.length);
          offset += request.calls.length;
          const stored = fresh.filter(Boolean).length;
          request.resolve({ stored, duplicates: fresh.length - stored, fresh });
        }
        return;
      } catch (error) {
        // Each request on its own next, so the failure reaches only the request it belongs to.
        onGroupFailed?.(error, group.length);
      }
    }
    for (const request of group) {
      await store(request.workspaceId, request.calls, arrivalsOf(request)).then(request.resolve, request.reject);
    }
  }

  function pump(): void {
    while (running < transactions && pending.length) {
      running++;
      void run(takeGroup()).finally(() => {
        running--;
        pump();
      });
    }
  }

  return {
    submit(workspaceId, calls) {
      return new Promise<IngestResult>((resolve, reject) => {
        pending.push({ workspaceId, calls, arrivedAt: clock.now(), resolve, reject });
        pump();
      });
    },
  };
}

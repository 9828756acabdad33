import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { DB } from '../db/schema.ts';
import { KizunaError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { claimJobs, completeJob, failJob, type Job } from './jobs.ts';

export type JobHandler = (job: Job, context: { workerId: string }) => Promise<void>;

export interface Worker {
  /** Runs due jobs until none is left; returns how many ran. Tests call this directly. */
  drain(): Promise<number>;
  /** Wakes the loop now instead of at the next poll. */
  notify(): void;
  stop(): Promise<void>;
}

/**
 * A polling worker over the jobs table. The poll interval only bounds how soon new work is
 * noticed; business due times live in the rows (run_at), never in timers.
 */
export function createWorker({
  db,
  clock,
  logger,
  handlers,
  ticks = [],
  pollMs = 500,
}: {
  db: Kysely<DB>;
  clock: Clock;
  logger: Logger;
  handlers: Record<string, JobHandler>;
  /** Due-row work run on every poll besides jobs (segment re-checks); each returns how much it did. */
  ticks?: (() => Promise<number>)[];
  pollMs?: number;
}): Worker & { start(): void } {
  const workerId = `worker-${randomUUID().slice(0, 8)}`;
  const kinds = Object.keys(handlers);
  let running = false;
  let stopped = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  async function runOne(job: Job): Promise<void> {
    try {
      await handlers[job.kind]!(job, { workerId });
      await completeJob(db, job, clock);
    } catch (error) {
      // Bad input or configuration will fail the same way again; anything else may be transient.
      const retryable = !(error instanceof KizunaError && error.code !== 'internal');
      const outcome = await failJob(db, job, (error as Error).message, { retryable }, clock);
      logger.warn({ err: error, job: job.id, kind: job.kind, outcome }, 'job failed');
    }
  }

  async function drain(): Promise<number> {
    let count = 0;
    // A stopping worker finishes the job in hand and takes no new one.
    while (!stopped) {
      const jobs = await claimJobs(db, { workerId, kinds, limit: 1 }, clock);
      if (jobs.length === 0) {
        for (const tick of ticks) count += await tick();
        return count;
      }
      for (const job of jobs) await runOne(job);
      count += jobs.length;
    }
    return count;
  }

  return {
    drain,
    notify: () => wake?.(),
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        while (!stopped) {
          try {
            await drain();
          } catch (error) {
            logger.error({ err: error }, 'worker loop failed; retrying');
          }
          if (stopped) break;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pollMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      })();
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}

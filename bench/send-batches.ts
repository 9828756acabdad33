import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** What a load run measured: wall time for all batches and each request's latency. */
export interface LoadRun {
  elapsedMs: number;
  /** First send → 200 received (after the server's transaction committed), retries included, one per batch. */
  latenciesMs: number[];
  /** The answers that were retried (status and body), in order. */
  failures: string[];
}

/**
 * Posts `calls` to `/v1/batch` in batches of `batchSize` from `clients` concurrent keep-alive
 * clients, the write key as HTTP Basic username, as a fleet of server-side senders would.
 * The senders run on a worker thread: real senders are other programs, so their request
 * building and response reading must not take turns with the server on its event loop (on
 * PGlite that loop is the database too). Bodies are serialised before the clock starts: that
 * cost is the senders', not the server's. A 5xx or 429 is retried as the official clients do,
 * and a 409 too (see SENDER); any other answer, or the last retry failing, throws with the body.
 */
export async function sendBatches({
  baseUrl,
  writeKey,
  calls,
  batchSize = 100,
  clients = 4,
}: {
  baseUrl: string;
  writeKey: string;
  calls: readonly unknown[];
  batchSize?: number;
  clients?: number;
}): Promise<LoadRun> {
  const bodies: string[] = [];
  for (let i = 0; i < calls.length; i += batchSize) bodies.push(JSON.stringify({ batch: calls.slice(i, i + batchSize) }));
  const authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const worker = new Worker(SENDER, { eval: true, workerData: { baseUrl, authorization, bodies, clients } });
  try {
    const [reply] = (await once(worker, 'message')) as [{ run?: LoadRun; error?: string }];
    if (reply.error) throw new Error(reply.error);
    return reply.run!;
  } finally {
    await worker.terminate();
  }
}

/**
 * The senders, as plain JavaScript for the worker. What @segment/analytics-node does: retry 5xx
 * and 429 with jittered exponential backoff, 10 times. 409 (a write race the server gave up on)
 * is retried too so the run completes, though the official clients drop a batch on any other
 * 4xx: callers must report those failures.
 */
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { baseUrl, authorization, bodies, clients } = workerData;
const MAX_RETRIES = 10;
const headers = { authorization, 'content-type': 'application/json' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const latenciesMs = [];
const failures = [];
let next = 0;
async function client() {
  // Each client takes the next unsent batch, so the batches go out roughly in order.
  for (let index = next++; index < bodies.length; index = next++) {
    const sent = performance.now();
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(baseUrl + '/v1/batch', { method: 'POST', headers, body: bodies[index] });
      const text = await response.text();
      if (response.status === 200) break;
      const isRetryable = response.status >= 500 || response.status === 429 || response.status === 409;
      if (!isRetryable || attempt >= MAX_RETRIES) {
        next = bodies.length; // stop the other clients too
        throw new Error('expected 200 from /v1/batch for batch ' + index + ', got ' + response.status + ' (attempt ' + (attempt + 1) + '): ' + text);
      }
      failures.push(response.status + ' ' + text);
      await sleep(Math.min((1 + Math.random()) * 100 * 2 ** attempt, 2000));
    }
    latenciesMs.push(performance.now() - sent);
  }
}
const started = performance.now();
Promise.all(Array.from({ length: clients }, client)).then(
  () => parentPort.postMessage({ run: { elapsedMs: performance.now() - started, latenciesMs, failures } }),
  (error) => parentPort.postMessage({ error: String(error && error.message || error) }),
);
`;

/** The nearest-rank percentile `p` (0–100) of `values`. @example percentile([1, 2, 3, 4], 50) // 2 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('expected at least one value to take a percentile of');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

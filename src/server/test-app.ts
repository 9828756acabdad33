import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createDeliveryPipeline } from '../messaging/deliveries/pipeline.ts';
import { createVirtualClock, systemClock, type VirtualClock } from '../platform/clock.ts';
import { loadConfig } from '../platform/config.ts';
import type { Database } from '../platform/db/database.ts';
import { createWorker } from '../platform/jobs/worker.ts';
import { createLogger } from '../platform/logger.ts';
import { createOutboundPolicy } from '../platform/net/outbound.ts';
import { createApiKey } from '../workspaces/api-keys.ts';
import { createWorkspace } from '../workspaces/workspaces.ts';
import { createApp } from './app.ts';
import { backgroundWork } from './background.ts';
import type { ServerDeps } from './deps.ts';

export interface TestWorkspace {
  workspaceId: string;
  adminKey: string;
  readKey: string;
  writeKey: string;
}

/** A fresh workspace with one key of each scope: the unit of isolation between tests. */
export async function createTestWorkspace(database: Database, clock = createVirtualClock(), name = 'Test'): Promise<TestWorkspace> {
  const workspace = await createWorkspace(database.db, { name }, clock);
  const key = async (scope: 'admin' | 'read' | 'write') =>
    (await createApiKey(database.db, { workspaceId: workspace.id, name: scope, scope }, clock)).key;
  return { workspaceId: workspace.id, adminKey: await key('admin'), readKey: await key('read'), writeKey: await key('write') };
}

export interface TestApp {
  clock: VirtualClock;
  /** Sends a request to the in-process app; `json` bodies get the JSON content type. */
  request(
    path: string,
    init?: { method?: string; key?: string; json?: unknown; body?: string | Blob | FormData; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Runs queued background jobs (imports) to completion, as a worker would. */
  drainJobs(): Promise<number>;
}

/** A JSON call to the app with `key` (unless the call names another): the status and the parsed body. */
export function apiCaller(app: Pick<TestApp, 'request'>, key: string) {
  return async (path: string, init: { method?: string; json?: unknown; key?: string } = {}) => {
    const res = await app.request(path, { key, ...init });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read whatever shape the route answers
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
  };
}

/** The real HTTP app over a test database, with a virtual clock and the real job handlers. */
export function createTestApp(
  database: Database,
  {
    maxBodyBytes,
    ingestPerSecond,
    mail,
  }: { maxBodyBytes?: number; ingestPerSecond?: number; mail?: Pick<ServerDeps, 'mailer' | 'devMailbox'> } = {},
): TestApp {
  const clock = createVirtualClock(new Date('2026-04-01T00:00:00Z'));
  // Test receivers listen on loopback, which webhooks may only reach when the operator allows it.
  const config = loadConfig({
    env: {},
    flags: { logLevel: 'silent', logFormat: 'json', maxBodyBytes, ingestPerSecond, outboundAllow: ['127.0.0.1'] },
  });
  const logger = createLogger(config);
  const app = createApp({ db: database.db, engine: database.engine, clock, config, logger, ...mail });
  const worker = createWorker({
    db: database.db,
    clock,
    logger,
    ...backgroundWork({
      db: database.db,
      clock,
      engine: database.engine,
      outbound: createOutboundPolicy(config.outboundAllow),
      pipeline: mail?.mailer ? createDeliveryPipeline({ db: database.db, clock, config, mailer: mail.mailer, logger }) : undefined,
    }),
  });
  return {
    clock,
    request: (path, init = {}) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.key) headers.authorization = `Bearer ${init.key}`;
      let body = init.body;
      if (init.json !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(init.json);
      }
      return Promise.resolve(app.request(path, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body }));
    },
    drainJobs: () => worker.drain(),
  };
}

/**
 * The real app over HTTP on a random loopback port, on the system clock (for clients and
 * browsers that talk over a socket). `wrap` may stand between the socket and the app.
 * @returns its base URL and a close function.
 */
export async function serveTestApp(
  database: Database,
  wrap: (fetch: (request: Request) => Response | Promise<Response>) => (request: Request) => Response | Promise<Response> = (f) => f,
): Promise<{ url: string; close: () => void }> {
  const config = loadConfig({ env: {}, flags: { logLevel: 'silent', logFormat: 'json' } });
  const app = createApp({ db: database.db, engine: database.engine, clock: systemClock, config, logger: createLogger(config) });
  const server = serve({ port: 0, hostname: '127.0.0.1', fetch: wrap((request) => app.fetch(request)) });
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

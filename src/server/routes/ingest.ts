import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { CallType } from '../../events/event-schema.ts';
import { createIngestQueue, storeEvents } from '../../events/ingest-queue.ts';
import { parseIngestBody } from '../../events/parse-ingest-body.ts';
import { validateCalls } from '../../events/validate-calls.ts';
import { KizunaError } from '../../platform/errors.ts';
import { authenticateKey, type Principal } from '../../workspaces/api-keys.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { problemResponse } from '../problem.ts';
import { createRateLimiter } from '../rate-limiter.ts';

// analytics.js posts to the one-letter paths; server libraries to the full names.
const ROUTES: Record<string, CallType | 'batch'> = {
  identify: 'identify',
  i: 'identify',
  track: 'track',
  t: 'track',
  page: 'page',
  p: 'page',
  screen: 'screen',
  s: 'screen',
  group: 'group',
  g: 'group',
  alias: 'alias',
  a: 'alias',
  batch: 'batch',
  b: 'batch',
  import: 'batch',
};

/** The Segment-compatible tracking API under /v1: existing analytics clients work unchanged. */
export function ingestRoutes(deps: ServerDeps) {
  const app = new Hono<AppEnv>();
  // PGlite has one connection; on a server, a second transaction overlaps one group's round trips with the next.
  // Tracking requests arrive many a second with the same key: checked against the database at most
  // every KEY_TTL_MS per key, so a revoked key stops working within that time on every process.
  const keys = createKeyCache(deps.clock);
  const queue = createIngestQueue({
    store: storeEvents(deps.db, deps.clock),
    clock: deps.clock,
    transactions: deps.engine === 'pglite' ? 1 : 2,
    onGroupFailed: (err, requests) =>
      deps.logger.warn({ err, requests }, 'a grouped ingest transaction failed; retrying its requests one by one'),
  });
  const limiter = createRateLimiter({ perSecond: deps.config.ingestPerSecond, burst: deps.config.ingestPerSecond * 2, clock: deps.clock });
  app.use(
    '*',
    cors({
      origin: '*',
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['authorization', 'content-type', 'content-encoding'],
      maxAge: 86_400,
    }),
  );
  app.post('/:call', async (c) => {
    const type = ROUTES[c.req.param('call')];
    if (!type)
      return problemResponse(c, 'not_found', `no tracking call ${c.req.param('call')}: expected one of ${Object.keys(ROUTES).join(', ')}`);
    const body = parseIngestBody(Buffer.from(await c.req.arrayBuffer()), c.req.header('content-encoding'));
    const workspaceId = await writeKeyWorkspace(deps, keys, c.req.header('authorization'), body.writeKey);
    const calls = validateCalls(type, body);
    const allowed = limiter.take(workspaceId, calls.length);
    if (!allowed.ok) {
      return problemResponse(
        c,
        'rate_limited',
        `this workspace sends more than ${deps.config.ingestPerSecond} events a second; retry later`,
        [],
        {
          'retry-after': String(allowed.retryAfterSeconds),
        },
      );
    }
    try {
      await queue.submit(workspaceId, calls);
    } catch (error) {
      // A write race that outlived its retries is ours, not the client's: answer so it retries
      // (analytics clients retry 5xx and 429, and drop other 4xx with the events in them).
      if (['23505', '40P01', '40001'].includes((error as { code?: string }).code ?? '')) {
        return problemResponse(c, 'unavailable', 'busy writing the same contacts; retry shortly', [], { 'retry-after': '1' });
      }
      throw error;
    }
    return c.json({ success: true });
  });
  return app;
}

/** The write key from HTTP Basic (username, empty password), a Bearer token, or the body's writeKey. */
async function writeKeyWorkspace(deps: ServerDeps, cache: KeyCache, authorization: string | undefined, bodyKey: unknown): Promise<string> {
  let key: string | undefined;
  const [scheme, value] = (authorization ?? '').split(/\s+/, 2);
  if (/^basic$/i.test(scheme ?? '') && value) key = Buffer.from(value, 'base64').toString('utf8').replace(/:.*$/s, '');
  else if (/^bearer$/i.test(scheme ?? '') && value) key = value;
  else if (typeof bodyKey === 'string') key = bodyKey;
  if (!key)
    throw new KizunaError(
      'unauthenticated',
      'send the write key as HTTP Basic username, "Authorization: Bearer <key>", or writeKey in the body',
    );
  const principal = await cache.get(key, () => authenticateKey(deps.db, key, deps.clock));
  if (!principal) throw new KizunaError('unauthenticated', 'this write key is unknown or has been revoked');
  if (principal.scope === 'read') throw new KizunaError('forbidden', 'a read key cannot send events; use a write key');
  return principal.workspaceId;
}

const KEY_TTL_MS = 5000;

type KeyCache = ReturnType<typeof createKeyCache>;

/** Known keys' principals for KEY_TTL_MS; unknown keys are never cached, so a new key works at once. */
function createKeyCache(clock: ServerDeps['clock']) {
  const known = new Map<string, { principal: Principal; until: number }>();
  return {
    async get(key: string, load: () => Promise<Principal | undefined>): Promise<Principal | undefined> {
      const now = clock.now().getTime();
      const hit = known.get(key);
      if (hit && hit.until > now) return hit.principal;
      const principal = await load();
      if (principal) {
        if (known.size >= 1000) known.clear();
        known.set(key, { principal, until: now + KEY_TTL_MS });
      } else known.delete(key);
      return principal;
    },
  };
}

/** Documents the tracking calls in the OpenAPI document (they parse their own bodies, so no zod route). */
export function documentIngestRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const call of ['identify', 'track', 'page', 'screen', 'group', 'alias', 'batch']) {
    app.openAPIRegistry.registerPath({
      method: 'post',
      path: `/v1/${call}`,
      tags: ['Tracking (Segment spec)'],
      summary: `Segment-spec ${call} call (also at /v1/${call[0]}); JSON whatever the Content-Type, gzip accepted, 32 KB per call, 500 KB per request`,
      security: [{ writeKeyBasic: [] }, { bearerAuth: [] }],
      request: { body: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } },
      responses: {
        200: {
          description: 'Stored (a repeated messageId is answered 200 and not stored again)',
          content: { 'application/json': { schema: { type: 'object', properties: { success: { type: 'boolean' } } } } },
        },
        400: { description: 'Invalid call: errors name each field (batch.3.event)' },
        401: { description: 'Missing or unknown write key' },
        413: { description: 'A call over 32 KB or a request over 500 KB' },
        429: { description: 'Over the workspace’s rate; see Retry-After' },
      },
    });
  }
  app.openAPIRegistry.registerComponent('securitySchemes', 'writeKeyBasic', {
    type: 'http',
    scheme: 'basic',
    description: 'The write key as username, empty password',
  });
}

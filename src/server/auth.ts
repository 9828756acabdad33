import type { MiddlewareHandler } from 'hono';
import { KizunaError } from '../platform/errors.ts';
import { authenticateKey } from '../workspaces/api-keys.ts';
import type { AppEnv, ServerDeps } from './deps.ts';

/**
 * Resolves `Authorization: Bearer <key>` to a workspace and enforces the key's scope:
 * admin may do anything, read may only GET, write may only ingest events (not /api).
 */
export function requireApiKey(deps: Pick<ServerDeps, 'db' | 'clock'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new KizunaError('unauthenticated', 'send an API key as "Authorization: Bearer <key>"');
    const principal = await authenticateKey(deps.db, match[1]!, deps.clock);
    if (!principal) throw new KizunaError('unauthenticated', 'this API key is unknown or has been revoked');
    if (principal.scope === 'write')
      throw new KizunaError('forbidden', 'a write key may only send events (the /v1 tracking API); use a read or admin key here');
    if (principal.scope === 'read' && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      throw new KizunaError('forbidden', `a read key may not ${c.req.method}; use an admin key`);
    }
    c.set('principal', principal);
    await next();
  };
}

/** Only admin keys pass (key management). */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get('principal').scope !== 'admin') throw new KizunaError('forbidden', 'only an admin key may manage API keys');
  await next();
};

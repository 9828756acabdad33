import { type Context, Hono } from 'hono';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { recordEmailEvent } from '../../events/record-email-event.ts';
import { TRACKING_SECRET, type TrackingClaims, verifyTrackingToken } from '../../events/tracking-token.ts';
import { instanceSecret } from '../../platform/instance-secret.ts';
import { clientIp } from '../client-ip.ts';
import type { ServerDeps } from '../deps.ts';
import { problemResponse } from '../problem.ts';

// The smallest transparent GIF: 1×1, 43 bytes.
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * First-party email tracking: `/o/{token}` (open pixel) and `/c/{token}` (click redirect). Tokens
 * are HMAC-signed; a tampered or unsigned token never redirects anywhere (no open redirect).
 */
export function emailTrackingRoutes(deps: ServerDeps) {
  const app = new Hono();
  const partitions = createPartitionCache();
  // Read (or created) once per process, on the first tracked request.
  let secret: Promise<Buffer> | undefined;
  const claimsOf = async (token: string) => {
    secret ??= instanceSecret(deps.db, TRACKING_SECRET, deps.clock);
    return verifyTrackingToken(token, await secret);
  };
  const record = (c: Context, claims: TrackingClaims, name: 'Email Opened' | 'Email Link Clicked') =>
    recordEmailEvent(deps.db, { claims, name, ip: clientIp(c), userAgent: c.req.header('user-agent'), partitions }, deps.clock);

  app.get('/o/:token', async (c) => {
    const claims = await claimsOf(c.req.param('token').replace(/\.gif$/, ''));
    // The pixel is the same whatever the token: a mail client must never show a broken image.
    if (claims) await record(c, claims, 'Email Opened');
    return c.body(PIXEL, 200, {
      'content-type': 'image/gif',
      'cache-control': 'no-store, no-cache, must-revalidate, max-age=0',
      pragma: 'no-cache',
    });
  });
  app.get('/c/:token', async (c) => {
    const claims = await claimsOf(c.req.param('token'));
    if (!claims?.url || !/^https?:\/\//i.test(claims.url)) {
      return problemResponse(c, 'not_found', 'this link is not valid: it may have been altered or cut short');
    }
    await record(c, claims, 'Email Link Clicked');
    return c.redirect(claims.url, 302);
  });
  return app;
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/** What an email open pixel or a rewritten link carries: who, which delivery, which link. */
export interface TrackingClaims {
  workspaceId: string;
  contactId: string;
  deliveryId: string;
  /** For clicks: the link's position in the message and where it goes. */
  linkIndex?: number;
  url?: string;
  /** When the message was sent (ms since epoch): clicks within seconds of it are scanners. */
  sentAt?: number;
}

/**
 * Signs claims into a URL-safe token: base64url(JSON) "." base64url(HMAC-SHA256).
 * @example signTrackingToken({ workspaceId, contactId, deliveryId, linkIndex: 0, url: 'https://example.com' }, secret)
 */
export function signTrackingToken(claims: TrackingClaims, secret: Buffer): string {
  const payload = Buffer.from(
    JSON.stringify([
      claims.workspaceId,
      claims.contactId,
      claims.deliveryId,
      claims.linkIndex ?? null,
      claims.url ?? null,
      claims.sentAt ?? null,
    ]),
  ).toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

/** The claims of a genuine token; undefined for anything unsigned, tampered with or malformed. */
export function verifyTrackingToken(token: string, secret: Buffer): TrackingClaims | undefined {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = Buffer.from(mac(payload, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const [workspaceId, contactId, deliveryId, linkIndex, url, sentAt] = JSON.parse(
      Buffer.from(payload, 'base64url').toString('utf8'),
    ) as unknown[];
    if (typeof workspaceId !== 'string' || typeof contactId !== 'string' || typeof deliveryId !== 'string') return undefined;
    return {
      workspaceId,
      contactId,
      deliveryId,
      ...(typeof linkIndex === 'number' ? { linkIndex } : {}),
      ...(typeof url === 'string' ? { url } : {}),
      ...(typeof sentAt === 'number' ? { sentAt } : {}),
    };
  } catch {
    return undefined;
  }
}

function mac(payload: string, secret: Buffer): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

import { signValues, verifySigned } from '../platform/signed-token.ts';

/** The instance secret (see instanceSecret) that signs open pixels and rewritten links. */
export const TRACKING_SECRET = 'email-tracking';

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
  return signValues(
    [claims.workspaceId, claims.contactId, claims.deliveryId, claims.linkIndex ?? null, claims.url ?? null, claims.sentAt ?? null],
    secret,
  );
}

/** The claims of a genuine token; undefined for anything unsigned, tampered with or malformed. */
export function verifyTrackingToken(token: string, secret: Buffer): TrackingClaims | undefined {
  const values = verifySigned(token, secret);
  if (!values) return undefined;
  const [workspaceId, contactId, deliveryId, linkIndex, url, sentAt] = values;
  if (typeof workspaceId !== 'string' || typeof contactId !== 'string' || typeof deliveryId !== 'string') return undefined;
  return {
    workspaceId,
    contactId,
    deliveryId,
    ...(typeof linkIndex === 'number' ? { linkIndex } : {}),
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof sentAt === 'number' ? { sentAt } : {}),
  };
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/** The instance secret (see instanceSecret) that signs VERP return paths. */
export const BOUNCE_SECRET = 'email-bounces';

// Domain separation: a MAC made with this secret for anything else never verifies here.
const PREFIX = 'kizuna-verp-v1.';
const LOCAL_PART = /^b-([0-9a-f]{32})([0-9a-f]{16})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The envelope sender (return path) of one delivery: `b-{32 hex of the id}{64-bit MAC}@domain`.
 * A DSN goes back to it, so the bounce names its delivery without trusting the report's text.
 * Lower-case hex only, 50 characters: within the 64 a local part may have (RFC 5321), and
 * intact through MTAs that fold the case of local parts.
 * @example returnPath({ deliveryId, domain: 'bounces.example.com', secret }) // 'b-1f0c…@bounces.example.com'
 */
export function returnPath({ deliveryId, domain, secret }: { deliveryId: string; domain: string; secret: Buffer }): string {
  const id = deliveryId.toLowerCase();
  if (!UUID.test(id)) throw new Error(`expected a delivery id in UUID form, got "${deliveryId}"`);
  const hex = id.replace(/-/g, '');
  return `b-${hex}${mac(hex, secret)}@${domain.toLowerCase()}`;
}

/** The delivery a genuine return path names; undefined for any other address, tampered or malformed. */
export function parseReturnPath(address: string, secret: Buffer): { deliveryId: string } | undefined {
  const at = address.lastIndexOf('@');
  const match = LOCAL_PART.exec(address.slice(0, at).trim().toLowerCase());
  if (at < 0 || !match) return undefined;
  const [, hex, given] = match as unknown as [string, string, string];
  if (!timingSafeEqual(Buffer.from(given), Buffer.from(mac(hex, secret)))) return undefined;
  return { deliveryId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` };
}

/** Whether a string is a UUID (a delivery id from a header must be one before it reaches SQL). */
export function isUuid(value: string): boolean {
  return UUID.test(value.toLowerCase());
}

// 64 bits: an attacker has to guess 2^64 addresses to forge one bounce; each guess costs an SMTP transaction.
function mac(hex: string, secret: Buffer): string {
  return createHmac('sha256', secret).update(PREFIX).update(hex).digest('hex').slice(0, 16);
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * URL-safe signed tokens: base64url(JSON array) "." base64url(HMAC-SHA256). `domain` separates
 * the uses of one secret (a token signed for one domain never verifies for another).
 * @example verifySigned(signValues(['a', 1], secret, 'links.'), secret, 'links.') // ['a', 1]
 */
export function signValues(values: readonly unknown[], secret: Buffer, domain = ''): string {
  const payload = Buffer.from(JSON.stringify(values)).toString('base64url');
  return `${payload}.${mac(payload, secret, domain)}`;
}

/** The values of a genuine token; undefined for anything unsigned, tampered with or malformed. */
export function verifySigned(token: string, secret: Buffer, domain = ''): unknown[] | undefined {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = Buffer.from(mac(payload, secret, domain));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const values: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return Array.isArray(values) ? values : undefined;
  } catch {
    return undefined;
  }
}

function mac(payload: string, secret: Buffer, domain: string): string {
  return createHmac('sha256', secret).update(domain).update(payload).digest('base64url');
}

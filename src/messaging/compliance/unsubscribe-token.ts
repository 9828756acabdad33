import { createHmac, timingSafeEqual } from 'node:crypto';
import { signValues, verifySigned } from '../../platform/signed-token.ts';

/** The instance secret (see instanceSecret) that signs unsubscribe, preference and confirm links. */
export const COMPLIANCE_SECRET = 'email-compliance';

/**
 * What a link is for. `preferences` opens the preference page and does the one-click POST of
 * `/u/{token}`; `confirm` confirms a double opt-in. A token of one purpose never works as the other.
 */
export type TokenPurpose = 'preferences' | 'confirm';

export interface UnsubscribeClaims {
  purpose: TokenPurpose;
  workspaceId: string;
  contactId: string;
  /** The address the message went to: suppressed even if the contact changes or is deleted. */
  email: string;
  deliveryId?: string;
  /** The topic of the message: a one-click POST opts out of this topic only. */
  topic?: string;
  /** For `confirm`: the pending confirmation. */
  confirmationId?: string;
}

// Domain separation: the same secret may never make a tracking token valid here or the reverse.
const PREFIX = 'kizuna-compliance-v1.';

/**
 * Signs claims into a URL-safe token: base64url(JSON) "." base64url(HMAC-SHA256).
 * @example signUnsubscribeToken({ purpose: 'preferences', workspaceId, contactId, email: 'a@b.jp' }, secret)
 */
export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: Buffer): string {
  return signValues(
    [
      claims.purpose,
      claims.workspaceId,
      claims.contactId,
      claims.email,
      claims.deliveryId ?? null,
      claims.topic ?? null,
      claims.confirmationId ?? null,
    ],
    secret,
    PREFIX,
  );
}

/** The claims of a genuine token of this purpose; undefined for anything else (tampered, other purpose, malformed). */
export function verifyUnsubscribeToken(token: string, purpose: TokenPurpose, secret: Buffer): UnsubscribeClaims | undefined {
  const values = verifySigned(token, secret, PREFIX);
  if (!values) return undefined;
  const [p, workspaceId, contactId, email, deliveryId, topic, confirmationId] = values;
  if (p !== purpose || typeof workspaceId !== 'string' || typeof contactId !== 'string' || typeof email !== 'string') return undefined;
  if (purpose === 'confirm' && typeof confirmationId !== 'string') return undefined;
  return {
    purpose,
    workspaceId,
    contactId,
    email,
    ...(typeof deliveryId === 'string' ? { deliveryId } : {}),
    ...(typeof topic === 'string' ? { topic } : {}),
    ...(typeof confirmationId === 'string' ? { confirmationId } : {}),
  };
}

/**
 * A short token for the mailto address (`unsubscribe+{token}@domain`): an address's local part
 * may be at most 64 characters and some servers fold its case, so this is lower-case base32 of
 * the contact id and an 80-bit MAC (42 characters). The inbound side resolves the contact.
 */
export function signMailtoToken(contactId: string, secret: Buffer): string {
  const id = Buffer.from(contactId.replace(/-/g, ''), 'hex');
  return base32(Buffer.concat([id, mailtoMac(id, secret)]));
}

/** The contact id of a genuine mailto token, else undefined. */
export function verifyMailtoToken(token: string, secret: Buffer): string | undefined {
  const bytes = unbase32(token.toLowerCase());
  if (bytes.length !== 26) return undefined;
  const id = bytes.subarray(0, 16);
  if (!timingSafeEqual(bytes.subarray(16), mailtoMac(id, secret))) return undefined;
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function mailtoMac(id: Buffer, secret: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${PREFIX}mailto.`).update(id).digest().subarray(0, 10);
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

// RFC 4648 base32 without padding (26 bytes → 42 characters); too small a need for a dependency.
function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes base32; an empty buffer for anything outside the alphabet. */
function unbase32(text: string): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) return Buffer.alloc(0);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

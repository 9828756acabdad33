/**
 * The X-Twilio-Signature scheme every Twilio-compatible provider uses on its webhooks:
 * base64(HMAC-SHA1(auth token, full URL + each POST parameter as name then value, sorted by name)).
 * It is the only thing that tells a provider's webhook from anyone else's POST, so a request that
 * fails it must change nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Form parameters in the order received; a name may repeat. */
export type FormParams = ReadonlyArray<readonly [string, string]>;

/**
 * The signature a provider sends for a POST of `params` to `url`.
 * @example twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', [['CallSid', 'CA1234567890ABCDE'], …])
 */
export function twilioSignature(authToken: string, url: string, params: FormParams): string {
  // By name, then a repeated name's distinct values in order: what the provider's helper libraries sign.
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of params) byName.set(name, (byName.get(name) ?? new Set()).add(value));
  const data = [...byName.keys()]
    .sort()
    .map((name) =>
      [...byName.get(name)!]
        .sort()
        .map((value) => name + value)
        .join(''),
    )
    .join('');
  return createHmac('sha1', authToken)
    .update(url + data, 'utf8')
    .digest('base64');
}

/**
 * Whether `signature` is the provider's signature of this request. The URL is the one the provider
 * was told to call (its public address, not what a proxy forwards); the provider's own libraries
 * accept it with the default port written out or left off, and so does this.
 */
export function verifyTwilioSignature({
  authToken,
  url,
  params,
  signature,
}: {
  authToken: string;
  url: string;
  params: FormParams;
  signature: string | undefined;
}): boolean {
  if (!signature) return false;
  const given = Buffer.from(signature, 'utf8');
  // Every candidate is compared (no early exit) so timing tells nothing about which one was close.
  let isValid = false;
  for (const candidate of urlVariants(url)) {
    const expected = Buffer.from(twilioSignature(authToken, candidate, params), 'utf8');
    if (expected.length === given.length && timingSafeEqual(expected, given)) isValid = true;
  }
  return isValid;
}

/** The URL as given, without its port, and with the scheme's default port written out. */
function urlVariants(url: string): string[] {
  const match = /^(https?):\/\/([^/?#]*?)(?::(\d+))?([/?#].*)?$/i.exec(url);
  if (!match) return [url];
  const [, scheme, host, , rest = ''] = match;
  const defaultPort = scheme!.toLowerCase() === 'https' ? 443 : 80;
  return [...new Set([url, `${scheme}://${host}${rest}`, `${scheme}://${host}:${defaultPort}${rest}`])];
}

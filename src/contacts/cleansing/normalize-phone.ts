/**
 * Phone numbers stored as E.164 so the same line typed as `03-1234-5678`, `(03)1234-5678`
 * or `+81 3 1234 5678` is one value. Parsing and validation are libphonenumber-js's job;
 * the default 'min' metadata validates number length and prefixes, which is all we need.
 */
import { type CountryCode, getExampleNumber, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import examples from 'libphonenumber-js/mobile/examples';

export type NormalizedPhone = { ok: true; e164: string } | { ok: false; reason: string };

/**
 * Parse a number written nationally for `defaultRegion` (ISO 3166 alpha-2) or internationally.
 * Extensions are dropped: E.164 has no place for them.
 * @example normalizePhone('０３－１２３４－５６７８', 'JP') // { ok: true, e164: '+81312345678' }
 */
export function normalizePhone(raw: string, defaultRegion: string): NormalizedPhone {
  const text = raw.normalize('NFKC').trim();
  const region = defaultRegion.trim().toUpperCase();
  if (!isSupportedCountry(region)) {
    return { ok: false, reason: `unknown default region "${defaultRegion}": expected an ISO 3166 country code such as JP or US` };
  }
  const phone = parsePhoneNumberFromString(text, region);
  if (phone?.isValid()) return { ok: true, e164: phone.number };
  return { ok: false, reason: `not a valid phone number for region ${region}: expected e.g. ${exampleFor(region)}` };
}

function exampleFor(region: CountryCode): string {
  const example = getExampleNumber(region, examples);
  return example ? `${example.formatNational()} or ${example.formatInternational()}` : 'an international number such as +81 3 1234 5678';
}

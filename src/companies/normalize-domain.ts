import { normalizeText } from '../contacts/cleansing/normalize-text.ts';

/**
 * A company's web domain in one canonical form: lower case, no scheme, no www., no path.
 * @example normalizeDomain('https://www.Example.co.jp/about') // 'example.co.jp'
 */
export function normalizeDomain(raw: string | null | undefined): string | null {
  const text = normalizeText(raw);
  if (!text) return null;
  const host = text
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/^[^@/]*@/, '')
    .split(/[/?#:]/)[0]!
    .replace(/^www\./, '')
    .replace(/\.$/, '');
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host) ? host : null;
}

/**
 * Company names as typed by people: `株式会社サンプル`, `(株)サンプル`, `サンプル㈱` and
 * `Sample Co., Ltd.` are one company. NFKC runs first everywhere, so the enclosed forms
 * ㈱ ㈲ and the full-width （株） all arrive here as the ASCII-parenthesised `(株)`, `(有)`.
 */

// Japanese legal forms, full and abbreviated, removed wherever they stand (前株 or 後株).
const JAPANESE_LEGAL_FORM = /株式会社|有限会社|合同会社|合資会社|合名会社|(?:一般|公益)(?:社団|財団)法人|\(\s*(?:株|有|同|資|名)\s*\)/gu;

// Latin legal forms as whole words. A bare `Co` only counts with a period or at the end, so
// `Co-op` and `Coca` survive; `Co., Ltd.` is tried before its parts.
const LATIN_LEGAL_FORM =
  /(?<![\p{L}\p{N}])(?:co\.?\s*,?\s*ltd|corporation|corp|inc|llc|l\.l\.c|k\.\s?k|g\.\s?k|limited|ltd|co\.|co(?=\s*$))(?![\p{L}\p{N}])\.?/giu;

// Separators people vary freely. Not `ー`: that is the katakana long vowel, part of the name.
const SEPARATORS = /[\s・.,、。\-‐'"]/gu;

/**
 * Matching key for deduplication: legal forms, spaces and punctuation removed, lower-cased.
 * A name that is only a legal form gives ''.
 * @example companyNameKey('サンプル（株）') // 'サンプル'; companyNameKey('Acme Co., Ltd.') // 'acme'
 */
export function companyNameKey(name: string): string {
  return name.normalize('NFKC').replace(JAPANESE_LEGAL_FORM, ' ').replace(LATIN_LEGAL_FORM, ' ').replace(SEPARATORS, '').toLowerCase();
}

const ABBREVIATIONS: ReadonlyArray<[RegExp, string]> = [
  [/\s*\(\s*株\s*\)\s*/gu, '株式会社'],
  [/\s*\(\s*有\s*\)\s*/gu, '有限会社'],
  [/\s*\(\s*同\s*\)\s*/gu, '合同会社'],
];

/**
 * Display form: NFKC, whitespace collapsed, abbreviated legal forms spelled out in place.
 * @example cleanCompanyName('㈱サンプル') // '株式会社サンプル'; cleanCompanyName('サンプル（株）') // 'サンプル株式会社'
 */
export function cleanCompanyName(name: string): string {
  let clean = name.normalize('NFKC').replace(/\s+/gu, ' ').trim();
  for (const [pattern, full] of ABBREVIATIONS) clean = clean.replace(pattern, full);
  return clean;
}

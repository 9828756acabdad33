/**
 * Canonical form for free text typed into forms and spreadsheets. NFKC folds full-width
 * ASCII to half-width and half-width kana to full-width, and turns the ideographic space
 * (U+3000) into an ordinary space, so one whitespace rule covers both scripts.
 */

/** NFKC, trim and collapse whitespace runs into one space; blank input becomes null. @example normalizeText('　ＡＢＣ　ｶﾅ ') // 'ABC カナ' */
export function normalizeText(value: string | null | undefined): string | null {
  if (value == null) return null;
  const text = value.normalize('NFKC').replace(/\s+/gu, ' ').trim();
  return text === '' ? null : text;
}

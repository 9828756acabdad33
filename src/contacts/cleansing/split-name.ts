/**
 * Splitting a full name into family and given parts. Japanese names are written family
 * first (山田 太郎); Western names given first (John Smith) unless a comma says otherwise.
 */

export type NameOrder = 'family_first' | 'given_first';

export interface SplitName {
  lastName: string | null;
  firstName: string | null;
  nameOrder: NameOrder;
}

const CJK_OR_KANA = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** Whether the text contains kanji, hiragana or katakana, so it is written in Japanese order. */
export function isJapaneseName(name: string): boolean {
  return CJK_OR_KANA.test(name.normalize('NFKC'));
}

/**
 * Split a full name on spaces (NFKC turns the ideographic space into an ASCII one).
 * A Japanese name written without a space (`山田太郎`) is kept whole as the last name: the
 * family/given boundary is not marked in the script (山田太郎 vs 山田太 郎, 佐々木 vs 佐 々木)
 * and guessing needs a surname dictionary, so we keep the data rather than split it wrongly.
 * A single Latin token is taken as a given name. Romanised Japanese (`Yamada Taro`) cannot
 * be told from a Western name and is read given-first.
 * @example splitFullName('山田　太郎') // { lastName: '山田', firstName: '太郎', nameOrder: 'family_first' }
 * @example splitFullName('Smith, John') // { lastName: 'Smith', firstName: 'John', nameOrder: 'given_first' }
 */
export function splitFullName(full: string): SplitName {
  const name = full.normalize('NFKC').replace(/\s+/gu, ' ').trim();
  if (isJapaneseName(name)) {
    const [lastName, ...rest] = name.split(' ');
    return { lastName: lastName || null, firstName: rest.join(' ') || null, nameOrder: 'family_first' };
  }
  const comma = name.indexOf(',');
  if (comma >= 0) {
    const lastName = name.slice(0, comma).trim();
    const firstName = name.slice(comma + 1).trim();
    return { lastName: lastName || null, firstName: firstName || null, nameOrder: 'given_first' };
  }
  const tokens = name.split(' ');
  if (tokens.length < 2) return { lastName: null, firstName: name || null, nameOrder: 'given_first' };
  return { lastName: tokens.pop()!, firstName: tokens.join(' '), nameOrder: 'given_first' };
}

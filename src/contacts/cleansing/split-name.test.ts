import { describe, expect, it } from 'vitest';
import { isJapaneseName, splitFullName } from './split-name.ts';

describe('splitFullName', () => {
  it('splits a Japanese name family-first on an ideographic or ASCII space', () => {
    const expected = { lastName: '山田', firstName: '太郎', nameOrder: 'family_first' };
    expect(splitFullName('山田　太郎')).toEqual(expected);
    expect(splitFullName('山田 太郎')).toEqual(expected);
    expect(splitFullName(' 山田 \u3000 太郎 ')).toEqual(expected);
  });

  it('splits katakana and half-width kana furigana the same way', () => {
    expect(splitFullName('ヤマダ タロウ')).toEqual({ lastName: 'ヤマダ', firstName: 'タロウ', nameOrder: 'family_first' });
    expect(splitFullName('ﾔﾏﾀﾞ ﾀﾛｳ')).toEqual({ lastName: 'ヤマダ', firstName: 'タロウ', nameOrder: 'family_first' });
    expect(splitFullName('やまだ　たろう')).toEqual({ lastName: 'やまだ', firstName: 'たろう', nameOrder: 'family_first' });
  });

  it('keeps an unspaced Japanese name whole as the last name', () => {
    expect(splitFullName('山田太郎')).toEqual({ lastName: '山田太郎', firstName: null, nameOrder: 'family_first' });
  });

  it('puts everything after the family name into the given name', () => {
    expect(splitFullName('佐藤 花子 エミリー')).toEqual({ lastName: '佐藤', firstName: '花子 エミリー', nameOrder: 'family_first' });
  });

  it('splits a Latin name given-first, with the last token as the family name', () => {
    expect(splitFullName('John Smith')).toEqual({ lastName: 'Smith', firstName: 'John', nameOrder: 'given_first' });
    expect(splitFullName('Mary Ann Smith')).toEqual({ lastName: 'Smith', firstName: 'Mary Ann', nameOrder: 'given_first' });
    expect(splitFullName('Ｊｏｈｎ　Ｓｍｉｔｈ')).toEqual({ lastName: 'Smith', firstName: 'John', nameOrder: 'given_first' });
  });

  it('reads "Family, Given" when there is a comma', () => {
    expect(splitFullName('Smith, John')).toEqual({ lastName: 'Smith', firstName: 'John', nameOrder: 'given_first' });
    expect(splitFullName('van der Berg, Anna Maria')).toEqual({
      lastName: 'van der Berg',
      firstName: 'Anna Maria',
      nameOrder: 'given_first',
    });
  });

  it('takes a single Latin token as the given name', () => {
    expect(splitFullName('Madonna')).toEqual({ lastName: null, firstName: 'Madonna', nameOrder: 'given_first' });
  });

  it('returns nulls for blank input', () => {
    expect(splitFullName(' \u3000 ')).toEqual({ lastName: null, firstName: null, nameOrder: 'given_first' });
  });
});

describe('isJapaneseName', () => {
  it('detects kanji, hiragana, katakana and half-width kana', () => {
    expect(isJapaneseName('山田')).toBe(true);
    expect(isJapaneseName('たろう')).toBe(true);
    expect(isJapaneseName('ﾀﾛｳ')).toBe(true);
    expect(isJapaneseName('John Smith')).toBe(false);
    expect(isJapaneseName('Yamada Taro')).toBe(false);
  });
});

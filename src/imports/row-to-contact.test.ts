import { describe, expect, it } from 'vitest';
import { mapHeaders } from './csv/map-headers.ts';
import { parseEmployeeCount, rowToContact } from './row-to-contact.ts';

describe('parseEmployeeCount', () => {
  it.each([
    ['1,200名', 1200],
    ['１，２００名', 1200],
    ['約 300 人', 300],
    ['100-499', 100],
    ['100〜499人', 100],
    ['1000人以上', 1000],
    ['1.2万人', 12_000],
    ['3万名', 30_000],
    ['5千人', 5000],
    ['0', 0],
  ])('reads %s as %i', (text, count) => {
    expect(parseEmployeeCount(text.normalize('NFKC'))).toBe(count);
  });

  it('returns null when there is no number, or one no column can hold', () => {
    expect(parseEmployeeCount('不明')).toBeNull();
    expect(parseEmployeeCount('-')).toBeNull();
    expect(parseEmployeeCount('30億人')).toBeNull();
    expect(parseEmployeeCount('3,000,000,000')).toBeNull();
  });
});

describe('rowToContact', () => {
  const convert = (headers: string[], cells: string[]) => rowToContact(cells, mapHeaders(headers).mapping, { externalIdSource: 'crm' });

  it('splits 氏名 and フリガナ written with full-width spaces and half-width kana', () => {
    const { input } = convert(['氏名', 'フリガナ', 'メール'], ['山田\u3000太郎', 'ﾔﾏﾀﾞ ﾀﾛｳ', ' ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ ']);
    expect(input).toEqual({
      email: 'taro@example.jp',
      lastName: '山田',
      firstName: '太郎',
      nameOrder: 'family_first',
      lastNameKana: 'ヤマダ',
      firstNameKana: 'タロウ',
    });
  });

  it('keys the external id by the source, splits tags and maps country names', () => {
    const { input, warnings } = convert(['顧客ID', 'タグ', '国', '従業員数'], ['C-1', '展示会、VIP; 展示会', '日本', '1,200名']);
    expect(input).toEqual({ externalIds: { crm: 'C-1' }, tags: ['展示会', 'VIP', '展示会'], country: 'JP', employeeCount: 1200 });
    expect(warnings).toEqual([]);
  });

  it('turns control characters into spaces', () => {
    const { input } = convert(['email', '役職'], ['a@x.jp\u0000', '営業\u0000部長\f']);
    expect(input).toEqual({ email: 'a@x.jp', jobTitle: '営業 部長' });
  });

  it('warns about values it cannot read instead of rejecting the row', () => {
    const { input, warnings } = convert(
      ['email', '従業員数', '国', '電話', '携帯'],
      ['a@x.jp', '不明', 'Atlantis', '03-1234-5678', '090-1234-5678'],
    );
    expect(input).toEqual({ email: 'a@x.jp', phone: '03-1234-5678' });
    expect(warnings.map((w) => w.path)).toEqual(['mobile', 'employeeCount', 'country']);
  });
});

import { describe, expect, it } from 'vitest';
import { cleanCompanyName, companyNameKey } from './company-name.ts';

describe('companyNameKey', () => {
  it.each([
    '株式会社サンプル',
    'サンプル株式会社',
    '(株)サンプル',
    '（株）サンプル',
    '㈱サンプル',
    'サンプル（株）',
    'サンプル㈱',
    '株式会社 サンプル',
    '株式会社　サンプル',
    'ｻﾝﾌﾟﾙ株式会社',
  ])('reduces %s to サンプル', (name) => {
    expect(companyNameKey(name)).toBe('サンプル');
  });

  it('removes other Japanese legal forms', () => {
    expect(companyNameKey('有限会社テスト')).toBe('テスト');
    expect(companyNameKey('㈲テスト')).toBe('テスト');
    expect(companyNameKey('テスト合同会社')).toBe('テスト');
    expect(companyNameKey('(同)テスト')).toBe('テスト');
    expect(companyNameKey('一般社団法人日本マーケティング協会')).toBe('日本マーケティング協会');
    expect(companyNameKey('合資会社テスト')).toBe('テスト');
    expect(companyNameKey('合名会社テスト')).toBe('テスト');
  });

  it.each([
    'Acme Co., Ltd.',
    'Acme Co.,Ltd.',
    'ACME Inc.',
    'Acme, Inc',
    'Acme Corp.',
    'Acme Corporation',
    'Acme LLC',
    'Acme K.K.',
    'Acme G.K.',
    'Acme Ltd',
    'Acme Co.',
    'ＡＣＭＥ　Ｃｏ．，Ｌｔｄ．',
  ])('reduces %s to acme', (name) => {
    expect(companyNameKey(name)).toBe('acme');
  });

  it('removes spaces and separators but keeps the katakana long vowel', () => {
    expect(companyNameKey('株式会社サンプル・ホールディングス')).toBe('サンプルホールディングス');
    expect(companyNameKey('マーケティング・ラボ株式会社')).toBe('マーケティングラボ');
    expect(companyNameKey('Blue-Sky Partners Inc.')).toBe('blueskypartners');
  });

  it('does not eat legal-form letters inside words', () => {
    expect(companyNameKey('Coca Cola')).toBe('cocacola');
    expect(companyNameKey('Co-op Japan')).toBe('coopjapan');
    expect(companyNameKey('Incline Systems')).toBe('inclinesystems');
    expect(companyNameKey('Corpus Labs Ltd.')).toBe('corpuslabs');
  });

  it('gives an empty key for a bare legal form', () => {
    expect(companyNameKey('株式会社')).toBe('');
  });
});

describe('cleanCompanyName', () => {
  it('spells out abbreviations before the name', () => {
    expect(cleanCompanyName('(株)サンプル')).toBe('株式会社サンプル');
    expect(cleanCompanyName('（株）サンプル')).toBe('株式会社サンプル');
    expect(cleanCompanyName('㈱サンプル')).toBe('株式会社サンプル');
    expect(cleanCompanyName('㈲テスト')).toBe('有限会社テスト');
    expect(cleanCompanyName('(有) テスト')).toBe('有限会社テスト');
  });

  it('spells out abbreviations after the name', () => {
    expect(cleanCompanyName('サンプル㈱')).toBe('サンプル株式会社');
    expect(cleanCompanyName('サンプル（株）')).toBe('サンプル株式会社');
    expect(cleanCompanyName('テスト(有)')).toBe('テスト有限会社');
  });

  it('normalises width and whitespace and leaves full forms alone', () => {
    expect(cleanCompanyName('  株式会社　ｻﾝﾌﾟﾙ  ')).toBe('株式会社 サンプル');
    expect(cleanCompanyName('ＡＣＭＥ  Ｃｏ．， Ｌｔｄ．')).toBe('ACME Co., Ltd.');
  });
});

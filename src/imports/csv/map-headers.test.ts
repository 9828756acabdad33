import { describe, expect, it } from 'vitest';
import { CONTACT_IMPORT_FIELDS, customFieldColumn, mapHeaders } from './map-headers.ts';

describe('mapHeaders', () => {
  it('maps a typical Japanese Excel export', () => {
    const headers = [
      '氏名',
      'フリガナ',
      '会社名',
      '部署名',
      '役職',
      'メールアドレス',
      '電話番号',
      '携帯電話',
      '都道府県',
      '従業員数',
      '備考',
    ];
    expect(mapHeaders(headers)).toEqual({
      mapping: [
        'fullName',
        'fullNameKana',
        'companyName',
        'department',
        'jobTitle',
        'email',
        'phone',
        'mobile',
        'region',
        'employeeCount',
        null,
      ],
      unmapped: ['備考'],
    });
  });

  it('maps split Japanese name and kana columns, with full-width parentheses', () => {
    expect(mapHeaders(['姓', '名', 'セイ', 'メイ']).mapping).toEqual(['lastName', 'firstName', 'lastNameKana', 'firstNameKana']);
    expect(mapHeaders(['姓（カナ）', '名（カナ）']).mapping).toEqual(['lastNameKana', 'firstNameKana']);
    expect(mapHeaders(['氏名（カナ）', '苗字', 'ｅメールアドレス']).mapping).toEqual(['fullNameKana', 'lastName', 'email']);
  });

  it('maps English CRM exports regardless of case, spaces, underscores, hyphens and dots', () => {
    const headers = [
      'First Name',
      'last_name',
      'E-mail',
      'Company Name',
      'Job-Title',
      'Lead Owner',
      'Lifecycle Stage',
      'No. of Employees',
      'Customer ID',
    ];
    expect(mapHeaders(headers).mapping).toEqual([
      'firstName',
      'lastName',
      'email',
      'companyName',
      'jobTitle',
      'owner',
      'lifecycleStage',
      'employeeCount',
      'externalId',
    ]);
    expect(mapHeaders(['Number of Employees', 'Website', 'Time Zone', 'Language', 'Tags', 'Seniority']).mapping).toEqual([
      'employeeCount',
      'companyDomain',
      'timezone',
      'locale',
      'tags',
      'roleLevel',
    ]);
  });

  it('ignores a BOM and surrounding whitespace on a header', () => {
    expect(mapHeaders(['\uFEFFemail', ' 会社名 ']).mapping).toEqual(['email', 'companyName']);
  });

  it('maps each field at most once: the first column wins, later ones are unmapped', () => {
    expect(mapHeaders(['メール', 'Email', '電話', 'TEL'])).toEqual({ mapping: ['email', null, 'phone', null], unmapped: ['Email', 'TEL'] });
  });

  it('maps custom.<key> and custom:<key> headers to custom fields', () => {
    expect(mapHeaders(['email', 'custom.budget', 'Custom:導入時期', 'custom.', 'custom.budget'])).toEqual({
      mapping: ['email', { custom: 'budget' }, { custom: '導入時期' }, null, null],
      unmapped: ['custom.', 'custom.budget'],
    });
  });

  it('lets overrides win over detection and take the field from detected columns', () => {
    const result = mapHeaders(['メールアドレス', '連絡先', 'ID', 'メモ'], { 連絡先: 'email', ID: 'ignore', メモ: 'custom.memo' });
    expect(result).toEqual({ mapping: [null, 'email', null, { custom: 'memo' }], unmapped: ['メールアドレス'] });
  });

  it('skips a column overridden with an empty string without reporting it as unmapped', () => {
    expect(mapHeaders(['email', 'name'], { name: '' })).toEqual({ mapping: ['email', null], unmapped: [] });
  });

  it('rejects an unknown override target, naming the column and the allowed fields', () => {
    expect(() => mapHeaders(['会社'], { 会社: 'company' })).toThrow(
      `unknown import field "company" for column "会社": expected one of ${CONTACT_IMPORT_FIELDS.join(', ')}, custom.<key>, or "ignore"`,
    );
  });

  it('rejects two overrides feeding the same field', () => {
    expect(() => mapHeaders(['a', 'b'], { a: 'email', b: 'email' })).toThrow(
      'columns "a" and "b" are both mapped to "email": map each field from one column only',
    );
  });

  it('returns empty results for no headers', () => {
    expect(mapHeaders([])).toEqual({ mapping: [], unmapped: [] });
  });
});

describe('customFieldColumn', () => {
  it('reads both separators and keeps the key as written', () => {
    expect(customFieldColumn('custom.Budget')).toEqual({ custom: 'Budget' });
    expect(customFieldColumn('CUSTOM: 予算 ')).toEqual({ custom: '予算' });
  });

  it('returns null for other headers and empty keys', () => {
    expect(customFieldColumn('customer')).toBeNull();
    expect(customFieldColumn('custom:')).toBeNull();
  });
});

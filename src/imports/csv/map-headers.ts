/**
 * Which contact field each CSV column feeds. Headers come from Salesforce, HubSpot and Excel
 * sheets typed by hand in Japanese or English, so they are compared in a normalised form
 * (NFKC, lower case, no spaces/underscores/hyphens/dots) against a synonym dictionary.
 */

/** Contact fields a CSV column can be mapped to. */
export const CONTACT_IMPORT_FIELDS = [
  'email',
  'externalId',
  'fullName',
  'firstName',
  'lastName',
  'fullNameKana',
  'firstNameKana',
  'lastNameKana',
  'phone',
  'mobile',
  'jobTitle',
  'roleLevel',
  'department',
  'industry',
  'companyName',
  'companyDomain',
  'employeeCount',
  'country',
  'region',
  'timezone',
  'locale',
  'owner',
  'tags',
  'lifecycleStage',
] as const;

export type ContactImportField = (typeof CONTACT_IMPORT_FIELDS)[number];

/** Where one column goes: a contact field, a custom field by key, or nowhere. */
export type ColumnTarget = ContactImportField | { custom: string } | null;

/** One target per header, in header order. */
export type ColumnMapping = ColumnTarget[];

export interface HeaderMapping {
  mapping: ColumnMapping;
  /** Headers that were neither recognised nor explicitly ignored, or that repeat an already mapped field. */
  unmapped: string[];
}

// Synonyms are whitespace-separated and pass through normalizeHeader, so `E-mail` and `e_mail` need no entry.
const SYNONYMS: Record<ContactImportField, string> = {
  email: 'email e-mail emailaddress mail mailaddress メール メールアドレス eメール eメールアドレス 電子メール',
  externalId: 'externalid id customerid crmid recordid contactid 外部id 顧客id 顧客番号 顧客コード',
  fullName: '氏名 名前 お名前 フルネーム name fullname contactname 担当者名 担当者 ご担当者名',
  firstName: '名 firstname givenname',
  lastName: '姓 苗字 名字 lastname surname familyname',
  fullNameKana: 'フリガナ ふりがな カナ 氏名(カナ) 氏名カナ 氏名(フリガナ) 氏名フリガナ お名前(フリガナ) 名前(カナ) カナ氏名',
  firstNameKana: 'メイ 名(カナ) 名カナ 名(フリガナ) めい',
  lastNameKana: 'セイ 姓(カナ) 姓カナ 姓(フリガナ) せい',
  phone: '電話 電話番号 tel telephone phone phonenumber 代表電話 代表電話番号 会社電話番号',
  mobile: '携帯 携帯電話 携帯番号 携帯電話番号 mobile mobilephone cell cellphone',
  jobTitle: '役職 役職名 肩書 肩書き title jobtitle position',
  roleLevel: '役職レベル rolelevel seniority',
  department: '部署 部署名 所属 所属部署 部門 department division',
  industry: '業種 業界 industry',
  companyName: '会社名 会社 企業名 社名 勤務先 法人名 company companyname organization organisation account accountname',
  companyDomain: '会社ドメイン ドメイン website domain companydomain url ホームページ webサイト',
  employeeCount: '従業員数 社員数 従業員規模 employees employeecount numberofemployees noofemployees companysize',
  country: '国 国名 country',
  region: '都道府県 地域 prefecture state region',
  timezone: 'タイムゾーン timezone tz',
  locale: '言語 locale language',
  owner: '担当営業 営業担当 owner leadowner contactowner',
  tags: 'タグ tags tag',
  lifecycleStage: 'ライフサイクル ライフサイクルステージ ステージ lifecyclestage stage',
};

/** The comparable form of a header. `\s` also removes a stray BOM (U+FEFF) on the first one. */
function normalizeHeader(header: string): string {
  return header
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_\-.]/gu, '');
}

function isContactImportField(value: string): value is ContactImportField {
  return (CONTACT_IMPORT_FIELDS as readonly string[]).includes(value);
}

/** A `custom.<key>` or `custom:<key>` header as a custom-field target, else null. @example customFieldColumn('custom:budget') // { custom: 'budget' } */
export function customFieldColumn(header: string): { custom: string } | null {
  const match = /^custom[.:](.+)$/iu.exec(header.normalize('NFKC').trim());
  const key = match?.[1]?.trim();
  return key ? { custom: key } : null;
}

function overrideTarget(header: string, target: string): ColumnTarget {
  if (target === '' || target === 'ignore') return null;
  if (isContactImportField(target)) return target;
  const custom = customFieldColumn(target);
  if (custom) return custom;
  throw new Error(
    `unknown import field "${target}" for column "${header}": expected one of ${CONTACT_IMPORT_FIELDS.join(', ')}, custom.<key>, or "ignore"`,
  );
}

const targetKey = (target: Exclude<ColumnTarget, null>): string => (typeof target === 'string' ? target : `custom.${target.custom}`);

/**
 * Map CSV headers to contact fields. `overrides` (exact header → field, `custom.<key>`, or
 * `''`/`'ignore'`) win over detection; each field is fed by at most one column, the first.
 * @example mapHeaders(['メールアドレス', '氏名', 'memo']) // { mapping: ['email', 'fullName', null], unmapped: ['memo'] }
 */
export function mapHeaders(headers: string[], overrides: Record<string, string> = {}): HeaderMapping {
  const dictionary = new Map<string, ContactImportField>();
  for (const field of CONTACT_IMPORT_FIELDS) {
    for (const synonym of SYNONYMS[field].split(/\s+/)) dictionary.set(normalizeHeader(synonym), field);
  }
  const overridden = headers.map((header) => (Object.hasOwn(overrides, header) ? overrideTarget(header, overrides[header]!) : undefined));
  // Fields claimed by overrides are taken up front so a detected column cannot steal them.
  const claimedBy = new Map<string, string>();
  overridden.forEach((target, i) => {
    if (!target) return;
    const key = targetKey(target);
    const other = claimedBy.get(key);
    if (other !== undefined) {
      throw new Error(`columns "${other}" and "${headers[i]}" are both mapped to "${key}": map each field from one column only`);
    }
    claimedBy.set(key, headers[i]!);
  });
  const taken = new Set(claimedBy.keys());
  const mapping: ColumnMapping = [];
  const unmapped: string[] = [];
  headers.forEach((header, i) => {
    const override = overridden[i];
    if (override !== undefined) {
      mapping.push(override);
      return;
    }
    const detected = customFieldColumn(header) ?? dictionary.get(normalizeHeader(header)) ?? null;
    if (detected && !taken.has(targetKey(detected))) {
      taken.add(targetKey(detected));
      mapping.push(detected);
    } else {
      mapping.push(null);
      unmapped.push(header);
    }
  });
  return { mapping, unmapped };
}

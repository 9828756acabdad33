/**
 * Synthetic B2B contacts for benchmarks: Japanese and English people at Japanese and English
 * companies, with the final column values they must end up as, so a raw COPY can write the
 * same rows the import writes. Deterministic: the same seed gives the same data.
 */

export interface SyntheticCompany {
  name: string;
  /** What companyNameKey gives for `name`: built alongside it, never computed from it. */
  nameKey: string;
  domain: string;
  employeeCount: number;
  isJapanese: boolean;
}

export interface SyntheticContact {
  email: string;
  /** As written in the 氏名 column. */
  fullName: string;
  firstName: string;
  lastName: string;
  nameOrder: 'given_first' | 'family_first';
  phone: string;
  phoneE164: string;
  jobTitle: string;
  roleLevel: string;
  department: string;
  company: SyntheticCompany;
  /** As written in the 従業員数 column ("1,200名" or "1200"). */
  employeeCountText: string;
}

// [kanji, romaji]
const JP_FAMILY = [
  ['佐藤', 'sato'],
  ['鈴木', 'suzuki'],
  ['高橋', 'takahashi'],
  ['田中', 'tanaka'],
  ['伊藤', 'ito'],
  ['渡辺', 'watanabe'],
  ['山本', 'yamamoto'],
  ['中村', 'nakamura'],
  ['小林', 'kobayashi'],
  ['加藤', 'kato'],
] as const;
const JP_GIVEN = [
  ['太郎', 'taro'],
  ['花子', 'hanako'],
  ['翔太', 'shota'],
  ['陽菜', 'hina'],
  ['健一', 'kenichi'],
  ['美咲', 'misaki'],
  ['大輔', 'daisuke'],
  ['由美', 'yumi'],
] as const;
const EN_GIVEN = ['James', 'Mary', 'Robert', 'Linda', 'Michael', 'Sarah', 'David', 'Emma'];
const EN_FAMILY = ['Smith', 'Johnson', 'Brown', 'Taylor', 'Miller', 'Wilson', 'Clark', 'Walker'];
const JP_STEMS = [
  ['さくら', 'sakura'],
  ['富士', 'fuji'],
  ['東邦', 'toho'],
  ['みらい', 'mirai'],
  ['アオバ', 'aoba'],
] as const;
const JP_TRADES = [
  ['電機', 'denki'],
  ['商事', 'shoji'],
  ['テック', 'tech'],
  ['システムズ', 'systems'],
] as const;
const EN_STEMS = ['Blue Harbor', 'Northwind', 'Silver Peak', 'Red Maple', 'Bright Path'];
const EN_TRADES = ['Labs', 'Systems', 'Trading', 'Software'];
const EN_LEGAL = ['Inc.', 'Co., Ltd.', 'LLC'];
// [title, the role level inferRoleLevel gives it]
const TITLES = [
  ['代表取締役', 'executive'],
  ['営業部長', 'director'],
  ['マーケティング課長', 'manager'],
  ['主任', 'lead'],
  ['営業担当', 'staff'],
  ['VP of Sales', 'executive'],
  ['Head of Marketing', 'director'],
  ['Product Manager', 'manager'],
  ['Senior Engineer', 'lead'],
  ['Marketing Specialist', 'staff'],
] as const;
const DEPARTMENTS = ['営業部', 'マーケティング部', '情報システム部', '経営企画部', 'Sales', 'Marketing', 'Engineering'];
const AREA_CODES = ['3', '6', '52', '90', '80', '70'];

/** mulberry32: a small, fast, seeded PRNG; returns floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `rows` contacts with unique emails spread over rows/20 companies (unique names and domains).
 * @example generateContacts({ rows: 1000 }).contacts.length // 1000
 */
export function generateContacts({ rows, seed = 42 }: { rows: number; seed?: number }): {
  companies: SyntheticCompany[];
  contacts: SyntheticContact[];
} {
  const random = createRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const digits = (count: number) =>
    Array.from({ length: count }, (_, i) => Math.floor(random() * (i === 0 ? 9 : 10)) + (i === 0 ? 1 : 0)).join('');
  const companies = Array.from({ length: Math.max(1, Math.ceil(rows / 20)) }, (_, i) => generateCompany(i, random, pick));
  const contacts = Array.from({ length: rows }, (_, i): SyntheticContact => {
    const company = pick(companies);
    const isJapanese = random() < 0.6;
    const [family, familyRomaji] = isJapanese ? pick(JP_FAMILY) : [pick(EN_FAMILY), ''];
    const [given, givenRomaji] = isJapanese ? pick(JP_GIVEN) : [pick(EN_GIVEN), ''];
    const local = isJapanese ? `${givenRomaji}.${familyRomaji}` : `${given}.${family}`.toLowerCase();
    const area = pick(AREA_CODES);
    // Mobile numbers (070/080/090) have 10 national digits, landlines 9.
    const subscriber = digits(area.length === 2 && area >= '7' ? 8 : 9 - area.length);
    const phone = `0${area}-${subscriber.slice(0, -4)}-${subscriber.slice(-4)}`;
    const [jobTitle, roleLevel] = pick(TITLES);
    return {
      email: `${local}${i}@${company.domain}`,
      fullName: isJapanese ? `${family}\u3000${given}` : `${given} ${family}`,
      firstName: given,
      lastName: family,
      nameOrder: isJapanese ? 'family_first' : 'given_first',
      phone,
      phoneE164: `+81${area}${subscriber}`,
      jobTitle,
      roleLevel,
      department: pick(DEPARTMENTS),
      company,
      employeeCountText: company.isJapanese ? `${company.employeeCount.toLocaleString('en-US')}名` : String(company.employeeCount),
    };
  });
  return { companies, contacts };
}

function generateCompany(index: number, random: () => number, pick: <T>(list: readonly T[]) => T): SyntheticCompany {
  const employeeCount = Math.floor(10 ** (1 + random() * 4));
  if (random() < 0.6) {
    const [stem, stemRomaji] = pick(JP_STEMS);
    const [trade, tradeRomaji] = pick(JP_TRADES);
    const base = `${stem}${trade}${index}`;
    const name = random() < 0.7 ? `株式会社${base}` : `${base}株式会社`;
    return { name, nameKey: base, domain: `${stemRomaji}-${tradeRomaji}${index}.co.jp`, employeeCount, isJapanese: true };
  }
  const base = `${pick(EN_STEMS)} ${pick(EN_TRADES)} ${index}`;
  const nameKey = base.replace(/ /g, '').toLowerCase();
  return { name: `${base} ${pick(EN_LEGAL)}`, nameKey, domain: `${nameKey}.com`, employeeCount, isJapanese: false };
}

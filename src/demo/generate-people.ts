import {
  ENGLISH_COMPANY_STEMS,
  ENGLISH_COMPANY_SUFFIXES,
  ENGLISH_FIRST_NAMES,
  ENGLISH_LAST_NAMES,
  JAPANESE_COMPANY_STEMS,
  JAPANESE_COMPANY_SUFFIXES,
  JAPANESE_FAMILY_NAMES,
  JAPANESE_GIVEN_NAMES,
} from './names.ts';
import type { Random } from './random.ts';
import { TARGET_INDUSTRIES } from './seed-model.ts';

/** How keen a contact is over the window: drives its behaviour, so the funnel has a shape. */
export type Persona = 'hot' | 'warm' | 'cooling' | 'cold';

export interface DemoCompany {
  name: string;
  domain: string;
  industry: string;
  employeeCount: number;
  country: string;
  revenueBand: string;
}

export interface DemoContact {
  /** Position in the generated list: stable for a seed. */
  index: number;
  userId: string;
  company: DemoCompany;
  input: Record<string, unknown>;
  persona: Persona;
  /** The day (0-based) the contact becomes known: 0 for the base imported before the window. */
  joinDay: number;
}

interface Place {
  country: string;
  region: string;
  timezone: string;
  locale: string;
}

const JAPAN: readonly Place[] = [
  { country: 'JP', region: '東京都', timezone: 'Asia/Tokyo', locale: 'ja' },
  { country: 'JP', region: '東京都', timezone: 'Asia/Tokyo', locale: 'ja' },
  { country: 'JP', region: '大阪府', timezone: 'Asia/Tokyo', locale: 'ja' },
  { country: 'JP', region: '神奈川県', timezone: 'Asia/Tokyo', locale: 'ja' },
  { country: 'JP', region: '愛知県', timezone: 'Asia/Tokyo', locale: 'ja' },
  { country: 'JP', region: '福岡県', timezone: 'Asia/Tokyo', locale: 'ja' },
  { country: 'JP', region: '北海道', timezone: 'Asia/Tokyo', locale: 'ja' },
];
const ABROAD: readonly (readonly [Place, number])[] = [
  [{ country: 'US', region: 'NY', timezone: 'America/New_York', locale: 'en-US' }, 2],
  [{ country: 'US', region: 'CA', timezone: 'America/Los_Angeles', locale: 'en-US' }, 2],
  [{ country: 'US', region: 'IL', timezone: 'America/Chicago', locale: 'en-US' }, 1],
  [{ country: 'GB', region: 'England', timezone: 'Europe/London', locale: 'en-GB' }, 2.5],
  [{ country: 'GB', region: 'Scotland', timezone: 'Europe/London', locale: 'en-GB' }, 0.5],
  [{ country: 'AU', region: 'NSW', timezone: 'Australia/Sydney', locale: 'en-AU' }, 1.2],
  [{ country: 'AU', region: 'VIC', timezone: 'Australia/Melbourne', locale: 'en-AU' }, 0.8],
];
const LEGAL_FORM: Record<string, string> = { US: 'Inc.', GB: 'Ltd', AU: 'Pty Ltd' };

/**
 * Employee counts around the seed model's size steps: mostly small firms, a tail of large ones;
 * firms in the target industries (the product's ideal customers) run larger.
 */
function employeeCount(random: Random, industry: string): number {
  const target = isTargetIndustry(industry);
  const band = random.weighted<[number, number]>([
    [[8, 99], target ? 30 : 81],
    [[100, 499], target ? 40 : 15],
    [[500, 999], target ? 17 : 2],
    [[1000, 30_000], target ? 13 : 2],
  ]);
  return random.int(band[0], band[1]);
}

function revenueBand(employees: number, japanese: boolean): string {
  if (japanese) return employees < 100 ? '10億円未満' : employees < 1000 ? '10億〜100億円' : '100億円以上';
  return employees < 100 ? '< $10M' : employees < 1000 ? '$10M–$100M' : '> $100M';
}

const isTargetIndustry = (industry: string) => TARGET_INDUSTRIES.includes(industry);
/** About one company in ten is in the model's target industries: fit alone makes few warm leads. */
const targetWeight = (industry: string) => (isTargetIndustry(industry) ? 0.14 : 1.4);

/** `count` companies, half Japanese (株式会社…) and half English-speaking, with unique names and domains. */
export function generateCompanies(random: Random, count: number): DemoCompany[] {
  const companies: DemoCompany[] = [];
  const used = new Set<string>();
  for (let i = 0; companies.length < count; i++) {
    const japanese = companies.length % 2 === 0;
    if (japanese) {
      const [stem, stemSlug] = random.pick(JAPANESE_COMPANY_STEMS);
      const [suffix, suffixSlug, industry] = random.weighted(JAPANESE_COMPANY_SUFFIXES.map((s) => [s, targetWeight(s[2])] as const));
      const employees = employeeCount(random, industry);
      let slug = `${stemSlug}-${suffixSlug}`;
      // A shared stem and suffix (after the pools run out) is told apart by a place in the name.
      const clash = used.has(slug);
      if (clash) slug = `${slug}-${i}`;
      used.add(slug);
      const name = random.chance(0.8) ? `株式会社${stem}${suffix}${clash ? i : ''}` : `${stem}${suffix}${clash ? i : ''}株式会社`;
      companies.push({
        name,
        domain: `${slug}.example`,
        industry,
        employeeCount: employees,
        country: 'JP',
        revenueBand: revenueBand(employees, true),
      });
    } else {
      const place = random.weighted(ABROAD);
      const stem = random.pick(ENGLISH_COMPANY_STEMS);
      const [suffix, industry] = random.weighted(ENGLISH_COMPANY_SUFFIXES.map((s) => [s, targetWeight(s[1])] as const));
      const employees = employeeCount(random, industry);
      let slug = `${stem}-${suffix}`.toLowerCase().replace(/\s+/g, '');
      const clash = used.has(slug);
      if (clash) slug = `${slug}-${i}`;
      used.add(slug);
      companies.push({
        name: `${stem} ${suffix}${clash ? ` ${i}` : ''} ${LEGAL_FORM[place.country]}`,
        domain: `${slug}.example`,
        industry,
        employeeCount: employees,
        country: place.country,
        revenueBand: revenueBand(employees, false),
      });
    }
  }
  return companies;
}

// [title, level, department]; weights keep staff the largest group, executives the smallest.
const JAPANESE_ROLES: readonly (readonly [readonly [string, string], number])[] = [
  [['代表取締役社長', '経営'], 0.4],
  [['取締役 CTO', '経営'], 0.4],
  [['執行役員 マーケティング本部長', 'マーケティング本部'], 0.4],
  [['マーケティング部 部長', 'マーケティング部'], 0.8],
  [['営業部 部長', '営業部'], 0.8],
  [['情報システム部 部長', '情報システム部'], 0.8],
  [['マーケティング部 課長', 'マーケティング部'], 3],
  [['営業企画課 課長', '営業部'], 3],
  [['デジタル推進室 マネージャー', 'デジタル推進室'], 2.5],
  [['インサイドセールス リーダー', '営業部'], 3],
  [['マーケティング部 主任', 'マーケティング部'], 4],
  [['マーケティング担当', 'マーケティング部'], 28],
  [['営業担当', '営業部'], 28],
  [['情報システム担当', '情報システム部'], 15],
  [['広報担当', '広報部'], 6],
];
const ENGLISH_ROLES: readonly (readonly [readonly [string, string], number])[] = [
  [['CEO', 'Executive'], 0.4],
  [['Chief Marketing Officer', 'Marketing'], 0.4],
  [['VP of Sales', 'Sales'], 0.4],
  [['Director of Marketing', 'Marketing'], 0.8],
  [['Head of Growth', 'Marketing'], 0.8],
  [['IT Director', 'IT'], 0.8],
  [['Marketing Manager', 'Marketing'], 3],
  [['Sales Manager', 'Sales'], 3],
  [['Demand Generation Manager', 'Marketing'], 2.5],
  [['Team Lead, Marketing Operations', 'Marketing'], 3],
  [['Senior Marketing Specialist', 'Marketing'], 4],
  [['Marketing Specialist', 'Marketing'], 28],
  [['Sales Development Representative', 'Sales'], 28],
  [['Systems Analyst', 'IT'], 15],
  [['Marketing Coordinator', 'Marketing'], 6],
];

const BUYING_STAGE: Record<Persona, string> = { hot: 'decision', warm: 'consideration', cooling: 'awareness', cold: 'awareness' };
const PRODUCT_INTERESTS = ['ma', 'crm', 'sfa', 'analytics'] as const;

/** A phone number in E.164 of the country (the reserved fictional ranges where there are any). */
function phoneOf(random: Random, country: string): string {
  const digits = (n: number) => Array.from({ length: n }, () => random.int(0, 9)).join('');
  switch (country) {
    case 'JP': {
      // Tokyo (3) and Osaka (6) numbers half the time, the rest in other cities; 9 digits after +81.
      const area = random.pick(['3', '3', '6', '52', '92', '45']);
      return `+81${area}${random.int(2, 9)}${digits(8 - area.length)}`;
    }
    case 'US':
      return `+1${random.pick(['212', '415', '312'])}5550${digits(3)}`;
    case 'GB':
      return `+4420794600${digits(2)}`;
    default:
      return `+6125550${digits(4)}`;
  }
}

function personaOf(random: Random, company: DemoCompany, level: number): Persona {
  // Fit drives intent: the ideal customer (large, target industry, senior) is the likeliest to be hot.
  const fit = (company.employeeCount >= 100 ? 1 : 0) + (isTargetIndustry(company.industry) ? 1 : 0) + (level >= 2 ? 1 : 0);
  return random.weighted<Persona>([
    ['hot', 0.5 + fit * fit],
    ['warm', 5 + fit * 3],
    ['cooling', 10],
    ['cold', 76 - fit * 3],
  ]);
}

/**
 * `count` contacts spread over the companies, half Japanese (漢字 names with katakana readings,
 * family name first, ja, Asia/Tokyo, +81) and half English-speaking. About 70% are known before
 * the window opens; the rest arrive on a day within it.
 */
export function generateContacts(random: Random, companies: readonly DemoCompany[], count: number, days: number): DemoContact[] {
  const contacts: DemoContact[] = [];
  const emails = new Set<string>();
  for (let index = 0; index < count; index++) {
    const company = companies[index % companies.length]!;
    const japanese = company.country === 'JP';
    const place = japanese ? random.pick(JAPAN) : { ...random.weighted(ABROAD.filter(([p]) => p.country === company.country)) };
    const [[jobTitle, department], level] = ((): [readonly [string, string], number] => {
      const roles = japanese ? JAPANESE_ROLES : ENGLISH_ROLES;
      // Sales prospects the target-industry accounts for the people who buy: more managers there.
      const senior = isTargetIndustry(company.industry) ? 4 : 1;
      const role = random.weighted(roles.map(([r, w], i) => [r, i < 9 ? w * senior : w] as const));
      const position = roles.findIndex(([r]) => r === role);
      return [role, position < 3 ? 4 : position < 6 ? 3 : position < 9 ? 2 : position < 11 ? 1 : 0];
    })();
    let input: Record<string, unknown>;
    let local: string;
    if (japanese) {
      const [family, familyKana, familyRomaji] = random.pick(JAPANESE_FAMILY_NAMES);
      const [given, givenKana, givenRomaji] = random.pick(JAPANESE_GIVEN_NAMES);
      local = random.chance(0.6) ? `${givenRomaji}.${familyRomaji}` : `${familyRomaji}.${givenRomaji[0]}`;
      input = { lastName: family, firstName: given, lastNameKana: familyKana, firstNameKana: givenKana, nameOrder: 'family_first' };
    } else {
      const first = random.pick(ENGLISH_FIRST_NAMES);
      const last = random.pick(ENGLISH_LAST_NAMES);
      local = random.chance(0.6) ? `${first}.${last}`.toLowerCase() : `${first[0]}${last}`.toLowerCase();
      input = { firstName: first, lastName: last, nameOrder: 'given_first' };
    }
    let email = `${local}@${company.domain}`;
    for (let n = 2; emails.has(email); n++) email = `${local}${n}@${company.domain}`;
    emails.add(email);
    const userId = `demo-${String(index + 1).padStart(5, '0')}`;
    const joinDay = random.chance(0.7) ? 0 : random.int(1, Math.max(1, days - 1));
    const interests = PRODUCT_INTERESTS.filter(() => random.chance(0.35));
    const persona = personaOf(random, company, level);
    contacts.push({
      index,
      userId,
      company,
      persona,
      joinDay,
      input: {
        email,
        externalIds: { user_id: userId },
        ...input,
        phone: phoneOf(random, place.country),
        jobTitle,
        department,
        companyName: company.name,
        country: place.country,
        region: place.region,
        timezone: place.timezone,
        locale: place.locale,
        tags: joinDay === 0 ? ['demo', 'imported'] : ['demo'],
        custom: {
          lead_source:
            joinDay === 0
              ? random.pick(['trade_show', 'list_import', 'referral'])
              : random.pick(['organic', 'paid_search', 'social', 'referral']),
          ...(interests.length ? { product_interest: interests } : {}),
          buying_stage: BUYING_STAGE[persona],
        },
      },
    });
  }
  return contacts;
}

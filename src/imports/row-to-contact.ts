import { ROLE_LEVELS, type RoleLevel } from '../contacts/cleansing/infer-role-level.ts';
import { normalizeText } from '../contacts/cleansing/normalize-text.ts';
import { splitFullName } from '../contacts/cleansing/split-name.ts';
import type { ContactInput } from '../contacts/contact-schema.ts';
import type { FieldIssue } from '../platform/errors.ts';
import type { ColumnMapping } from './csv/map-headers.ts';

export interface RowConversion {
  input: ContactInput;
  companyDomain: string | null;
  warnings: FieldIssue[];
}

const COUNTRY_NAMES: Record<string, string> = {
  japan: 'JP',
  日本: 'JP',
  日本国: 'JP',
  'united states': 'US',
  usa: 'US',
  アメリカ: 'US',
  米国: 'US',
  'united kingdom': 'GB',
  uk: 'GB',
  イギリス: 'GB',
  china: 'CN',
  中国: 'CN',
  korea: 'KR',
  'south korea': 'KR',
  韓国: 'KR',
  taiwan: 'TW',
  台湾: 'TW',
  singapore: 'SG',
  シンガポール: 'SG',
  germany: 'DE',
  ドイツ: 'DE',
  france: 'FR',
  フランス: 'FR',
};

/**
 * Turns one CSV record into a contact write (pure): splits 氏名 into 姓/名, reads employee
 * counts like "1,200名" or "100-499", splits tags, maps country names to ISO codes.
 */
export function rowToContact(
  cells: string[],
  mapping: ColumnMapping,
  { externalIdSource = 'import' }: { externalIdSource?: string } = {},
): RowConversion {
  const input: ContactInput = {};
  const custom: Record<string, string> = {};
  const warnings: FieldIssue[] = [];
  const values = new Map<string, string>();
  mapping.forEach((target, column) => {
    // Control characters (a NUL from a UTF-16 export, a stray form feed) cannot be stored in a text column.
    const cell = normalizeText(cells[column]?.replace(/\p{Cc}/gu, ' '));
    if (target === null || cell === null) return;
    if (typeof target === 'object') custom[target.custom] = cell;
    else values.set(target, cell);
  });
  const get = (field: string) => values.get(field);

  if (get('email')) input.email = get('email');
  if (get('externalId')) input.externalIds = { [externalIdSource]: get('externalId')! };
  for (const field of [
    'firstName',
    'lastName',
    'firstNameKana',
    'lastNameKana',
    'jobTitle',
    'department',
    'industry',
    'companyName',
    'region',
    'timezone',
    'locale',
    'owner',
    'lifecycleStage',
  ] as const) {
    if (get(field)) input[field] = get(field);
  }
  if (get('fullName') && !input.firstName && !input.lastName) {
    const name = splitFullName(get('fullName')!);
    input.lastName = name.lastName;
    input.firstName = name.firstName;
    input.nameOrder = name.nameOrder;
  }
  if (get('fullNameKana') && !input.firstNameKana && !input.lastNameKana) {
    const kana = splitFullName(get('fullNameKana')!);
    input.lastNameKana = kana.lastName;
    input.firstNameKana = kana.firstName;
  }
  const phone = get('phone');
  const mobile = get('mobile');
  input.phone = phone ?? mobile;
  if (phone && mobile && phone !== mobile)
    warnings.push({ path: 'mobile', message: `a second number (${mobile}) was not stored: a contact keeps one phone` });
  if (input.phone === undefined) delete input.phone;
  if (get('roleLevel')) {
    const level = get('roleLevel')!.toLowerCase();
    if ((ROLE_LEVELS as readonly string[]).includes(level)) input.roleLevel = level as RoleLevel;
    else warnings.push({ path: 'roleLevel', message: `expected one of ${ROLE_LEVELS.join(', ')}; inferred from the job title instead` });
  }
  if (get('employeeCount')) {
    const count = parseEmployeeCount(get('employeeCount')!);
    if (count === null)
      warnings.push({
        path: 'employeeCount',
        message: `expected a number of employees such as 1200 or 100-499, got "${get('employeeCount')}"`,
      });
    else input.employeeCount = count;
  }
  if (get('country')) {
    const raw = get('country')!;
    const code = /^[A-Za-z]{2}$/.test(raw) ? raw.toUpperCase() : COUNTRY_NAMES[raw.toLowerCase()];
    if (code) input.country = code;
    else warnings.push({ path: 'country', message: `expected an ISO country code such as JP, got "${raw}"` });
  }
  if (get('tags'))
    input.tags = get('tags')!
      .split(/[;,、|]/)
      .map((t) => t.trim())
      .filter(Boolean);
  if (Object.keys(custom).length) input.custom = custom;
  return { input, companyDomain: get('companyDomain') ?? null, warnings };
}

const UNITS: Record<string, number> = { 千: 1_000, 万: 10_000, 億: 100_000_000 };
// employee_count is a PostgreSQL integer: a larger value would fail the whole batch, not just this cell.
const MAX_EMPLOYEES = 2_147_483_647;

/** "1,200名" → 1200; "1.2万人" → 12000; "100-499" and "100〜499人" → 100 (the lower bound); "1000人以上" → 1000. */
export function parseEmployeeCount(text: string): number | null {
  const match = /(\d[\d,]*(?:\.\d+)?)(千|万|億)?/u.exec(text.replace(/\s/g, ''));
  if (!match) return null;
  const count = Math.round(Number(match[1]!.replace(/,/g, '')) * (UNITS[match[2] ?? ''] ?? 1));
  return count <= MAX_EMPLOYEES ? count : null;
}

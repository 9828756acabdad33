import type { ContactsTable } from '../platform/db/schema.ts';
import type { FieldIssue } from '../platform/errors.ts';
import { isTimeZone } from '../platform/time-zone.ts';
import { cleanCompanyName } from './cleansing/company-name.ts';
import { inferRoleLevel } from './cleansing/infer-role-level.ts';
import { normalizeEmail } from './cleansing/normalize-email.ts';
import { normalizePhone } from './cleansing/normalize-phone.ts';
import { normalizeText } from './cleansing/normalize-text.ts';
import { isJapaneseName } from './cleansing/split-name.ts';
import type { ContactInput } from './contact-schema.ts';
import { type CustomField, type CustomValue, validateCustomValues } from './custom-fields.ts';

/** Contact columns a write may set directly (email, tags, custom and company are handled apart). */
export type ContactFields = Partial<
  Pick<
    ContactsTable,
    | 'first_name'
    | 'last_name'
    | 'first_name_kana'
    | 'last_name_kana'
    | 'phone'
    | 'job_title'
    | 'role_level'
    | 'department'
    | 'industry'
    | 'company_name'
    | 'employee_count'
    | 'country'
    | 'region'
    | 'timezone'
    | 'locale'
    | 'owner'
    | 'lifecycle_stage'
    | 'first_seen_at'
    | 'last_seen_at'
  > & {
    name_order: 'given_first' | 'family_first';
    first_touch: Record<string, unknown> | null;
    last_touch: Record<string, unknown> | null;
  }
>;

/** A contact write after cleansing and validation: only the keys the input provided are present. */
export interface PreparedContact {
  /** undefined: not given; null: clear (PATCH only). */
  email?: string | null;
  fields: ContactFields;
  externalIds: Record<string, string>;
  tags?: string[];
  custom: Record<string, CustomValue>;
  /** Raw traits from tracking clients, merged per key into the contact's traits bag. */
  traits?: Record<string, unknown>;
  company: { id?: string | null; domain?: string | null };
  warnings: FieldIssue[];
}

export interface PrepareOptions {
  defaultRegion: string;
  customFields: readonly CustomField[];
  /** Imports keep an unparseable phone as written (with a warning) instead of rejecting the row. */
  lenientPhone?: boolean;
  /** Imports read custom values from text cells ("yes", "1,200", "a;b"). */
  coerceCustomText?: boolean;
  /** A domain for company matching that the source knows better than the email (import column). */
  companyDomain?: string | null;
}

const TEXT_FIELDS = [
  ['firstName', 'first_name'],
  ['lastName', 'last_name'],
  ['firstNameKana', 'first_name_kana'],
  ['lastNameKana', 'last_name_kana'],
  ['jobTitle', 'job_title'],
  ['department', 'department'],
  ['industry', 'industry'],
  ['region', 'region'],
  ['locale', 'locale'],
  ['owner', 'owner'],
  ['lifecycleStage', 'lifecycle_stage'],
] as const;

/**
 * Cleanses and validates one contact write (pure): NFKC text, normalised email and E.164
 * phone, inferred role level and name order, custom values checked against their declarations.
 * @returns the prepared write, or the issues that reject it (nothing may be written then).
 */
export function prepareContact(
  input: ContactInput,
  options: PrepareOptions,
): { ok: true; value: PreparedContact } | { ok: false; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const warnings: FieldIssue[] = [];
  const fields: ContactFields = {};
  const prepared: PreparedContact = { fields, externalIds: {}, custom: {}, company: {}, warnings };

  if (input.email !== undefined) {
    if (input.email === null || normalizeText(input.email) === null) prepared.email = null;
    else {
      const result = normalizeEmail(input.email);
      if (!result.ok) issues.push({ path: 'email', message: result.reason });
      else {
        prepared.email = result.email;
        for (const warning of result.warnings) warnings.push({ path: 'email', message: EMAIL_WARNINGS[warning] });
      }
    }
  }
  for (const [key, column] of TEXT_FIELDS) {
    if (input[key] !== undefined) fields[column] = normalizeText(input[key]);
  }
  if (input.nameOrder) fields.name_order = input.nameOrder;
  else if (isJapaneseName(`${fields.last_name ?? ''}${fields.first_name ?? ''}`)) fields.name_order = 'family_first';
  else if (fields.last_name || fields.first_name) fields.name_order = 'given_first';

  if (input.phone !== undefined) {
    const raw = normalizeText(input.phone);
    if (raw === null) fields.phone = null;
    else {
      const result = normalizePhone(raw, options.defaultRegion);
      if (result.ok) fields.phone = result.e164;
      else if (options.lenientPhone) {
        fields.phone = raw;
        warnings.push({ path: 'phone', message: `${result.reason}; kept as written` });
      } else issues.push({ path: 'phone', message: result.reason });
    }
  }
  if (input.roleLevel !== undefined) fields.role_level = input.roleLevel;
  else if (fields.job_title) {
    const inferred = inferRoleLevel(fields.job_title);
    if (inferred) fields.role_level = inferred;
  }
  if (input.companyName !== undefined)
    fields.company_name = input.companyName === null ? null : cleanCompanyName(input.companyName) || null;
  if (input.companyId !== undefined) prepared.company.id = input.companyId;
  if (options.companyDomain !== undefined) prepared.company.domain = options.companyDomain;
  if (input.employeeCount !== undefined) fields.employee_count = input.employeeCount;
  if (input.country !== undefined) fields.country = input.country?.toUpperCase() ?? null;
  if (input.timezone !== undefined) {
    if (input.timezone !== null && !isTimeZone(input.timezone))
      issues.push({ path: 'timezone', message: `expected an IANA time zone such as Asia/Tokyo, got "${input.timezone}"` });
    else fields.timezone = input.timezone;
  }
  if (input.firstTouch !== undefined) fields.first_touch = input.firstTouch;
  if (input.lastTouch !== undefined) fields.last_touch = input.lastTouch;
  if (input.firstSeenAt !== undefined) fields.first_seen_at = input.firstSeenAt === null ? null : new Date(input.firstSeenAt);
  if (input.lastSeenAt !== undefined) fields.last_seen_at = input.lastSeenAt === null ? null : new Date(input.lastSeenAt);
  if (input.tags !== undefined)
    prepared.tags = [...new Set(input.tags.map((t) => normalizeText(t)).filter((t): t is string => t !== null))];
  if (input.externalIds) prepared.externalIds = { ...input.externalIds };
  if (input.custom) {
    const custom = validateCustomValues(options.customFields, input.custom, { coerceStrings: options.coerceCustomText });
    issues.push(...custom.issues);
    prepared.custom = custom.values;
  }
  return issues.length ? { ok: false, issues } : { ok: true, value: prepared };
}

const EMAIL_WARNINGS = {
  role_account: 'a role account (info@, sales@ …): it reaches a team, not a person',
  disposable_domain: 'a disposable email domain: the address may stop working soon',
} as const;

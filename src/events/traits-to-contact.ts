import { splitFullName } from '../contacts/cleansing/split-name.ts';
import type { ContactInput } from '../contacts/contact-schema.ts';
import type { CustomField } from '../contacts/custom-fields.ts';
import { validateCustomValues } from '../contacts/custom-fields.ts';

export interface TraitsConversion {
  input: ContactInput;
  /** Traits that are neither contact fields nor valid declared custom fields: kept raw. */
  raw: Record<string, unknown>;
}

const TEXT_TRAITS: Record<string, keyof ContactInput> = {
  firstName: 'firstName',
  first_name: 'firstName',
  lastName: 'lastName',
  last_name: 'lastName',
  firstNameKana: 'firstNameKana',
  lastNameKana: 'lastNameKana',
  phone: 'phone',
  title: 'jobTitle',
  jobTitle: 'jobTitle',
  job_title: 'jobTitle',
  department: 'department',
  industry: 'industry',
  timezone: 'timezone',
  locale: 'locale',
};

/**
 * Maps Segment traits (the spec's reserved names and our own field names) to a contact write
 * (pure). Declared custom fields are validated; anything else, or a value of the wrong type,
 * stays in the raw traits bag — a trait is never dropped.
 */
export function traitsToContact(traits: Record<string, unknown>, customFields: readonly CustomField[]): TraitsConversion {
  const input: ContactInput = {};
  const raw: Record<string, unknown> = {};
  const declared = new Set(customFields.map((f) => f.key));
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(traits)) {
    if (value === undefined) continue;
    const field = TEXT_TRAITS[key];
    if (field && (typeof value === 'string' || value === null)) (input as Record<string, unknown>)[field] = value;
    else if (key === 'email' && typeof value === 'string') input.email = value;
    else if (key === 'name' && typeof value === 'string') Object.assign(input, nameParts(value));
    else if (key === 'company') Object.assign(input, companyParts(value, raw));
    else if ((key === 'employees' || key === 'employeeCount') && Number.isInteger(Number(value)) && Number(value) >= 0)
      input.employeeCount = Number(value);
    else if (key === 'address' && value && typeof value === 'object') Object.assign(input, addressParts(value as Record<string, unknown>));
    else if (key === 'tags' && Array.isArray(value) && value.every((t) => typeof t === 'string')) input.tags = value as string[];
    else if (declared.has(key)) custom[key] = value;
    else raw[key] = value;
  }
  const checked = validateCustomValues(customFields, custom);
  if (Object.keys(checked.values).length) input.custom = checked.values;
  for (const issue of checked.issues) {
    const key = issue.path.replace(/^custom\./, '');
    raw[key] = custom[key];
  }
  return { input, raw };
}

function nameParts(name: string): Partial<ContactInput> {
  const parts = splitFullName(name);
  return { firstName: parts.firstName, lastName: parts.lastName, nameOrder: parts.nameOrder };
}

function companyParts(value: unknown, raw: Record<string, unknown>): Partial<ContactInput> {
  if (typeof value === 'string') return { companyName: value };
  if (value && typeof value === 'object') {
    const company = value as Record<string, unknown>;
    raw.company = company;
    const out: Partial<ContactInput> = {};
    if (typeof company.name === 'string') out.companyName = company.name;
    if (typeof company.industry === 'string') out.industry = company.industry;
    const employees = Number(company.employee_count ?? company.employees);
    if (Number.isInteger(employees) && employees >= 0) out.employeeCount = employees;
    return out;
  }
  return {};
}

function addressParts(address: Record<string, unknown>): Partial<ContactInput> {
  const out: Partial<ContactInput> = {};
  if (typeof address.country === 'string' && /^[A-Za-z]{2}$/.test(address.country)) out.country = address.country;
  if (typeof address.state === 'string') out.region = address.state;
  return out;
}

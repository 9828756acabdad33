import { describe, expect, it } from 'vitest';
import { type CustomField, validateCustomValues } from './custom-fields.ts';

const field = (key: string, type: CustomField['type'], options: string[] = []): CustomField => ({
  entity: 'contact',
  key,
  label: key,
  type,
  options,
  createdAt: new Date(),
});
const fields = [
  field('budget', 'number'),
  field('trial', 'boolean'),
  field('renewal', 'date'),
  field('plan', 'enum', ['free', 'pro']),
  field('topics', 'multi_enum', ['ma', 'crm']),
];

describe('validateCustomValues', () => {
  it('accepts typed values, and reads text cells when asked (imports)', () => {
    expect(validateCustomValues(fields, { budget: 1200, trial: true, renewal: '2026-03-31', plan: 'pro', topics: ['ma'] })).toEqual({
      values: { budget: 1200, trial: true, renewal: '2026-03-31', plan: 'pro', topics: ['ma'] },
      issues: [],
    });
    expect(
      validateCustomValues(fields, { budget: '1,200', trial: 'はい', renewal: '2026/03/31', topics: 'ma;crm' }, { coerceStrings: true })
        .values,
    ).toEqual({
      budget: 1200,
      trial: true,
      renewal: '2026-03-31',
      topics: ['ma', 'crm'],
    });
  });

  it('names each wrong value, including dates that do not exist', () => {
    const { issues } = validateCustomValues(fields, { budget: 'lots', renewal: '2024-02-31', plan: 'gold', shoe: 42 });
    expect(issues.map((i) => i.path)).toEqual(['custom.budget', 'custom.renewal', 'custom.plan', 'custom.shoe']);
  });
});

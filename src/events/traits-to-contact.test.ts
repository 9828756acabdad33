import { describe, expect, it } from 'vitest';
import type { CustomField } from '../contacts/custom-fields.ts';
import { traitsToContact } from './traits-to-contact.ts';

const fields: CustomField[] = [
  { entity: 'contact', key: 'plan', label: 'Plan', type: 'enum', options: ['free', 'pro'], createdAt: new Date() },
];

describe('traitsToContact', () => {
  it('maps the spec’s reserved traits and our own field names', () => {
    const { input, raw } = traitsToContact(
      {
        email: 'Taro@Example.jp',
        name: '山田 太郎',
        title: '部長',
        phone: '03-1234-5678',
        company: { name: '(株)サンプル', employee_count: 250, plan: 'enterprise' },
        address: { country: 'JP', state: '東京都', city: '千代田区' },
        plan: 'pro',
        favouriteColour: 'blue',
      },
      fields,
    );
    expect(input).toEqual({
      email: 'Taro@Example.jp',
      lastName: '山田',
      firstName: '太郎',
      nameOrder: 'family_first',
      jobTitle: '部長',
      phone: '03-1234-5678',
      companyName: '(株)サンプル',
      employeeCount: 250,
      country: 'JP',
      region: '東京都',
      custom: { plan: 'pro' },
    });
    expect(raw).toEqual({ favouriteColour: 'blue', company: { name: '(株)サンプル', employee_count: 250, plan: 'enterprise' } });
  });

  it('keeps a declared custom field of the wrong type in the raw bag instead of dropping it', () => {
    const { input, raw } = traitsToContact({ plan: 'platinum', title: 42 }, fields);
    expect(input.custom).toBeUndefined();
    expect(raw).toEqual({ plan: 'platinum', title: 42 });
  });
});

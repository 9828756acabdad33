import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';

const database = useTestDatabase();

describe('contacts API', () => {
  it('creates a contact with cleansed values and reads it back', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current);
    const res = await app.request('/api/contacts', {
      key: ws.adminKey,
      json: {
        email: ' Taro.Yamada@Example.CO.JP ',
        lastName: '山田',
        firstName: '太郎',
        phone: '03-1234-5678',
        jobTitle: '営業部長',
        companyName: '(株)サンプル',
      },
    });
    expect(res.status).toBe(201);
    const contact = await res.json();
    expect(contact).toMatchObject({
      email: 'taro.yamada@example.co.jp',
      fullName: '山田 太郎',
      nameOrder: 'family_first',
      phone: '+81312345678',
      roleLevel: 'director',
      companyName: '株式会社サンプル',
    });
    expect(contact.companyId).toBeTruthy();
    const again = await app.request(`/api/contacts/${contact.id}`, { key: ws.readKey });
    expect(await again.json()).toEqual(contact);
  });
});

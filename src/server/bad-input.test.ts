import { describe, expect, it } from 'vitest';
import { countWorkspaceRows, useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from './test-app.ts';

const database = useTestDatabase();

interface Case {
  name: string;
  method?: string;
  path: string;
  body?: string;
  json?: unknown;
  contentType?: string;
  status: number;
  /** The field path the problem must name ('' when the problem is the request as a whole). */
  field: string | null;
}

const big = 'x'.repeat(70_000);

const CASES: Case[] = [
  {
    name: 'malformed JSON',
    path: '/api/contacts',
    body: '{"email": "a@example.com",',
    contentType: 'application/json',
    status: 400,
    field: 'body',
  },
  {
    name: 'wrong type',
    path: '/api/contacts',
    json: { email: 'a@example.com', employeeCount: 'many' },
    status: 400,
    field: 'employeeCount',
  },
  { name: 'wrong type in a list', path: '/api/contacts', json: { email: 'a@example.com', tags: ['ok', 7] }, status: 400, field: 'tags.1' },
  { name: 'unknown field', path: '/api/contacts', json: { email: 'a@example.com', favouriteColour: 'blue' }, status: 400, field: '' },
  {
    name: 'unknown custom field',
    path: '/api/contacts',
    json: { email: 'a@example.com', custom: { shoe_size: 42 } },
    status: 400,
    field: 'custom.shoe_size',
  },
  {
    name: 'custom value of the wrong type',
    path: '/api/contacts',
    json: { email: 'a@example.com', custom: { budget: 'lots' } },
    status: 400,
    field: 'custom.budget',
  },
  {
    name: 'custom enum value not allowed',
    path: '/api/contacts',
    json: { email: 'a@example.com', custom: { plan: 'platinum' } },
    status: 400,
    field: 'custom.plan',
  },
  { name: 'invalid email', path: '/api/contacts', json: { email: 'taro@@example' }, status: 400, field: 'email' },
  { name: 'invalid phone', path: '/api/contacts', json: { email: 'a@example.com', phone: '12' }, status: 400, field: 'phone' },
  {
    name: 'invalid time zone',
    path: '/api/contacts',
    json: { email: 'a@example.com', timezone: 'Mars/Olympus' },
    status: 400,
    field: 'timezone',
  },
  { name: 'neither email nor external id', path: '/api/contacts', json: { firstName: 'Taro' }, status: 400, field: 'email' },
  { name: 'oversize body', path: '/api/contacts', json: { email: 'a@example.com', jobTitle: big }, status: 413, field: 'body' },
  {
    name: 'not JSON at all',
    path: '/api/contacts',
    body: 'email=a@example.com',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    field: null,
  },
  {
    name: 'bulk: one bad row rejects nothing else but is named',
    path: '/api/contacts/bulk',
    json: { contacts: Array.from({ length: 1001 }, (_, i) => ({ email: `r${i}@example.com` })) },
    status: 400,
    field: 'contacts',
  },
  { name: 'company without name', path: '/api/companies', json: { domain: 'example.com' }, status: 400, field: 'name' },
  {
    name: 'company with a bad domain',
    path: '/api/companies',
    json: { name: 'Acme', domain: 'not a domain' },
    status: 400,
    field: 'domain',
  },
  {
    name: 'patch with a bad id',
    method: 'PATCH',
    path: '/api/contacts/not-a-uuid',
    json: { firstName: 'x' },
    status: 400,
    field: 'path.id',
  },
  { name: 'list with a bad limit', method: 'GET', path: '/api/contacts?limit=0', status: 400, field: 'query.limit' },
  { name: 'list with a forged cursor', method: 'GET', path: '/api/contacts?cursor=abc', status: 400, field: 'cursor' },
  {
    name: 'custom field with a bad key',
    path: '/api/custom-fields',
    json: { key: 'Bad Key', label: 'x', type: 'text' },
    status: 400,
    field: 'key',
  },
  {
    name: 'enum custom field without options',
    path: '/api/custom-fields',
    json: { key: 'tier', label: 'x', type: 'enum' },
    status: 400,
    field: 'options',
  },
  {
    name: 'a NUL character in text',
    path: '/api/contacts',
    json: { email: 'a@example.com', firstName: 'Ta\u0000ro' },
    status: 400,
    field: 'firstName',
  },
  {
    name: 'a NUL character inside a JSON value',
    path: '/api/contacts',
    json: { email: 'a@example.com', firstTouch: { source: 'x\u0000' } },
    status: 400,
    field: 'body',
  },
  {
    name: 'an employee count beyond any company',
    path: '/api/contacts',
    json: { email: 'a@example.com', employeeCount: 3e9 },
    status: 400,
    field: 'employeeCount',
  },
  {
    name: 'a date in year zero',
    path: '/api/contacts',
    json: { email: 'a@example.com', lastSeenAt: '0000-01-01T00:00:00Z' },
    status: 400,
    field: 'body',
  },
  {
    name: 'a cursor whose id is not a uuid',
    method: 'GET',
    path: `/api/contacts?cursor=${Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'nope'])).toString('base64url')}`,
    status: 400,
    field: 'cursor',
  },
  { name: 'API key with an unknown scope', path: '/api/keys', json: { name: 'x', scope: 'root' }, status: 400, field: 'scope' },
];

describe('bad input', () => {
  it.each(CASES)('$name → $status naming "$field", nothing written', async (testCase) => {
    const app = createTestApp(database.current, { maxBodyBytes: 64 * 1024 });
    const ws = await createTestWorkspace(database.current, app.clock);
    await app.request('/api/custom-fields', { key: ws.adminKey, json: { key: 'budget', label: 'Budget', type: 'number' } });
    await app.request('/api/custom-fields', {
      key: ws.adminKey,
      json: { key: 'plan', label: 'Plan', type: 'enum', options: ['free', 'pro'] },
    });
    const before = await counts(ws.workspaceId);

    const res = await app.request(testCase.path, {
      method: testCase.method ?? 'POST',
      key: ws.adminKey,
      json: testCase.json,
      body: testCase.body,
      headers: testCase.contentType ? { 'content-type': testCase.contentType } : {},
    });
    expect(res.status).toBe(testCase.status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = await res.json();
    expect(problem).toMatchObject({ status: testCase.status, type: expect.stringMatching(/^urn:kizuna:problem:/) });
    expect(problem.detail.length).toBeGreaterThan(10);
    if (testCase.field !== null) expect(problem.errors.map((e: { path: string }) => e.path)).toContain(testCase.field);
    expect(await counts(ws.workspaceId)).toEqual(before);
  });

  it('a bulk upsert writes the valid rows and names each rejected one', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current, app.clock);
    const res = await app.request('/api/contacts/bulk', {
      key: ws.adminKey,
      json: { contacts: [{ email: 'ok@example.com' }, { email: 'broken@' }, { email: 'OK@example.com', lastName: 'Same person' }] },
    });
    expect(res.status).toBe(200);
    const { results } = await res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['created', 'rejected', 'merged']);
    expect(results[1].errors[0].path).toBe('contacts.1.email');
    expect(results[2].into).toBe(0);
    expect((await counts(ws.workspaceId)).contacts).toBe(1);
  });
});

async function counts(workspaceId: string) {
  const n = await countWorkspaceRows(database.current, workspaceId, ['contacts', 'companies', 'custom_fields', 'api_keys'] as const);
  return { contacts: n.contacts, companies: n.companies, customFields: n.custom_fields, keys: n.api_keys };
}

import { describe, expect, it } from 'vitest';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { type ImportIssue, type ImportOptions, importContacts } from './import-contacts.ts';
import { messyContactsShiftJis } from './messy-fixture.ts';
import { snapshotWorkspace } from './workspace-snapshot.ts';

const database = useTestDatabase();

/** Runs an import and keeps the report rows every batch hands over. */
async function importCollecting(options: Omit<ImportOptions, 'db' | 'onBatch'>) {
  const issues: ImportIssue[] = [];
  const result = await importContacts({ ...options, db: database.current.db, onBatch: (batch) => void issues.push(...batch.issues) });
  return { ...result, issues };
}

const mergedInto = (line: number) =>
  expect.stringMatching(new RegExp(`^the same person as line ${line}: merged into contact [0-9a-f-]{36}$`));
const badEmail = (value: string) => `not a valid email address: expected name@domain.tld, got "${value}"`;

const EXPECTED_ISSUES = [
  { line: 4, kind: 'merged', field: null, message: mergedInto(3), value: null },
  { line: 9, kind: 'rejected', field: 'email', message: badEmail('foo@'), value: 'foo@' },
  { line: 10, kind: 'rejected', field: 'email', message: badEmail('bar@@x.jp'), value: 'bar@@x.jp' },
  { line: 11, kind: 'rejected', field: 'email', message: badEmail('no-at-sign'), value: 'no-at-sign' },
  {
    line: 12,
    kind: 'warning',
    field: 'phone',
    message: 'not a valid phone number for region JP: expected e.g. 090-1234-5678 or +81 90 1234 5678; kept as written',
    value: '12345',
  },
  {
    line: 13,
    kind: 'warning',
    field: 'email',
    message: 'a role account (info@, sales@ …): it reaches a team, not a person',
    value: 'info@sample.jp',
  },
  {
    line: 14,
    kind: 'rejected',
    field: 'email',
    message: 'expected an email address or an external id to identify the contact',
    value: null,
  },
  { line: 15, kind: 'merged', field: null, message: mergedInto(2), value: null },
];

const person = {
  first_name: null,
  last_name: null,
  first_name_kana: null,
  last_name_kana: null,
  name_order: 'family_first',
  phone: null,
  job_title: null,
  role_level: null,
  department: null,
  industry: null,
  employee_count: null,
  tags: [],
  company: 'サンプル',
};

// Ordered by email. `company` is the name_key of the linked company.
const EXPECTED_CONTACTS = [
  {
    ...person,
    email: 'hanako.sato@example.co.jp',
    ...{ last_name: '佐藤', first_name: '花子', last_name_kana: 'サトウ', first_name_kana: 'ハナコ' },
    ...{ phone: '+819012345678', job_title: '課長', role_level: 'manager', department: 'マーケティング部', industry: 'IT' },
    ...{ company_name: '株式会社サンプル', employee_count: 1200, tags: ['ウェビナー', '展示会'] },
  },
  {
    ...person,
    email: 'ichiro.suzuki@sample.jp',
    ...{ last_name: '鈴木', first_name: '一郎', last_name_kana: 'スズキ', first_name_kana: 'イチロウ' },
    ...{ phone: '+819087654321', job_title: '代表取締役社長', role_level: 'executive', department: '経営企画室 (兼)営業本部' },
    ...{ company_name: 'サンプル株式会社', employee_count: 12000 },
  },
  { ...person, email: 'info@sample.jp', name_order: 'given_first', company_name: '株式会社サンプル' },
  {
    ...person,
    email: 'jiro.tanaka@example.co.jp',
    ...{ last_name: '田中', first_name: '次郎', phone: '12345', job_title: '主任', role_level: 'lead', company_name: 'サンプル株式会社' },
  },
  {
    ...person,
    email: 'john.smith@acme.com',
    ...{ first_name: 'John', last_name: 'Smith', name_order: 'given_first', phone: '+81398765432' },
    ...{ job_title: 'Senior Engineer', role_level: 'lead', department: 'Engineering', employee_count: 50 },
    ...{ company_name: 'Acme Co., Ltd.', company: 'acme' },
  },
  {
    ...person,
    email: 'taro@example.co.jp',
    ...{ last_name: '山田', first_name: '太郎', last_name_kana: 'ヤマダ', first_name_kana: 'タロウ' },
    ...{ phone: '+81312345678', job_title: '営業部長', role_level: 'director', department: '営業部', industry: 'IT' },
    ...{ company_name: '株式会社サンプル', employee_count: 1200, tags: ['展示会', 'VIP'] },
  },
];

async function storedContacts(workspaceId: string) {
  return database.current.db
    .selectFrom('contacts')
    .leftJoin('companies', 'companies.id', 'contacts.company_id')
    .select([
      'contacts.email',
      'contacts.first_name',
      'contacts.last_name',
      'contacts.first_name_kana',
      'contacts.last_name_kana',
      'contacts.name_order',
      'contacts.phone',
      'contacts.job_title',
      'contacts.role_level',
      'contacts.department',
      'contacts.industry',
      'contacts.company_name',
      'contacts.employee_count',
      'contacts.tags',
      'companies.name_key as company',
    ])
    .where('contacts.workspace_id', '=', workspaceId)
    .orderBy('contacts.email')
    .execute();
}

describe('importContacts with a messy Shift_JIS file', () => {
  // Batches of 1 hold a person's early lines across many commits; 500 writes everything at once.
  it.each([1, 500])('cleanses, deduplicates and reports every line (batches of %i)', async (batchSize) => {
    const { workspaceId } = await createTestWorkspace(database.current);
    const result = await importCollecting({
      workspaceId,
      source: { buffer: messyContactsShiftJis() },
      clock: createVirtualClock(),
      batchSize,
    });

    expect(result.encoding).toBe('shift_jis');
    expect(result.unmapped).toEqual([]);
    expect(result.counts).toEqual({ total: 12, created: 6, updated: 0, unchanged: 0, merged: 2, rejected: 4, warnings: 2 });
    expect(result.issues).toEqual(EXPECTED_ISSUES);
    expect(await storedContacts(workspaceId)).toEqual(EXPECTED_CONTACTS);

    // (株)サンプル, 株式会社サンプル, サンプル㈱ and サンプル（株） are one company; the first line written names it.
    const companies = await database.current.db
      .selectFrom('companies')
      .select(['name', 'name_key', 'domain'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('name_key')
      .execute();
    expect(companies).toEqual([
      { name: 'Acme Co., Ltd.', name_key: 'acme', domain: 'acme.com' },
      { name: '株式会社サンプル', name_key: 'サンプル', domain: 'example.co.jp' },
    ]);
  });

  it('changes nothing when the same file is imported again', async () => {
    const { workspaceId } = await createTestWorkspace(database.current);
    const clock = createVirtualClock();
    const source = { buffer: messyContactsShiftJis() };
    await importCollecting({ workspaceId, source, clock, batchSize: 4 });
    const before = await snapshotWorkspace(database.current.db, workspaceId);

    clock.advance(60 * 60 * 1000);
    const again = await importCollecting({ workspaceId, source, clock, batchSize: 4 });

    expect(again.counts).toEqual({ total: 12, created: 0, updated: 0, unchanged: 6, merged: 2, rejected: 4, warnings: 2 });
    expect(again.issues).toEqual(EXPECTED_ISSUES);
    expect(await snapshotWorkspace(database.current.db, workspaceId)).toStrictEqual(before);
  });
});

import { describe, expect, it } from 'vitest';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { type ImportIssue, type ImportOptions, importContacts } from './import-contacts.ts';
import { toCsv } from './messy-fixture.ts';
import { snapshotWorkspace } from './workspace-snapshot.ts';

const database = useTestDatabase();

async function importCsv(
  csv: string,
  options: Omit<ImportOptions, 'db' | 'onBatch' | 'source' | 'clock'> & { clock?: ImportOptions['clock'] },
) {
  const issues: ImportIssue[] = [];
  const result = await importContacts({
    clock: createVirtualClock(),
    ...options,
    db: database.current.db,
    source: { buffer: Buffer.from(csv) },
    onBatch: (batch) => void issues.push(...batch.issues),
  });
  return { ...result, issues };
}

const contactsOf = (workspaceId: string) =>
  database.current.db
    .selectFrom('contacts')
    .select(['id', 'email', 'last_name', 'first_name', 'job_title', 'role_level', 'phone', 'tags'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('last_name')
    .execute();

describe('merging the lines of one person', () => {
  const HEADERS = ['メールアドレス', '氏名', '役職', '電話番号', 'タグ'];

  it('lets a later non-empty value win, keeps earlier values the later line leaves empty, and unites tags', async () => {
    const { workspaceId } = await createTestWorkspace(database.current);
    const csv = toCsv(HEADERS, [
      { メールアドレス: 'ken@example.com', 氏名: '木村 健', 役職: '課長', 電話番号: '03-1111-2222', タグ: '展示会' },
      { メールアドレス: 'Ken@Example.com', 氏名: '木村 健', 役職: '部長', タグ: 'ウェビナー; 展示会' },
    ]);
    const result = await importCsv(csv, { workspaceId });

    expect(result.counts).toEqual({ total: 2, created: 1, updated: 0, unchanged: 0, merged: 1, rejected: 0, warnings: 0 });
    const [contact, ...others] = await contactsOf(workspaceId);
    expect(others).toEqual([]);
    expect(contact).toEqual({
      id: expect.any(String),
      email: 'ken@example.com',
      last_name: '木村',
      first_name: '健',
      job_title: '部長',
      role_level: 'director',
      phone: '+81311112222',
      tags: ['展示会', 'ウェビナー'],
    });
    expect(result.issues).toEqual([
      { line: 3, kind: 'merged', field: null, message: `the same person as line 2: merged into contact ${contact!.id}`, value: null },
      {
        line: 3,
        kind: 'conflict',
        field: 'jobTitle',
        message: 'replaced "課長" with "部長" (the newer non-empty value wins)',
        value: '部長',
      },
      {
        line: 3,
        kind: 'conflict',
        field: 'roleLevel',
        message: 'replaced "manager" with "director" (the newer non-empty value wins)',
        value: 'director',
      },
    ]);
  });

  it('updates a stored contact from a later file and reports the replaced value', async () => {
    const { workspaceId } = await createTestWorkspace(database.current);
    const clock = createVirtualClock();
    await importCsv(toCsv(HEADERS, [{ メールアドレス: 'ken@example.com', 氏名: '木村 健', 役職: '課長', 電話番号: '03-1111-2222' }]), {
      workspaceId,
      clock,
    });
    clock.advance(60_000);
    const result = await importCsv(toCsv(HEADERS, [{ メールアドレス: 'KEN@example.com', 役職: '部長', タグ: 'VIP' }]), {
      workspaceId,
      clock,
    });

    expect(result.counts).toEqual({ total: 1, created: 0, updated: 1, unchanged: 0, merged: 0, rejected: 0, warnings: 0 });
    expect(result.issues.map((i) => [i.line, i.kind, i.field, i.value])).toEqual([
      [2, 'conflict', 'jobTitle', '部長'],
      [2, 'conflict', 'roleLevel', 'director'],
    ]);
    const [contact] = await contactsOf(workspaceId);
    expect(contact).toMatchObject({ job_title: '部長', phone: '+81311112222', last_name: '木村', tags: ['VIP'] });
  });
});

describe('deduplicating by external id', () => {
  const HEADERS = ['顧客ID', '氏名', 'メールアドレス', '会社名', '役職'];
  const FILE = toCsv(HEADERS, [
    { 顧客ID: 'C-001', 氏名: '山田 太郎', 会社名: '(株)サンプル' },
    { 顧客ID: 'C-002', 氏名: '佐藤 花子' },
    { 顧客ID: 'C-001', 氏名: '山田 太郎', メールアドレス: 'Taro@Example.co.jp' },
    { 顧客ID: 'C-002', 氏名: '佐藤 花子', 役職: '主任' },
  ]);

  it('folds lines without an email that share an id, and links the id to the contact', async () => {
    const { workspaceId } = await createTestWorkspace(database.current);
    const result = await importCsv(FILE, { workspaceId, batchSize: 1 });

    expect(result.counts).toEqual({ total: 4, created: 2, updated: 0, unchanged: 0, merged: 2, rejected: 0, warnings: 0 });
    const contacts = await contactsOf(workspaceId);
    expect(contacts).toEqual([
      expect.objectContaining({ email: null, last_name: '佐藤', first_name: '花子', job_title: '主任', role_level: 'lead' }),
      expect.objectContaining({ email: 'taro@example.co.jp', last_name: '山田', first_name: '太郎' }),
    ]);
    const ids = await database.current.db
      .selectFrom('contact_external_ids')
      .select(['source', 'external_id', 'contact_id'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('external_id')
      .execute();
    expect(ids).toEqual([
      { source: 'import', external_id: 'C-001', contact_id: contacts[1]!.id },
      { source: 'import', external_id: 'C-002', contact_id: contacts[0]!.id },
    ]);
    expect(result.issues.map((i) => [i.line, i.kind, i.message])).toEqual([
      [4, 'merged', `the same person as line 2: merged into contact ${contacts[1]!.id}`],
      [5, 'merged', `the same person as line 3: merged into contact ${contacts[0]!.id}`],
    ]);
  });

  it('finds the contacts again by id on a second import and changes nothing', async () => {
    const { workspaceId } = await createTestWorkspace(database.current);
    const clock = createVirtualClock();
    await importCsv(FILE, { workspaceId, clock });
    const before = await snapshotWorkspace(database.current.db, workspaceId);
    clock.advance(60_000);

    const again = await importCsv(FILE, { workspaceId, clock });
    expect(again.counts).toEqual({ total: 4, created: 0, updated: 0, unchanged: 2, merged: 2, rejected: 0, warnings: 0 });
    expect(await snapshotWorkspace(database.current.db, workspaceId)).toStrictEqual(before);

    // A file that knows the person only by id still updates them.
    const update = await importCsv(toCsv(HEADERS, [{ 顧客ID: 'C-002', 役職: '課長' }]), { workspaceId, clock });
    expect(update.counts).toMatchObject({ total: 1, created: 0, updated: 1 });
    expect(await contactsOf(workspaceId)).toEqual([
      expect.objectContaining({ email: null, last_name: '佐藤', job_title: '課長', role_level: 'manager' }),
      expect.objectContaining({ email: 'taro@example.co.jp' }),
    ]);
  });
});

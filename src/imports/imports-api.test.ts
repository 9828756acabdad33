import { setTimeout as delay } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace, type TestApp } from '../server/test-app.ts';
import { messyContactsShiftJis, toCsv } from './messy-fixture.ts';

const database = useTestDatabase();

const MESSY_COUNTS = { total: 12, created: 6, updated: 0, unchanged: 0, merged: 2, rejected: 4, warnings: 2 };

function upload(app: TestApp, key: string, body: Buffer | string, query = '') {
  return app.request(`/api/imports${query}`, {
    key,
    body: new Blob([typeof body === 'string' ? body : new Uint8Array(body)]),
    headers: { 'content-type': 'text/csv' },
  });
}

/**
 * Runs queued imports until this one has finished. On PostgreSQL the job table is shared with
 * test files running in parallel, whose workers may claim this job first: then we wait for them.
 */
async function finished(app: TestApp, key: string, id: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    await app.drainJobs();
    const summary = await (await app.request(`/api/imports/${id}`, { key })).json();
    if (summary.status === 'completed' || summary.status === 'failed') return summary;
    await delay(50);
  }
  throw new Error(`import ${id} did not finish`);
}

const countRows = async (table: 'contacts' | 'companies' | 'imports', workspaceId: string) =>
  Number(
    (
      await database.current.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('POST /api/imports', () => {
  it('queues a Shift_JIS upload, imports it in the background and reports rejected lines as CSV', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current);
    const res = await upload(app, ws.adminKey, messyContactsShiftJis(), '?filename=leads.csv');
    expect(res.status).toBe(202);
    const queued = await res.json();
    expect(queued).toMatchObject({ status: 'queued', filename: 'leads.csv', counts: { total: 0 } });
    expect(res.headers.get('location')).toBe(`/api/imports/${queued.id}`);

    const summary = await finished(app, ws.readKey, queued.id);
    expect(summary).toMatchObject({ status: 'completed', encoding: 'shift_jis', counts: MESSY_COUNTS, processed: 12, error: null });
    expect(summary.mapping).toMatchObject({ 氏名: 'fullName', メールアドレス: 'email', 従業員数: 'employeeCount' });
    expect(await countRows('contacts', ws.workspaceId)).toBe(6);

    const report = await app.request(`/api/imports/${queued.id}/report?format=csv`, { key: ws.readKey });
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/^text\/csv/);
    const bytes = Buffer.from(await report.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows: string[][] = parse(bytes.subarray(3).toString('utf8'));
    expect(rows[0]).toEqual(['line', 'kind', 'field', 'message', 'value']);
    const badEmail = 'not a valid email address: expected name@domain.tld, got';
    expect(rows.filter((r) => r[1] === 'rejected')).toEqual([
      ['9', 'rejected', 'email', `${badEmail} "foo@"`, 'foo@'],
      ['10', 'rejected', 'email', `${badEmail} "bar@@x.jp"`, 'bar@@x.jp'],
      ['11', 'rejected', 'email', `${badEmail} "no-at-sign"`, 'no-at-sign'],
      ['14', 'rejected', 'email', 'expected an email address or an external id to identify the contact', ''],
    ]);
    expect(rows.filter((r) => r[1] === 'merged').map((r) => r[0])).toEqual(['4', '15']);

    const json = await (await app.request(`/api/imports/${queued.id}/report`, { key: ws.readKey })).json();
    expect(json.items).toHaveLength(rows.length - 1);
  });

  it('accepts the file as multipart/form-data in the field "file"', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(messyContactsShiftJis())], { type: 'text/csv' }), '展示会リスト.csv');
    const res = await app.request('/api/imports', { key: ws.adminKey, body: form });
    expect(res.status).toBe(202);
    const queued = await res.json();
    expect(queued).toMatchObject({ status: 'queued', filename: '展示会リスト.csv' });

    expect(await finished(app, ws.readKey, queued.id)).toMatchObject({ status: 'completed', counts: MESSY_COUNTS });
  });

  it('reads a UTF-8 file with a BOM', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current);
    const csv = `\uFEFF${toCsv(['メールアドレス', '氏名', '会社名'], [{ メールアドレス: 'Ｈａｎａｋｏ@example.jp', 氏名: '佐藤　花子', 会社名: 'サンプル㈱' }])}`;
    const queued = await (await upload(app, ws.adminKey, csv)).json();

    const summary = await finished(app, ws.readKey, queued.id);
    expect(summary).toMatchObject({ status: 'completed', encoding: 'utf-8', counts: { total: 1, created: 1, rejected: 0 } });
    // The BOM is not part of the first header.
    expect(summary.mapping).toEqual({ メールアドレス: 'email', 氏名: 'fullName', 会社名: 'companyName' });
    const contact = await database.current.db
      .selectFrom('contacts')
      .select(['email', 'last_name', 'first_name', 'company_name'])
      .where('workspace_id', '=', ws.workspaceId)
      .executeTakeFirst();
    expect(contact).toEqual({ email: 'hanako@example.jp', last_name: '佐藤', first_name: '花子', company_name: 'サンプル株式会社' });
  });

  it('fails an import whose file has no email or id column, writing nothing', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current);
    const csv = toCsv(['氏名', '会社名', '電話番号'], [{ 氏名: '山田 太郎', 会社名: '(株)サンプル', 電話番号: '03-1234-5678' }]);
    const queued = await (await upload(app, ws.adminKey, csv)).json();

    const summary = await finished(app, ws.readKey, queued.id);
    expect(summary).toMatchObject({ status: 'failed', counts: { total: 0, created: 0 } });
    expect(summary.error).toMatch(/^mapping: no column maps to email or externalId.*headers were: 氏名, 会社名, 電話番号/);
    expect(await countRows('contacts', ws.workspaceId)).toBe(0);
    expect(await countRows('companies', ws.workspaceId)).toBe(0);
  });

  it('fails an import whose file is not CSV, naming the problem', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current);
    const queued = await (await upload(app, ws.adminKey, 'email,name\r\na@example.com,"Taro\r\n')).json();

    const summary = await finished(app, ws.readKey, queued.id);
    expect(summary).toMatchObject({ status: 'failed' });
    expect(summary.error).toMatch(/^file: not a valid CSV file: .*opening quote at line 2/);
    expect(await countRows('contacts', ws.workspaceId)).toBe(0);
  });
});

describe('POST /api/imports?mapping=', () => {
  it('maps a column the detector does not know', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current);
    const csv = toCsv(['得意先コード', '氏名', '備考'], [{ 得意先コード: 'T-100', 氏名: '山田 太郎', 備考: '展示会' }]);
    const mapping = encodeURIComponent(JSON.stringify({ 得意先コード: 'externalId' }));
    const res = await upload(app, ws.adminKey, csv, `?mapping=${mapping}`);
    expect(res.status).toBe(202);

    const summary = await finished(app, ws.readKey, (await res.json()).id);
    expect(summary).toMatchObject({ status: 'completed', counts: { total: 1, created: 1 } });
    expect(summary.mapping).toEqual({ 得意先コード: 'externalId', 氏名: 'fullName', 備考: null });
    const ids = await database.current.db
      .selectFrom('contact_external_ids')
      .select(['source', 'external_id'])
      .where('workspace_id', '=', ws.workspaceId)
      .execute();
    expect(ids).toEqual([{ source: 'import', external_id: 'T-100' }]);
  });

  it('refuses an unknown target field with 400 before anything is queued', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current);
    const mapping = encodeURIComponent(JSON.stringify({ 得意先コード: 'customerCode' }));
    const res = await upload(app, ws.adminKey, 'email\r\na@example.com\r\n', `?mapping=${mapping}`);

    expect(res.status).toBe(400);
    const problem = await res.json();
    expect(problem.code).toBe('invalid_input');
    expect(problem.errors).toEqual([
      { path: expect.stringMatching(/^(query\.)?mapping$/), message: expect.stringContaining('"customerCode"') },
    ]);
    expect(await countRows('imports', ws.workspaceId)).toBe(0);
  });

  it('fails an import whose mapping names a column the file does not have', async () => {
    const app = createTestApp(database.current);
    const ws = await createTestWorkspace(database.current);
    const mapping = encodeURIComponent(JSON.stringify({ 得意先コード: 'externalId' }));
    const queued = await (await upload(app, ws.adminKey, 'email\r\na@example.com\r\n', `?mapping=${mapping}`)).json();

    const summary = await finished(app, ws.readKey, queued.id);
    expect(summary.status).toBe('failed');
    expect(summary.error).toContain('the mapping names columns the file does not have ("得意先コード")');
    expect(await countRows('contacts', ws.workspaceId)).toBe(0);
  });
});

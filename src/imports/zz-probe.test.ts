import { it } from 'vitest';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { importContacts, type ImportIssue } from './import-contacts.ts';
import { messyContactsShiftJis } from './messy-fixture.ts';

const database = useTestDatabase();
async function snap(ws: string) {
  const db = database.current.db;
  return JSON.stringify([
    await db.selectFrom('contacts').selectAll().where('workspace_id','=',ws).orderBy('id').execute(),
    await db.selectFrom('companies').selectAll().where('workspace_id','=',ws).orderBy('id').execute(),
    await db.selectFrom('contact_external_ids').selectAll().where('workspace_id','=',ws).orderBy('external_id').execute(),
  ]);
}
for (const bs of [1, 2, 3, 500]) it('probe ' + bs, async () => {
  const db = database.current.db;
  const ws = await createTestWorkspace(database.current);
  const clock = createVirtualClock();
  const buf = messyContactsShiftJis();
  const issues: ImportIssue[] = [];
  const r = await importContacts({ db, workspaceId: ws.workspaceId, source: { buffer: buf }, clock, batchSize: bs, onBatch: (b) => { issues.push(...b.issues); } });
  const before = await snap(ws.workspaceId);
  clock.advance(60000);
  const issues2: ImportIssue[] = [];
  const r2 = await importContacts({ db, workspaceId: ws.workspaceId, source: { buffer: buf }, clock, batchSize: bs, onBatch: (b) => { issues2.push(...b.issues); } });
  const after = await snap(ws.workspaceId);
  console.log(bs, JSON.stringify(r.counts), JSON.stringify(r2.counts), before === after, issues.length, issues2.length);
  if (before !== after) console.log(before, after);
  if (bs === 1) console.log(issues2);
});
it('lines', async () => {
  const db = database.current.db;
  const ws = await createTestWorkspace(database.current);
  const csv = 'email,name,memo\r\n\r\na@example.com,A,"multi\r\nline"\r\nb@example.com,B,x\r\n\r\nc@,C,"q\r\n\r\nq"\r\nd@,D,\r\n';
  const issues: ImportIssue[] = [];
  await importContacts({ db, workspaceId: ws.workspaceId, source: { buffer: Buffer.from(csv) }, clock: createVirtualClock(), onBatch: (b) => { issues.push(...b.issues); } });
  console.log(issues);
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import type { Job } from '../platform/jobs/jobs.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { importContacts } from './import-contacts.ts';
import { createImport, getImport, IMPORT_JOB, importJobHandler, issuesToCsv, listImportIssues, runImport } from './imports.ts';
import { messyContactsShiftJis } from './messy-fixture.ts';

const database = useTestDatabase();

describe('runImport', () => {
  it('imports a file from disk, as the CLI does, and keeps the report by line', async () => {
    const db = database.current.db;
    const clock = createVirtualClock();
    const { workspaceId } = await createTestWorkspace(database.current);
    const dir = mkdtempSync(join(tmpdir(), 'kizuna-import-'));
    try {
      const path = join(dir, 'leads.csv');
      writeFileSync(path, messyContactsShiftJis());
      const created = await createImport(db, workspaceId, { inline: true, filename: 'leads.csv' }, clock);
      const progress: number[] = [];
      const summary = await runImport(
        db,
        { importId: created.id, source: { path }, onProgress: (processed) => progress.push(processed) },
        clock,
      );

      expect(summary).toMatchObject({ status: 'completed', encoding: 'shift_jis', processed: 12, error: null });
      expect(summary.counts).toEqual({ total: 12, created: 6, updated: 0, unchanged: 0, merged: 2, rejected: 4, warnings: 2 });
      expect(progress).toEqual([12]);
      const issues = await listImportIssues(db, workspaceId, created.id);
      expect(issues.map((i) => [i.line, i.kind])).toEqual([
        [4, 'merged'],
        [9, 'rejected'],
        [10, 'rejected'],
        [11, 'rejected'],
        [12, 'warning'],
        [13, 'warning'],
        [14, 'rejected'],
        [15, 'merged'],
      ]);
      expect(issuesToCsv(issues).startsWith('\uFEFFline,kind,field,message,value\n4,merged,,the same person as line 3')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown mapping target when the import is created', async () => {
    const { workspaceId } = await createTestWorkspace(database.current);
    const attempt = createImport(
      database.current.db,
      workspaceId,
      { inline: true, filename: 'x.csv', mapping: { 会社: 'company' } },
      createVirtualClock(),
    );
    await expect(attempt).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [{ path: 'mapping', message: expect.stringContaining('"company"') }],
    });
  });
});

describe('importJobHandler', () => {
  it('ends the import as failed when the job cannot run it, instead of leaving it running', async () => {
    const db = database.current.db;
    const clock = createVirtualClock();
    const { workspaceId } = await createTestWorkspace(database.current);
    // An inline import keeps no bytes: a job for it has nothing to read.
    const created = await createImport(db, workspaceId, { inline: true, filename: 'gone.csv' }, clock);
    const job: Job = {
      ...{ id: '1', workspace_id: workspaceId, kind: IMPORT_JOB, key: `import:${created.id}`, payload: { importId: created.id } },
      ...{ status: 'running', run_at: clock.now(), attempts: 1, max_attempts: 3, locked_by: 'test', locked_until: null },
      ...{ last_error: null, created_at: clock.now(), finished_at: null },
    };

    await expect(importJobHandler({ db, clock })(job)).rejects.toThrow('has no file to read');
    expect(await getImport(db, workspaceId, created.id)).toMatchObject({
      status: 'failed',
      error: `the import stopped after 1 attempt(s): import ${created.id} has no file to read`,
    });
  });
});

describe('over-long cells', () => {
  it('reject their own row with the field named, and the rest of the file is imported', async () => {
    const ws = await createTestWorkspace(database.current);
    const csv = `email,company,external id\nfine@example.com,Fine Inc,F-1\nlong@example.com,${'x'.repeat(4000)},L-1\nid@example.com,Ok,${'9'.repeat(4000)}\n`;
    const result = await importContacts({
      db: database.current.db,
      workspaceId: ws.workspaceId,
      source: { buffer: Buffer.from(csv) },
      clock: createVirtualClock(),
    });
    expect(result.counts).toMatchObject({ total: 3, created: 1, rejected: 2 });
  });
});

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { importContacts } from '../src/imports/import-contacts.ts';
import { systemClock } from '../src/platform/clock.ts';
import type { Database } from '../src/platform/db/database.ts';
import { freshWorkspace, openBenchDatabase } from './bench-database.ts';
import { copyCsv } from './copy.ts';
import { generateContacts, type SyntheticCompany, type SyntheticContact } from './generate-contacts.ts';
import { assertImportedRows } from './import-check.ts';
import type { BenchContext } from './run.ts';

const COMPANY_COLUMNS = ['id', 'workspace_id', 'name', 'name_key', 'domain', 'created_at', 'updated_at'] as const;
const CONTACT_COLUMNS = [
  ...['id', 'workspace_id', 'email', 'first_name', 'last_name', 'name_order', 'phone', 'job_title', 'role_level', 'department'],
  ...['company_id', 'company_name', 'employee_count', 'tags', 'custom', 'created_at', 'updated_at'],
] as const;

/**
 * CSV import throughput against its limit: `importContacts` over a file of `rows` synthetic
 * contacts, then a raw COPY of the same final rows into the same empty tables.
 * @returns one `RESULT import-<engine> …` line per engine.
 */
export async function benchImport({ rows, engines, serverUrl, log }: BenchContext): Promise<string[]> {
  const { contacts } = generateContacts({ rows });
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-bench-'));
  const path = join(dir, 'contacts.csv');
  writeFileSync(path, importCsv(contacts));
  const results: string[] = [];
  try {
    for (const engine of engines) {
      const database = await openBenchDatabase(engine, serverUrl);
      try {
        const oursMs = await timeImport(database, path, contacts);
        const limitMs = await timeCopy(database, contacts);
        const ours = rows / (oursMs / 1000);
        const limit = rows / (limitMs / 1000);
        log(
          `import on ${engine}: importContacts ${seconds(oursMs)} (${Math.round(ours)} rows/s), COPY ${seconds(limitMs)} (${Math.round(limit)} rows/s)`,
        );
        results.push(
          `RESULT import-${engine} ratio=${(ours / limit).toFixed(2)} ours=${Math.round(ours)} limit=${Math.round(limit)} rows=${rows}`,
        );
      } finally {
        await database.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function timeImport(database: Database, path: string, contacts: SyntheticContact[]): Promise<number> {
  const workspace = await freshWorkspace(database);
  const started = performance.now();
  const result = await importContacts({ db: database.db, workspaceId: workspace.id, source: { path }, clock: systemClock });
  const elapsedMs = performance.now() - started;
  const { created, total, warnings } = result.counts;
  if (created !== contacts.length || total !== contacts.length || warnings !== 0) {
    throw new Error(`expected the import to create ${contacts.length} contacts without warnings, got ${JSON.stringify(result.counts)}`);
  }
  await assertImportedRows(database.db, workspace.id, contacts);
  return elapsedMs;
}

async function timeCopy(database: Database, contacts: SyntheticContact[]): Promise<number> {
  const workspace = await freshWorkspace(database);
  const now = systemClock.now().toISOString();
  const companyIds = new Map<SyntheticCompany, string>();
  for (const contact of contacts) if (!companyIds.has(contact.company)) companyIds.set(contact.company, randomUUID());
  const companyCsv = stringify(
    [...companyIds].map(([company, id]) => [id, workspace.id, company.name, company.nameKey, company.domain, now, now]),
  );
  const contactCsv = stringify(
    contacts.map((c) => [
      ...[randomUUID(), workspace.id, c.email, c.firstName, c.lastName, c.nameOrder, c.phoneE164, c.jobTitle, c.roleLevel, c.department],
      ...[companyIds.get(c.company), c.company.name, c.company.employeeCount, '{}', '{}', now, now],
    ]),
  );
  const started = performance.now();
  await copyCsv(database, 'companies', COMPANY_COLUMNS, companyCsv);
  await copyCsv(database, 'contacts', CONTACT_COLUMNS, contactCsv);
  return performance.now() - started;
}

/** The file a Japanese sales team would export: Japanese headers, 氏名 in one column. */
export function importCsv(contacts: SyntheticContact[]): string {
  return stringify([
    ['メールアドレス', '氏名', '会社名', '部署', '役職', '電話番号', '従業員数'],
    ...contacts.map((c) => [c.email, c.fullName, c.company.name, c.department, c.jobTitle, c.phone, c.employeeCountText]),
  ]);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

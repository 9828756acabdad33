import type { Kysely } from 'kysely';
import type { DB } from '../src/platform/db/schema.ts';
import type { SyntheticContact } from './generate-contacts.ts';

/**
 * Throws unless the workspace holds exactly the rows the COPY limit writes: otherwise the
 * benchmark would compare the import with a different amount of work.
 */
export async function assertImportedRows(db: Kysely<DB>, workspaceId: string, contacts: SyntheticContact[]): Promise<void> {
  const rows = await db
    .selectFrom('contacts')
    .leftJoin('companies', 'companies.id', 'contacts.company_id')
    .select(['email', 'first_name', 'last_name', 'name_order', 'phone', 'job_title', 'role_level', 'department'])
    .select(['company_name', 'contacts.employee_count', 'companies.name_key', 'companies.domain'])
    .where('contacts.workspace_id', '=', workspaceId)
    .execute();
  const expected = new Map(contacts.map((c) => [c.email, c]));
  if (rows.length !== contacts.length) throw new Error(`expected ${contacts.length} contacts after the import, found ${rows.length}`);
  for (const row of rows) {
    const c = row.email ? expected.get(row.email) : undefined;
    const want = c && {
      ...{
        email: c.email,
        first_name: c.firstName,
        last_name: c.lastName,
        name_order: c.nameOrder,
        phone: c.phoneE164,
        job_title: c.jobTitle,
      },
      ...{ role_level: c.roleLevel, department: c.department, company_name: c.company.name, employee_count: c.company.employeeCount },
      ...{ name_key: c.company.nameKey, domain: c.company.domain },
    };
    const stored = row as Record<string, unknown>;
    if (!want || Object.entries(want).some(([key, value]) => stored[key] !== value)) {
      throw new Error(
        `the import stored a row the COPY limit would not write:\n  stored:   ${JSON.stringify(row)}\n  expected: ${JSON.stringify(want)}`,
      );
    }
  }
}

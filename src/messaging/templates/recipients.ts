import type { Kysely } from 'kysely';
import { type Company, toCompany } from '../../companies/company-schema.ts';
import { type Contact, toContact } from '../../contacts/contact-schema.ts';
import { loadExternalIds } from '../../contacts/contacts.ts';
import { listCustomFields } from '../../contacts/custom-fields.ts';
import type { DB } from '../../platform/db/schema.ts';
import { matchesQuery } from '../../segments/compile.ts';
import { FieldCatalog } from '../../segments/fields.ts';
import type { PreparedTemplate, Recipient } from './render.ts';

export type WorkspaceData = Recipient['workspace'];

export async function loadWorkspaceData(db: Kysely<DB>, workspaceId: string): Promise<WorkspaceData> {
  return db.selectFrom('workspaces').select(['name', 'locale', 'timezone']).where('id', '=', workspaceId).executeTakeFirstOrThrow();
}

/** Contacts of the workspace with their companies, by id, in three queries for the whole batch (unknown ids are absent). */
export async function loadRecipients(
  db: Kysely<DB>,
  workspaceId: string,
  contactIds: readonly string[],
): Promise<Map<string, { contact: Contact; company: Company | null }>> {
  const result = new Map<string, { contact: Contact; company: Company | null }>();
  if (contactIds.length === 0) return result;
  const rows = await db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', [...contactIds])
    .execute();
  const companyIds = [...new Set(rows.flatMap((r) => (r.company_id ? [r.company_id] : [])))];
  const [externalIds, companies] = await Promise.all([
    loadExternalIds(
      db,
      rows.map((r) => r.id),
    ),
    companyIds.length
      ? db.selectFrom('companies').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', companyIds).execute()
      : [],
  ]);
  const companyById = new Map(companies.map((c) => [c.id, toCompany(c)]));
  for (const row of rows)
    result.set(row.id, {
      contact: toContact(row, externalIds.get(row.id)),
      company: (row.company_id && companyById.get(row.company_id)) || null,
    });
  return result;
}

/**
 * Which variant of each block holds for each contact, from one query over every block condition
 * (the compiled condition language, as scoring's attribute rules): contact id → block name →
 * variant index, -1 for the fallback. Contacts not in the workspace are absent.
 */
export async function chooseBlocks(
  db: Kysely<DB>,
  template: PreparedTemplate,
  { workspaceId, timeZone, contactIds, now }: { workspaceId: string; timeZone: string; contactIds: readonly string[]; now: Date },
): Promise<Map<string, Record<string, number>>> {
  const choices = new Map<string, Record<string, number>>();
  if (template.conditions.length === 0 || contactIds.length === 0) return choices;
  const catalog = new FieldCatalog(await listCustomFields(db, workspaceId));
  const rows = await matchesQuery(template.conditions, { workspaceId, timeZone, catalog, now, contactIds }).execute(db);
  for (const { id, matches } of rows.rows) {
    const choice: Record<string, number> = {};
    let offset = 0;
    for (const block of template.blocks) {
      const hit = block.variants.findIndex((_, i) => matches[offset + i] === '1');
      choice[block.name] = hit;
      offset += block.variants.length;
    }
    choices.set(id, choice);
  }
  return choices;
}

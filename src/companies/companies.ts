import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { cleanCompanyName, companyNameKey } from '../contacts/cleansing/company-name.ts';
import { normalizeText } from '../contacts/cleansing/normalize-text.ts';
import { assertNoIssues, listCustomFields, validateCustomValues } from '../contacts/custom-fields.ts';
import type { Clock } from '../platform/clock.ts';
import { contactChangesOf, noteContactChange } from '../platform/db/contact-changes.ts';
import type { CompaniesTable, DB } from '../platform/db/schema.ts';
import { type FieldIssue, KizunaError, notFound } from '../platform/errors.ts';
import { parseInput } from '../platform/parse-input.ts';
import { unitOfWork } from '../segments/membership.ts';
import { type Company, type CompanyInput, type CompanyPatch, toCompany, ZCompanyInput } from './company-schema.ts';
import { normalizeDomain } from './normalize-domain.ts';

type CompanyColumns = Partial<
  Pick<CompaniesTable, 'name' | 'name_key' | 'domain' | 'industry' | 'employee_count' | 'revenue_band' | 'country'>
> & {
  custom?: Record<string, unknown>;
};

async function prepareCompany(db: Kysely<DB>, workspaceId: string, input: CompanyPatch): Promise<CompanyColumns> {
  const issues: FieldIssue[] = [];
  const out: CompanyColumns = {};
  if (input.name !== undefined) {
    out.name = cleanCompanyName(input.name);
    out.name_key = companyNameKey(input.name);
    if (!out.name_key) issues.push({ path: 'name', message: 'expected a company name with more than a legal form' });
  }
  if (input.domain !== undefined) {
    out.domain = input.domain === null ? null : normalizeDomain(input.domain);
    if (input.domain !== null && !out.domain)
      issues.push({ path: 'domain', message: `expected a domain such as example.co.jp, got "${input.domain}"` });
  }
  if (input.industry !== undefined) out.industry = normalizeText(input.industry);
  if (input.employeeCount !== undefined) out.employee_count = input.employeeCount;
  if (input.revenueBand !== undefined) out.revenue_band = normalizeText(input.revenueBand);
  if (input.country !== undefined) out.country = input.country?.toUpperCase() ?? null;
  if (input.custom) {
    const fields = await listCustomFields(db, workspaceId, 'company');
    const custom = validateCustomValues(fields, input.custom);
    issues.push(...custom.issues);
    out.custom = custom.values;
  }
  assertNoIssues(issues);
  return out;
}

/** Creates a company; a domain already used by another company of the workspace is a conflict. */
export async function createCompany(db: Kysely<DB>, workspaceId: string, input: CompanyInput, clock: Clock): Promise<Company> {
  const values = await prepareCompany(db, workspaceId, input);
  const now = clock.now();
  const row = await db
    .insertInto('companies')
    .values({
      ...toColumns(values),
      id: randomUUID(),
      workspace_id: workspaceId,
      name: values.name!,
      name_key: values.name_key!,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'domain']).where('domain', 'is not', null).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw domainTaken(values.domain);
  return toCompany(row);
}

export async function getCompany(db: Kysely<DB>, workspaceId: string, id: string): Promise<Company> {
  const row = await db.selectFrom('companies').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('company', id);
  return toCompany(row);
}

/** Changes the given fields; null clears one; custom values merge per key (null removes a key). */
export async function updateCompany(db: Kysely<DB>, workspaceId: string, id: string, patch: CompanyPatch, clock: Clock): Promise<Company> {
  const values = await prepareCompany(db, workspaceId, patch);
  return unitOfWork(db, clock, async (tx) => {
    const current = await tx
      .selectFrom('companies')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw notFound('company', id);
    if (values.domain) {
      const other = await tx
        .selectFrom('companies')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('domain', '=', values.domain)
        .where('id', '!=', id)
        .executeTakeFirst();
      if (other) throw domainTaken(values.domain);
    }
    const custom = values.custom
      ? Object.fromEntries(Object.entries({ ...current.custom, ...values.custom }).filter(([, v]) => v !== null))
      : undefined;
    const row = await tx
      .updateTable('companies')
      .set({ ...toColumns({ ...values, custom }), updated_at: clock.now() })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    contactChangesOf(tx)?.noteCompany(workspaceId, id);
    return toCompany(row);
  });
}

export async function deleteCompany(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<void> {
  await unitOfWork(db, clock, async (tx) => {
    // Its contacts lose their company: segments on company fields re-evaluate them.
    const detached = await tx
      .updateTable('contacts')
      .set({ company_id: null })
      .where('workspace_id', '=', workspaceId)
      .where('company_id', '=', id)
      .returning('id')
      .execute();
    const result = await tx.deleteFrom('companies').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw notFound('company', id);
    for (const contact of detached) noteContactChange(tx, workspaceId, contact.id, ['company', 'field:company_id']);
  });
}

export type UpsertOutcome =
  | { index: number; status: 'created' | 'updated' | 'unchanged'; id: string }
  | { index: number; status: 'rejected'; errors: FieldIssue[] };

/** Bulk upsert (≤ 1000): matched by domain, then by normalised name; a result per row. */
export async function upsertCompanies(db: Kysely<DB>, workspaceId: string, inputs: unknown[], clock: Clock): Promise<UpsertOutcome[]> {
  const results: UpsertOutcome[] = [];
  for (const [index, input] of inputs.entries()) {
    try {
      const values = await prepareCompany(db, workspaceId, parseInput(ZCompanyInput, input));
      results.push({ index, ...(await upsertOne(db, workspaceId, values, clock)) });
    } catch (error) {
      if (error instanceof KizunaError && error.code === 'invalid_input') {
        results.push({
          index,
          status: 'rejected',
          errors: error.issues.map((i) => ({ path: `companies.${index}.${i.path}`, message: i.message })),
        });
      } else throw error;
    }
  }
  return results;
}

async function upsertOne(
  db: Kysely<DB>,
  workspaceId: string,
  values: CompanyColumns,
  clock: Clock,
): Promise<{ status: 'created' | 'updated' | 'unchanged'; id: string }> {
  return unitOfWork(db, clock, async (tx) => {
    const base = tx.selectFrom('companies').selectAll().where('workspace_id', '=', workspaceId).forUpdate();
    const byDomain = values.domain ? await base.where('domain', '=', values.domain).executeTakeFirst() : undefined;
    const byName = byDomain ? [] : await base.where('name_key', '=', values.name_key!).orderBy('created_at').limit(2).execute();
    if (byName.length > 1) {
      throw new KizunaError('invalid_input', `several companies are named like "${values.name}"`, {
        issues: [{ path: 'domain', message: `several companies are named like "${values.name}": give a domain to say which one` }],
      });
    }
    const existing = byDomain ?? byName[0];
    const now = clock.now();
    if (!existing) {
      const id = randomUUID();
      await tx
        .insertInto('companies')
        .values({
          ...toColumns(values),
          id,
          workspace_id: workspaceId,
          name: values.name!,
          name_key: values.name_key!,
          created_at: now,
          updated_at: now,
        })
        .execute();
      return { status: 'created', id };
    }
    const changes = Object.fromEntries(
      Object.entries(values).filter(
        ([key, value]) =>
          value !== null && value !== undefined && JSON.stringify(existing[key as keyof typeof existing]) !== JSON.stringify(value),
      ),
    );
    if (values.custom)
      changes.custom = { ...existing.custom, ...Object.fromEntries(Object.entries(values.custom).filter(([, v]) => v !== null)) };
    if (changes.custom && JSON.stringify(changes.custom) === JSON.stringify(existing.custom)) delete changes.custom;
    if (Object.keys(changes).length === 0) return { status: 'unchanged', id: existing.id };
    await tx
      .updateTable('companies')
      .set({ ...toColumns(changes as CompanyColumns), updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', existing.id)
      .execute();
    contactChangesOf(tx)?.noteCompany(workspaceId, existing.id);
    return { status: 'updated', id: existing.id };
  });
}

function toColumns({ custom, ...rest }: CompanyColumns) {
  return { ...rest, ...(custom ? { custom: JSON.stringify(custom) } : {}) };
}

function domainTaken(domain: string | null | undefined): KizunaError {
  return new KizunaError('conflict', `another company of this workspace already has the domain ${domain}`, {
    issues: [{ path: 'domain', message: 'already used by another company' }],
  });
}

import type { Kysely } from 'kysely';
import { resolveCompanies } from '../companies/resolve-companies.ts';
import { logStageWrites } from '../lifecycle/lifecycle.ts';
import type { Clock } from '../platform/clock.ts';
import { fieldReasons, noteContactChange } from '../platform/db/contact-changes.ts';
import type { ContactRow, DB } from '../platform/db/schema.ts';
import { withConflictRetry } from '../platform/db/with-conflict-retry.ts';
import { type FieldIssue, invalidInput, issuesFromZod, KizunaError, notFound } from '../platform/errors.ts';
import { unitOfWork } from '../segments/membership.ts';
import { closeMemberships } from '../segments/merge-memberships.ts';
import { emailDomain } from './cleansing/normalize-email.ts';
import { contactColumns } from './contact-columns.ts';
import { type Contact, type ContactInput, toContact, ZContactInput } from './contact-schema.ts';
import { listCustomFields } from './custom-fields.ts';
import { mergeContact } from './merge-contact.ts';
import { type PreparedContact, prepareContact } from './prepare-contact.ts';
import { type ContactWriteOutcome, upsertContacts, writtenContactId } from './upsert-contacts.ts';

export interface WriteContext {
  workspaceId: string;
  defaultRegion: string;
  customFields: Awaited<ReturnType<typeof listCustomFields>>;
}

/** What every contact write needs to know about its workspace: default phone region and custom fields. */
export async function loadWriteContext(db: Kysely<DB>, workspaceId: string): Promise<WriteContext> {
  const workspace = await db.selectFrom('workspaces').select('default_region').where('id', '=', workspaceId).executeTakeFirstOrThrow();
  return { workspaceId, defaultRegion: workspace.default_region, customFields: await listCustomFields(db, workspaceId, 'contact') };
}

function prepareOrThrow(context: WriteContext, input: ContactInput): PreparedContact {
  const result = prepareContact(input, { defaultRegion: context.defaultRegion, customFields: context.customFields });
  if (!result.ok) throw invalidInput(result.issues);
  return result.value;
}

/** Creates a contact; an email or external id that already belongs to a contact is a conflict. */
export async function createContact(db: Kysely<DB>, workspaceId: string, input: ContactInput, clock: Clock): Promise<Contact> {
  const context = await loadWriteContext(db, workspaceId);
  const prepared = prepareOrThrow(context, input);
  if (!prepared.email && Object.keys(prepared.externalIds).length === 0) {
    throw invalidInput([{ path: 'email', message: 'expected an email address or at least one entry in externalIds' }]);
  }
  const id = await withConflictRetry(() =>
    unitOfWork(db, clock, async (tx) => {
      const clash = await findClash(tx, workspaceId, prepared, undefined);
      if (clash) throw clash;
      await assertCompany(tx, workspaceId, prepared.company.id);
      const [outcome] = await upsertContacts(tx, workspaceId, [{ index: 0, prepared: withExplicitCompany(prepared) }], clock);
      return writtenContactId(outcome);
    }),
  );
  return getContact(db, workspaceId, id);
}

/** Bulk upsert (≤ 1000 per call): each row is validated on its own; valid rows are written together. */
export async function bulkUpsertContacts(
  db: Kysely<DB>,
  workspaceId: string,
  inputs: unknown[],
  clock: Clock,
): Promise<(ContactWriteOutcome | { index: number; status: 'rejected'; errors: FieldIssue[] })[]> {
  const context = await loadWriteContext(db, workspaceId);
  const rejected: { index: number; status: 'rejected'; errors: FieldIssue[] }[] = [];
  const writes: { index: number; prepared: PreparedContact }[] = [];
  inputs.forEach((raw, index) => {
    const parsed = ZContactInput.safeParse(raw);
    if (!parsed.success) {
      rejected.push({ index, status: 'rejected', errors: issuesFromZod(parsed.error, `contacts.${index}`) });
      return;
    }
    const result = prepareContact(parsed.data, { defaultRegion: context.defaultRegion, customFields: context.customFields });
    const issues = result.ok ? [] : result.issues;
    if (result.ok && !result.value.email && Object.keys(result.value.externalIds).length === 0) {
      issues.push({ path: 'email', message: 'expected an email address or at least one entry in externalIds' });
    }
    if (issues.length || !result.ok)
      rejected.push({ index, status: 'rejected', errors: issues.map((i) => ({ ...i, path: `contacts.${index}.${i.path}` })) });
    else writes.push({ index, prepared: withExplicitCompany(result.value) });
  });
  // A companyId of another workspace (or none at all) rejects its own row, not the call.
  const named = [...new Set(writes.map((w) => w.prepared.company.id).filter((id): id is string => !!id))];
  const existing = named.length
    ? new Set(
        (await db.selectFrom('companies').select('id').where('workspace_id', '=', workspaceId).where('id', 'in', named).execute()).map(
          (r) => r.id,
        ),
      )
    : new Set<string>();
  const valid = writes.filter((w) => {
    const companyId = w.prepared.company.id;
    if (!companyId || existing.has(companyId)) return true;
    rejected.push({
      index: w.index,
      status: 'rejected',
      errors: [{ path: `contacts.${w.index}.companyId`, message: `no company ${companyId} in this workspace` }],
    });
    return false;
  });
  const written = await withConflictRetry(() =>
    unitOfWork(db, clock, (tx) => (valid.length ? upsertContacts(tx, workspaceId, valid, clock) : Promise.resolve([]))),
  );
  const results = written.map((o) =>
    o.status === 'rejected' ? { ...o, errors: o.errors.map((e) => ({ ...e, path: `contacts.${o.index}.${e.path}` })) } : o,
  );
  return [...results, ...rejected].sort((a, b) => a.index - b.index);
}

/** Throws not_found unless the contact exists in this workspace (for routes about a contact's data). */
export async function assertContactInWorkspace(db: Kysely<DB>, workspaceId: string, contactId: string): Promise<void> {
  const row = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  if (!row) throw notFound('contact', contactId);
}

export async function getContact(db: Kysely<DB>, workspaceId: string, id: string): Promise<Contact> {
  const row = await db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('contact', id);
  return toContact(row, (await loadExternalIds(db, [id])).get(id));
}

/** PATCH semantics: given fields are written, null clears, tags are replaced, custom merges per key. */
export async function updateContact(db: Kysely<DB>, workspaceId: string, id: string, input: ContactInput, clock: Clock): Promise<Contact> {
  const context = await loadWriteContext(db, workspaceId);
  const prepared = prepareOrThrow(context, input);
  await withConflictRetry(() =>
    unitOfWork(db, clock, async (tx) => {
      const row = await tx
        .selectFrom('contacts')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw notFound('contact', id);
      const clash = await findClash(tx, workspaceId, prepared, id);
      if (clash) throw clash;
      const { set } = mergeContact(row, prepared, 'patch');
      const changes: Partial<ContactRow> = { ...set } as Partial<ContactRow>;
      if (prepared.company.id !== undefined) {
        await assertCompany(tx, workspaceId, prepared.company.id);
        changes.company_id = prepared.company.id;
      } else if ('company_name' in set || ('email' in set && !row.company_id)) {
        const next = { ...row, ...changes };
        const [companyId] = await resolveCompanies(
          tx,
          workspaceId,
          [{ name: next.company_name, domain: next.email ? emailDomain(next.email) : null }],
          clock,
        );
        changes.company_id = companyId ?? null;
      }
      for (const [source, externalId] of Object.entries(prepared.externalIds)) {
        await tx.deleteFrom('contact_external_ids').where('contact_id', '=', id).where('source', '=', source).execute();
        await tx
          .insertInto('contact_external_ids')
          .values({ workspace_id: workspaceId, contact_id: id, source, external_id: externalId })
          .execute();
      }
      if (Object.keys(changes).length || Object.keys(prepared.externalIds).length) {
        await tx
          .updateTable('contacts')
          .set(contactColumns({ ...changes, updated_at: clock.now() }))
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', id)
          .execute();
        noteContactChange(tx, workspaceId, id, fieldReasons(Object.keys(changes)));
        if ('lifecycle_stage' in changes)
          await logStageWrites(
            tx,
            workspaceId,
            [{ contactId: id, from: row.lifecycle_stage, to: changes.lifecycle_stage ?? null }],
            'api',
            clock.now(),
          );
      }
    }),
  );
  return getContact(db, workspaceId, id);
}

/** Deletes a contact and everything about it; its segments see it exit (a signal each) first. */
export async function deleteContact(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await closeMemberships(tx, { workspaceId, contactId: id, cause: 'deleted' }, clock.now());
    const result = await tx.deleteFrom('contacts').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw notFound('contact', id);
    // The ledger has no foreign key to contacts (it is written on the ingest path).
    await tx.deleteFrom('score_ledger').where('contact_id', '=', id).execute();
  });
}

export async function loadExternalIds(db: Kysely<DB>, contactIds: string[]): Promise<Map<string, Record<string, string>>> {
  const map = new Map<string, Record<string, string>>();
  if (contactIds.length === 0) return map;
  const rows = await db
    .selectFrom('contact_external_ids')
    .select(['contact_id', 'source', 'external_id'])
    .where('contact_id', 'in', contactIds)
    .execute();
  for (const row of rows) map.set(row.contact_id, { ...map.get(row.contact_id), [row.source]: row.external_id });
  return map;
}

// An explicit companyId must not be overridden by name/domain matching in the batch writer.
function withExplicitCompany(prepared: PreparedContact): PreparedContact {
  if (prepared.company.id === undefined) return prepared;
  return { ...prepared, fields: { ...prepared.fields, company_id: prepared.company.id } as PreparedContact['fields'] };
}

async function assertCompany(tx: Kysely<DB>, workspaceId: string, companyId: string | null | undefined): Promise<void> {
  if (!companyId) return;
  const found = await tx
    .selectFrom('companies')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', companyId)
    .executeTakeFirst();
  if (!found) throw invalidInput([{ path: 'companyId', message: `no company ${companyId} in this workspace` }]);
}

async function findClash(
  tx: Kysely<DB>,
  workspaceId: string,
  prepared: PreparedContact,
  selfId: string | undefined,
): Promise<KizunaError | undefined> {
  if (prepared.email) {
    const other = await tx
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('email', '=', prepared.email)
      .executeTakeFirst();
    if (other && other.id !== selfId) {
      return new KizunaError('conflict', `the email ${prepared.email} already belongs to contact ${other.id}`, {
        issues: [{ path: 'email', message: `already belongs to contact ${other.id}` }],
      });
    }
  }
  for (const [source, externalId] of Object.entries(prepared.externalIds)) {
    const other = await tx
      .selectFrom('contact_external_ids')
      .select('contact_id')
      .where('workspace_id', '=', workspaceId)
      .where('source', '=', source)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    if (other && other.contact_id !== selfId) {
      return new KizunaError('conflict', `external id ${source}:${externalId} already belongs to contact ${other.contact_id}`, {
        issues: [{ path: `externalIds.${source}`, message: `already belongs to contact ${other.contact_id}` }],
      });
    }
  }
  return undefined;
}

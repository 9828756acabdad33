import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type CompanyCache, resolveCompanies } from '../companies/resolve-companies.ts';
import { logStageWrites } from '../lifecycle/lifecycle.ts';
import type { Clock } from '../platform/clock.ts';
import { fieldReasons, noteContactChange } from '../platform/db/contact-changes.ts';
import type { ContactRow, DB } from '../platform/db/schema.ts';
import { type FieldIssue, KizunaError } from '../platform/errors.ts';
import { emailDomain } from './cleansing/normalize-email.ts';
import { insertContactRows, updateContactRows } from './insert-contact-rows.ts';
import { groupWrites, matchStoredContacts, type StoredMatch, type WriteGroup } from './match-contacts.ts';
import { type FieldConflict, mergeContact, sameValue } from './merge-contact.ts';
import type { PreparedContact } from './prepare-contact.ts';

type WrittenOutcome = Exclude<ContactWriteOutcome, { status: 'rejected' }>;

/** The contact a single write ended up on; a rejected write (ambiguous identity) is a conflict. */
export function writtenContactId(outcome: ContactWriteOutcome | undefined): string {
  if (!outcome) throw new KizunaError('internal', 'no outcome for the write');
  if (outcome.status === 'rejected')
    throw new KizunaError('conflict', outcome.errors.map((e) => e.message).join('; '), { issues: outcome.errors });
  return outcome.id;
}

export interface ContactWrite {
  /** Position in the caller's input (row number of a file, index of a bulk call). */
  index: number;
  prepared: PreparedContact;
}

export type ContactWriteOutcome =
  | { index: number; status: 'created' | 'updated' | 'unchanged'; id: string; conflicts: FieldConflict[]; warnings: FieldIssue[] }
  | { index: number; status: 'merged'; id: string; into: number; conflicts: FieldConflict[]; warnings: FieldIssue[] }
  | { index: number; status: 'rejected'; errors: FieldIssue[] };

/**
 * Upserts a batch of prepared contacts inside the caller's transaction, in a fixed number of
 * round trips: writes that share an email or external id fold into their first row, each group
 * is matched to the stored contact owning any of its emails or ids, companies are resolved in
 * one pass, new contacts are inserted in one statement. A newer non-empty value wins per field.
 * A group whose emails and ids belong to several stored contacts is rejected, never merged silently.
 */
export async function upsertContacts(
  tx: Kysely<DB>,
  workspaceId: string,
  writes: ContactWrite[],
  clock: Clock,
  { companyCache, cause = 'api' }: { companyCache?: CompanyCache; cause?: 'api' | 'import' } = {},
): Promise<ContactWriteOutcome[]> {
  const written = groupWrites(writes);
  const { groups, matches } = foldSameContact(written, await matchStoredContacts(tx, workspaceId, written));
  const now = clock.now();
  const outcomes: ContactWriteOutcome[] = [];
  const inserts: ContactRow[] = [];
  const updates: { id: string; set: Partial<ContactRow> }[] = [];
  // Stages before this batch, for the transition log.
  const stages = new Map<string, string | null>();
  const externalIds: { contact_id: string; source: string; external_id: string }[] = [];
  const replacedExternalIds: typeof externalIds = [];
  // Rows whose company is still to be found; the lookup runs once for the whole batch.
  const companyJobs: { row: Partial<ContactRow>; hint: { name: string | null; domain: string | null } }[] = [];

  for (const group of groups) {
    const match = matches.get(group)!;
    if (match.kind === 'ambiguous') {
      const message = `these details belong to ${match.contactIds.length} different contacts (${match.contactIds.join(', ')}); merge them first or correct the row`;
      for (const write of group.writes) outcomes.push({ index: write.index, status: 'rejected', errors: [{ path: 'email', message }] });
      continue;
    }
    const found = match.kind === 'found' ? match : undefined;
    if (found) stages.set(found.row.id, found.row.lifecycle_stage);
    const id = found?.row.id ?? randomUUID();
    // undefined until the first write of a new person: mergeContact then takes its values as they are.
    let state: (Partial<ContactRow> & Pick<ContactRow, 'email' | 'tags' | 'custom'>) | undefined = found?.row;
    let companyDomain: string | null | undefined;
    const groupOutcomes: WrittenOutcome[] = group.writes.map((write, position) => {
      const { set, conflicts } = mergeContact(state, write.prepared, 'upsert');
      state = { ...(state ?? { email: null, tags: [], custom: {} }), ...set } as NonNullable<typeof state>;
      if (write.prepared.company.domain) companyDomain = write.prepared.company.domain;
      const warnings = write.prepared.warnings;
      return position === 0
        ? { index: write.index, status: found ? 'unchanged' : 'created', id, conflicts, warnings }
        : { index: write.index, status: 'merged', id, into: group.writes[0]!.index, conflicts, warnings };
    });
    const first = groupOutcomes[0]!;
    // Every group has at least one write, so the fold has produced a state.
    const folded = state as NonNullable<typeof state>;
    outcomes.push(...groupOutcomes);
    // Diff the folded result against the stored row: rows that undo each other change nothing.
    let changes: Partial<ContactRow> = found ? diffRow(found.row, folded) : {};
    for (const [source, externalId] of group.externalIds) {
      const held = found?.externalIds.get(source) ?? [];
      // A contact merged from two can hold several ids of one source; naming any of them changes nothing.
      if (held.includes(externalId)) continue;
      for (const previous of held) {
        // One id per source: the newer one replaces it, and the report says so.
        replacedExternalIds.push({ contact_id: id, source, external_id: previous });
        first.conflicts.push({ field: `externalIds.${source}`, previous, next: externalId });
      }
      if (found) changes = { ...changes, updated_at: now };
      externalIds.push({ contact_id: id, source, external_id: externalId });
    }
    // A caller that named the company (or cleared it with null) is not second-guessed by matching.
    const companyGiven = group.writes.some((w) => w.prepared.company.id !== undefined);
    const needsCompany = !companyGiven && !folded.company_id && (folded.company_name || companyDomain || folded.email);
    if (!found) {
      const row = {
        ...blankRow(workspaceId, id, now),
        ...folded,
        id,
        workspace_id: workspaceId,
        created_at: now,
        updated_at: now,
      } as ContactRow;
      inserts.push(row);
      if (needsCompany) companyJobs.push({ row, hint: companyHint(folded, companyDomain) });
    } else if (Object.keys(changes).length) {
      const set = { ...changes, updated_at: now };
      updates.push({ id, set });
      if (needsCompany && ('company_name' in changes || 'email' in changes || companyDomain)) {
        companyJobs.push({ row: set, hint: companyHint(folded, companyDomain) });
      }
      first.status = 'updated';
    }
  }

  if (companyJobs.length) {
    const ids = await resolveCompanies(
      tx,
      workspaceId,
      companyJobs.map((j) => j.hint),
      clock,
      companyCache,
    );
    companyJobs.forEach((job, i) => {
      if (ids[i]) job.row.company_id = ids[i];
    });
  }
  await insertContactRows(tx, inserts);
  await updateContactRows(tx, workspaceId, updates);
  for (const row of inserts) noteContactChange(tx, workspaceId, row.id, ['all']);
  const stageWrites = [
    ...inserts.filter((r) => r.lifecycle_stage).map((r) => ({ contactId: r.id, from: null, to: r.lifecycle_stage })),
    ...updates
      .filter((u) => 'lifecycle_stage' in u.set)
      .map((u) => ({ contactId: u.id, from: stages.get(u.id) ?? null, to: u.set.lifecycle_stage ?? null })),
  ];
  await logStageWrites(tx, workspaceId, stageWrites, cause, now);
  for (const { id, set } of updates) noteContactChange(tx, workspaceId, id, fieldReasons(Object.keys(set)));
  for (const old of replacedExternalIds) {
    await tx
      .deleteFrom('contact_external_ids')
      .where('workspace_id', '=', workspaceId)
      .where('source', '=', old.source)
      .where('external_id', '=', old.external_id)
      .where('contact_id', '=', old.contact_id)
      .execute();
  }
  if (externalIds.length) {
    await tx
      .insertInto('contact_external_ids')
      .values(externalIds.map((e) => ({ ...e, workspace_id: workspaceId })))
      .execute();
  }
  return outcomes.sort((a, b) => a.index - b.index);
}

/**
 * Groups that share no email or id can still match one stored contact (one names it by email,
 * another by an id): they become one group, writes in input order, so each folds onto the
 * other's result instead of both diffing against the stored row and one undoing the other.
 */
function foldSameContact(
  groups: WriteGroup[],
  matches: Map<WriteGroup, StoredMatch>,
): { groups: WriteGroup[]; matches: Map<WriteGroup, StoredMatch> } {
  const byContact = new Map<string, WriteGroup>();
  const folded: WriteGroup[] = [];
  for (const group of groups) {
    const match = matches.get(group)!;
    const into = match.kind === 'found' ? byContact.get(match.row.id) : undefined;
    if (!into) {
      if (match.kind === 'found') byContact.set(match.row.id, group);
      folded.push(group);
      continue;
    }
    into.writes = [...into.writes, ...group.writes].sort((a, b) => a.index - b.index);
    for (const email of group.emails) into.emails.add(email);
    for (const [source, id] of group.externalIds) into.externalIds.set(source, id);
    into.pairs.push(...group.pairs);
    matches.delete(group);
  }
  return { groups: folded, matches };
}

function diffRow(stored: ContactRow, next: Partial<ContactRow>): Partial<ContactRow> {
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    if (!sameValue(stored[key as keyof ContactRow], value)) changes[key] = value;
  }
  return changes as Partial<ContactRow>;
}

function companyHint(state: Partial<ContactRow>, companyDomain: string | null | undefined): { name: string | null; domain: string | null } {
  return { name: state.company_name ?? null, domain: companyDomain ?? (state.email ? emailDomain(state.email) : null) };
}

function blankRow(workspaceId: string, id: string, now: Date): ContactRow {
  return {
    id,
    workspace_id: workspaceId,
    email: null,
    first_name: null,
    last_name: null,
    first_name_kana: null,
    last_name_kana: null,
    name_order: 'given_first',
    phone: null,
    job_title: null,
    role_level: null,
    department: null,
    industry: null,
    company_id: null,
    company_name: null,
    employee_count: null,
    country: null,
    region: null,
    timezone: null,
    locale: null,
    owner: null,
    tags: [],
    lifecycle_stage: null,
    first_touch: null,
    last_touch: null,
    first_seen_at: null,
    last_seen_at: null,
    custom: {},
    traits: {},
    created_at: now,
    updated_at: now,
  };
}

import type { Kysely } from 'kysely';
import { anyOf } from '../platform/db/any-of.ts';
import type { ContactRow, DB } from '../platform/db/schema.ts';
import { createUnionFind } from './union-find.ts';
import type { ContactWrite } from './upsert-contacts.ts';

/** The writes of one batch that name the same person, directly or through each other. */
export interface WriteGroup {
  writes: ContactWrite[];
  emails: Set<string>;
  /** Per source, the last id the group's writes give. */
  externalIds: Map<string, string>;
  /** Every (source, id) the writes mention, for matching. */
  pairs: { source: string; id: string }[];
}

export type StoredMatch =
  | { kind: 'new' }
  /** externalIds: per source, every id the contact holds (a merged contact can hold several). */
  | { kind: 'found'; row: ContactRow; externalIds: Map<string, string[]> }
  /** The group's emails and ids belong to several stored contacts: writing would merge them silently. */
  | { kind: 'ambiguous'; contactIds: string[] };

/**
 * Groups writes that share an email or an external id, transitively (row 1 has email a and
 * crm:1, row 2 has crm:1 and email b: one person), in the order they first appear.
 */
export function groupWrites(writes: ContactWrite[]): WriteGroup[] {
  const { find, union } = createUnionFind();
  const keysOf = (write: ContactWrite) => [
    ...(write.prepared.email ? [`e:${write.prepared.email}`] : []),
    ...Object.entries(write.prepared.externalIds).map(([source, id]) => `x:${source}\u0000${id}`),
  ];
  for (const write of writes) {
    const [first, ...rest] = keysOf(write);
    for (const key of rest) union(first!, key);
  }
  const byRoot = new Map<string, WriteGroup>();
  const groups: WriteGroup[] = [];
  for (const write of writes) {
    const keys = keysOf(write);
    // A write without email or id (callers normally refuse those) stands alone.
    const root = keys.length ? find(keys[0]!) : `solo:${write.index}`;
    let group = byRoot.get(root);
    if (!group) {
      group = { writes: [], emails: new Set(), externalIds: new Map(), pairs: [] };
      byRoot.set(root, group);
      groups.push(group);
    }
    group.writes.push(write);
    if (write.prepared.email) group.emails.add(write.prepared.email);
    for (const [source, id] of Object.entries(write.prepared.externalIds)) {
      group.externalIds.set(source, id);
      group.pairs.push({ source, id });
    }
  }
  return groups;
}

/** Finds the stored contact of each group in three queries: by email, by external id, then the rows. */
export async function matchStoredContacts(
  tx: Kysely<DB>,
  workspaceId: string,
  groups: WriteGroup[],
): Promise<Map<WriteGroup, StoredMatch>> {
  const emails = [...new Set(groups.flatMap((g) => [...g.emails]))];
  const ids = [...new Set(groups.flatMap((g) => g.pairs.map((p) => p.id)))];
  const ownerOfEmail = new Map<string, string>();
  if (emails.length) {
    const rows = await tx
      .selectFrom('contacts')
      .select(['id', 'email'])
      .where('workspace_id', '=', workspaceId)
      .where('email', '=', anyOf(emails, 'text'))
      .execute();
    for (const row of rows) ownerOfEmail.set(row.email!, row.id);
  }
  const ownerOfPair = new Map<string, string>();
  if (ids.length) {
    const rows = await tx
      .selectFrom('contact_external_ids')
      .select(['source', 'external_id', 'contact_id'])
      .where('workspace_id', '=', workspaceId)
      .where('external_id', '=', anyOf(ids, 'text'))
      .execute();
    for (const row of rows) ownerOfPair.set(`${row.source}\u0000${row.external_id}`, row.contact_id);
  }
  const owners = new Map<WriteGroup, string[]>();
  for (const group of groups) {
    const found = new Set<string>();
    for (const email of group.emails) if (ownerOfEmail.has(email)) found.add(ownerOfEmail.get(email)!);
    for (const { source, id } of group.pairs)
      if (ownerOfPair.has(`${source}\u0000${id}`)) found.add(ownerOfPair.get(`${source}\u0000${id}`)!);
    owners.set(group, [...found]);
  }
  const single = [...new Set([...owners.values()].filter((o) => o.length === 1).map((o) => o[0]!))];
  const rows = new Map<string, ContactRow>();
  const known = new Map<string, Map<string, string[]>>();
  if (single.length) {
    for (const row of await tx
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', anyOf(single, 'uuid'))
      .execute()) {
      rows.set(row.id, row);
    }
    const pairs = await tx
      .selectFrom('contact_external_ids')
      .select(['contact_id', 'source', 'external_id'])
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', '=', anyOf(single, 'uuid'))
      .execute();
    for (const p of pairs) {
      const ids = known.get(p.contact_id) ?? new Map<string, string[]>();
      ids.set(p.source, [...(ids.get(p.source) ?? []), p.external_id]);
      known.set(p.contact_id, ids);
    }
  }
  const result = new Map<WriteGroup, StoredMatch>();
  for (const [group, found] of owners) {
    if (found.length > 1) result.set(group, { kind: 'ambiguous', contactIds: found.sort() });
    else if (found.length === 1 && rows.has(found[0]!))
      result.set(group, { kind: 'found', row: rows.get(found[0]!)!, externalIds: known.get(found[0]!) ?? new Map() });
    else result.set(group, { kind: 'new' });
  }
  return result;
}

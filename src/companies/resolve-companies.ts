import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { companyNameKey } from '../contacts/cleansing/company-name.ts';
import { isFreeMailDomain } from '../contacts/cleansing/normalize-email.ts';
import type { Clock } from '../platform/clock.ts';
import { anyOf } from '../platform/db/any-of.ts';
import type { DB } from '../platform/db/schema.ts';

/**
 * What one import (or any long writer) has learnt about the workspace's companies, by domain
 * and name key. Entries learnt inside a transaction are journaled: `settleCompanyCache` keeps
 * them once it commits, `forgetUnsettled` drops them when it rolled back (their ids are gone).
 */
export interface CompanyCache {
  byDomain: Map<string, string | null>;
  byKey: Map<string, string[]>;
  unsettled: { domains: string[]; keys: string[] };
  /** companyNameKey per name as written: a pure function, but regex-heavy and asked again every batch. */
  nameKeys: Map<string, string>;
}

export function createCompanyCache(): CompanyCache {
  return { byDomain: new Map(), byKey: new Map(), unsettled: { domains: [], keys: [] }, nameKeys: new Map() };
}

export function settleCompanyCache(cache: CompanyCache): void {
  cache.unsettled = { domains: [], keys: [] };
}

export function forgetUnsettled(cache: CompanyCache): void {
  for (const domain of cache.unsettled.domains) cache.byDomain.delete(domain);
  for (const key of cache.unsettled.keys) cache.byKey.delete(key);
  settleCompanyCache(cache);
}

export interface CompanyHint {
  /** The contact's company name as written (already cleaned). */
  name: string | null;
  /** A web domain: the import's company domain, or the email's domain. Free-mail domains are ignored. */
  domain: string | null;
}

/**
 * Finds or creates the company of each hint, in one round trip for the lookup: a company with the
 * same domain wins; otherwise exactly one company with the same normalised name; otherwise a new
 * company is created when a name is known. A domain alone links only to an existing company.
 * @returns a company id (or null) per hint, in order.
 */
export async function resolveCompanies(
  tx: Kysely<DB>,
  workspaceId: string,
  hints: CompanyHint[],
  clock: Clock,
  cache: CompanyCache = createCompanyCache(),
): Promise<(string | null)[]> {
  const prepared = hints.map((hint) => ({
    domain: hint.domain && !isFreeMailDomain(hint.domain) ? hint.domain : null,
    name: hint.name,
    key: hint.name ? nameKeyOf(hint.name, cache.nameKeys) : null,
  }));
  const { byDomain, byKey } = cache;
  const domains = [...new Set(prepared.map((p) => p.domain).filter((d): d is string => d !== null && !byDomain.has(d)))];
  const keys = [...new Set(prepared.map((p) => p.key).filter((k): k is string => !!k && !byKey.has(k)))];
  if (domains.length || keys.length) {
    const rows = await tx
      .selectFrom('companies')
      .select(['id', 'domain', 'name_key'])
      .where('workspace_id', '=', workspaceId)
      .where((eb) =>
        eb.or([
          ...(domains.length ? [eb('domain', '=', anyOf(domains, 'text'))] : []),
          ...(keys.length ? [eb('name_key', '=', anyOf(keys, 'text'))] : []),
        ]),
      )
      .execute();
    // Remember misses too, so the next batch of an import does not ask again.
    for (const domain of domains) byDomain.set(domain, null);
    for (const key of keys) byKey.set(key, []);
    cache.unsettled.domains.push(...domains);
    cache.unsettled.keys.push(...keys);
    for (const row of rows) {
      if (row.domain) byDomain.set(row.domain, row.id);
      const named = byKey.get(row.name_key) ?? [];
      if (!named.includes(row.id)) byKey.set(row.name_key, [...named, row.id]);
    }
  }

  const now = clock.now();
  const created: {
    id: string;
    workspace_id: string;
    name: string;
    name_key: string;
    domain: string | null;
    created_at: Date;
    updated_at: Date;
  }[] = [];
  const result = prepared.map((p) => {
    if (p.domain && byDomain.get(p.domain)) return byDomain.get(p.domain)!;
    const named = p.key ? (byKey.get(p.key) ?? []) : [];
    if (named.length === 1) return named[0]!;
    if (named.length > 1 || !p.name || !p.key) return null;
    const id = randomUUID();
    created.push({ id, workspace_id: workspaceId, name: p.name, name_key: p.key, domain: p.domain, created_at: now, updated_at: now });
    byKey.set(p.key, [id]);
    cache.unsettled.keys.push(p.key);
    if (p.domain) {
      byDomain.set(p.domain, id);
      cache.unsettled.domains.push(p.domain);
    }
    return id;
  });
  if (created.length) {
    const inserted = await tx
      .insertInto('companies')
      .values(created)
      .onConflict((oc) => oc.columns(['workspace_id', 'domain']).where('domain', 'is not', null).doNothing())
      .returning('id')
      .execute();
    if (inserted.length < created.length) return relinkLost(tx, workspaceId, created, new Set(inserted.map((r) => r.id)), result, cache);
  }
  return result;
}

function nameKeyOf(name: string, memo: Map<string, string>): string {
  let key = memo.get(name);
  if (key === undefined) {
    key = companyNameKey(name);
    if (memo.size >= 100_000) memo.clear();
    memo.set(name, key);
  }
  return key;
}

// Another transaction created a company with one of our domains first: point at theirs.
async function relinkLost(
  tx: Kysely<DB>,
  workspaceId: string,
  created: { id: string; domain: string | null; name_key: string }[],
  insertedIds: Set<string>,
  result: (string | null)[],
  cache: CompanyCache,
): Promise<(string | null)[]> {
  const lost = created.filter((c) => !insertedIds.has(c.id));
  for (const company of lost) {
    cache.byDomain.delete(company.domain!);
    cache.byKey.delete(company.name_key);
  }
  const winners = await tx
    .selectFrom('companies')
    .select(['id', 'domain'])
    .where('workspace_id', '=', workspaceId)
    .where(
      'domain',
      'in',
      lost.map((c) => c.domain!),
    )
    .execute();
  const replacement = new Map(lost.map((c) => [c.id, winners.find((w) => w.domain === c.domain)?.id ?? null]));
  return result.map((id) => (id && replacement.has(id) ? replacement.get(id)! : id));
}

import { statSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { normalizeDomain } from '../companies/normalize-domain.ts';
import { canonicalEmail } from '../contacts/cleansing/normalize-email.ts';
import { normalizeText } from '../contacts/cleansing/normalize-text.ts';
import { ZContactInput } from '../contacts/contact-schema.ts';
import { loadWriteContext } from '../contacts/contacts.ts';
import { prepareContact } from '../contacts/prepare-contact.ts';
import { createUnionFind } from '../contacts/union-find.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { invalidInput, issuesFromZod } from '../platform/errors.ts';
import { detectEncoding } from './csv/detect-encoding.ts';
import { type ColumnMapping, mapHeaders } from './csv/map-headers.ts';
import { createBatchWriter, issue, type Pending, valueAt } from './import-batch-writer.ts';
import { type CsvRecord, type ImportSource, readRecords, readSample } from './read-records.ts';
import { rowToContact } from './row-to-contact.ts';

export type ImportEncoding = 'utf-8' | 'shift_jis';

export interface ImportIssue {
  line: number;
  kind: 'rejected' | 'warning' | 'conflict' | 'merged';
  field: string | null;
  message: string;
  value: string | null;
}

export interface ImportCounts {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  merged: number;
  rejected: number;
  warnings: number;
}

export interface ImportOptions {
  db: Kysely<DB>;
  workspaceId: string;
  source: ImportSource;
  clock: Clock;
  /** 'auto' reads a UTF-8 BOM or valid UTF-8, else Shift_JIS (CP932, as Japanese Excel writes). */
  encoding?: ImportEncoding | 'auto';
  /** Header → field overrides; '' or 'ignore' skips a column. */
  mapping?: Record<string, string>;
  externalIdSource?: string;
  batchSize?: number;
  /** Called inside every batch's transaction, with that batch's issues (store them with the batch). */
  onBatch?: (progress: { processed: number; counts: ImportCounts; issues: ImportIssue[] }, tx: Kysely<DB>) => Promise<void> | void;
}

export interface ImportResult {
  encoding: ImportEncoding;
  headers: string[];
  mapping: ColumnMapping;
  unmapped: string[];
  counts: ImportCounts;
}

// Files up to this size are parsed once and held in memory between the two passes.
const KEEP_IN_MEMORY_BYTES = 64 * 1024 * 1024;

/**
 * Imports contacts from CSV in two streaming passes. The first only learns which lines name
 * the same person (email, external id); the second cleanses each line and writes batches in
 * transactions, holding back a person's lines until their last one so each person is written
 * once with every line folded in. A second import of the same file therefore changes nothing.
 */
export async function importContacts(options: ImportOptions): Promise<ImportResult> {
  const { db, workspaceId, source, clock, batchSize = 1000, externalIdSource = 'import' } = options;
  const encoding = options.encoding && options.encoding !== 'auto' ? options.encoding : detectEncoding(readSample(source));
  const context = await loadWriteContext(db, workspaceId);

  let headers: string[] | undefined;
  let mapping: ColumnMapping = [];
  let unmapped: string[] = [];
  const groups = createUnionFind();
  const lastLineOf = new Map<string, number>();
  let keysOf: (cells: string[]) => string[] = () => [];

  // Pass 1: which lines belong together, and the last line of each person. Only the identity
  // columns are read, in the same canonical form the contact is stored under. A file of
  // ordinary size is kept in memory so pass 2 need not parse it again.
  const kept: CsvRecord[] | undefined = sourceBytes(source) <= KEEP_IN_MEMORY_BYTES ? [] : undefined;
  for await (const record of readRecords(source, encoding)) {
    kept?.push(record);
    const { line, cells } = record;
    if (!headers) {
      headers = cells;
      ({ mapping, unmapped } = readHeader(cells, options.mapping));
      keysOf = identityKeys(mapping, externalIdSource);
      continue;
    }
    const keys = keysOf(cells);
    for (let i = 1; i < keys.length; i++) groups.union(keys[0]!, keys[i]!);
    if (keys[0]) lastLineOf.set(keys[0], line);
  }
  if (!headers)
    throw invalidInput([{ path: 'file', message: 'the file is empty: expected a header line such as メールアドレス,氏名,会社名' }]);
  const lastLineOfGroup = new Map<string, number>();
  for (const [key, line] of lastLineOf) {
    const root = groups.find(key);
    lastLineOfGroup.set(root, Math.max(lastLineOfGroup.get(root) ?? 0, line));
  }

  // Pass 2: cleanse, fold, write. While one batch is being written, the next is cleansed.
  const counts: ImportCounts = { total: 0, created: 0, updated: 0, unchanged: 0, merged: 0, rejected: 0, warnings: 0 };
  const writer = createBatchWriter({ db, workspaceId, clock, counts, onBatch: options.onBatch });
  const held = new Map<string, Pending[]>();
  let batch: Pending[] = [];

  let isHeader = true;
  let sinceYield = 0;
  for await (const { line, cells } of kept ?? readRecords(source, encoding)) {
    if (isHeader) {
      isHeader = false;
      continue;
    }
    // Cleansing is CPU work; let the writer's database round trips through every few rows,
    // or each statement of the batch in flight waits for a whole batch of cleansing.
    if (++sinceYield === 32) {
      sinceYield = 0;
      await new Promise(setImmediate);
    }
    const conversion = rowToContact(cells, mapping, { externalIdSource });
    const pending: Pending = { line, issues: conversion.warnings.map((w) => issue(line, 'warning', w.path, w.message, null)) };
    // The same limits as the API (lengths, control characters): one over-long cell rejects its row, not the file.
    const shape = ZContactInput.safeParse(conversion.input);
    const prepared = !shape.success
      ? { ok: false as const, issues: issuesFromZod(shape.error) }
      : prepareContact(conversion.input, {
          defaultRegion: context.defaultRegion,
          customFields: context.customFields,
          lenientPhone: true,
          coerceCustomText: true,
          companyDomain: conversion.companyDomain ? normalizeDomain(conversion.companyDomain) : undefined,
        });
    if (!prepared.ok) {
      pending.issues.push(...prepared.issues.map((i) => issue(line, 'rejected', i.path, i.message, valueAt(conversion.input, i.path))));
    } else if (!prepared.value.email && Object.keys(prepared.value.externalIds).length === 0) {
      pending.issues.push(issue(line, 'rejected', 'email', 'expected an email address or an external id to identify the contact', null));
    } else {
      pending.write = { index: line, prepared: prepared.value };
      for (const w of prepared.value.warnings)
        pending.issues.push(issue(line, 'warning', w.path, w.message, valueAt(conversion.input, w.path)));
    }
    const firstKey = keysOf(cells)[0];
    const root = firstKey ? groups.find(firstKey) : undefined;
    const isLastOfGroup = !root || (lastLineOfGroup.get(root) ?? line) <= line;
    const group = root ? held.get(root) : undefined;
    if (!isLastOfGroup && pending.write) {
      // Hold a person's lines until their last one, so they are written once, together.
      if (group) group.push(pending);
      else held.set(root!, [pending]);
      continue;
    }
    if (isLastOfGroup && group) {
      held.delete(root!);
      for (const p of group) batch.push(p);
    }
    batch.push(pending);
    if (batch.length >= batchSize) {
      await writer.write(batch);
      batch = [];
    }
  }
  for (const group of held.values()) for (const p of group) batch.push(p);
  await writer.write(batch);
  await writer.finish();
  return { encoding, headers, mapping, unmapped, counts };
}

function sourceBytes(source: ImportSource): number {
  return 'buffer' in source ? source.buffer.length : statSync(source.path).size;
}

/** The identity of a line (canonical email, external id) as union-find keys; nothing is validated here. */
function identityKeys(mapping: ColumnMapping, externalIdSource: string): (cells: string[]) => string[] {
  const emailColumn = mapping.indexOf('email');
  const idColumn = mapping.indexOf('externalId');
  return (cells) => {
    const keys: string[] = [];
    const email = emailColumn >= 0 ? normalizeText(cells[emailColumn]) : null;
    if (email) keys.push(`e:${canonicalEmail(email)}`);
    const id = idColumn >= 0 ? normalizeText(cells[idColumn]?.replace(/\p{Cc}/gu, ' ')) : null;
    if (id) keys.push(`x:${externalIdSource}:${id}`);
    return keys;
  };
}

/** Which field each column feeds; a file that cannot identify anyone is refused before anything is written. */
function readHeader(headers: string[], overrides: Record<string, string> = {}): { mapping: ColumnMapping; unmapped: string[] } {
  const missing = Object.keys(overrides).filter((header) => !headers.includes(header));
  if (missing.length) {
    const names = missing.map((h) => JSON.stringify(h)).join(', ');
    throw invalidInput([
      { path: 'mapping', message: `the mapping names columns the file does not have (${names}); headers were: ${headers.join(', ')}` },
    ]);
  }
  let result: { mapping: ColumnMapping; unmapped: string[] };
  try {
    result = mapHeaders(headers, overrides);
  } catch (error) {
    throw invalidInput([{ path: 'mapping', message: (error as Error).message }]);
  }
  if (!result.mapping.some((m) => m === 'email' || m === 'externalId')) {
    throw invalidInput([
      {
        path: 'mapping',
        message: `no column maps to email or externalId, so no row could be matched to a contact; headers were: ${headers.join(', ')}. Name a column メールアドレス or email, or map one with {"<header>":"email"}`,
      },
    ]);
  }
  return result;
}

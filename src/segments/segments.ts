import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { type Kysely, sql } from 'kysely';
import { type Contact, toContact, ZContact } from '../contacts/contact-schema.ts';
import { assertContactInWorkspace, loadExternalIds } from '../contacts/contacts.ts';
import { listCustomFields } from '../contacts/custom-fields.ts';
import { spreadsheetSafe } from '../imports/imports.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { invalidInput, issuesFromZod, KizunaError, notFound } from '../platform/errors.ts';
import { enqueueJob, type Job } from '../platform/jobs/jobs.ts';
import type { Logger } from '../platform/logger.ts';
import { decodeCursor, encodeCursor, type Page } from '../platform/pagination.ts';
import { readDocument } from '../platform/read-document.ts';
import { publishedModelRows } from '../scoring/runtime.ts';
import { checkCondition, type DefinitionContext } from './check-definition.ts';
import { membersQuery } from './compile.ts';
import { type SegmentDefinition, ZSegmentDefinition } from './condition.ts';
import { FieldCatalog } from './fields.ts';
import { dependentsOf, loadSegmentScope, rebuildSegmentMembers, unitOfWork } from './membership.ts';
import { segmentReads, segmentsReading } from './segment-uses.ts';

export const SEGMENT_REBUILD_JOB = 'segment-rebuild';

export const ZSegmentInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullable().optional(),
    definition: z.unknown().openapi({ description: 'A SegmentDefinition (JSON), or YAML text of one' }),
  })
  .strict()
  .openapi('SegmentInput');
export const ZSegmentPatch = ZSegmentInput.partial().strict().openapi('SegmentPatch');

export const ZSegment = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    /** The definition being edited; `publishedVersion` is what membership follows. */
    draft: ZSegmentDefinition,
    publishedVersion: z.number().int().nullable(),
    /** The draft differs from the published version. */
    unpublishedChanges: z.boolean(),
    archived: z.boolean(),
    build: z.object({
      state: z.enum(['idle', 'queued', 'running', 'failed']),
      phase: z.string().nullable(),
      total: z.number().int().nullable(),
      matched: z.number().int().nullable(),
      entered: z.number().int().nullable(),
      exited: z.number().int().nullable(),
      error: z.string().nullable(),
      builtAt: z.string().nullable(),
    }),
    members: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Segment');
export type Segment = z.infer<typeof ZSegment>;

/** Reads a definition given as an object or as YAML/JSON text; problems are named under `definition`. */
export function parseDefinition(raw: unknown, path = 'definition'): SegmentDefinition {
  return readDocument(ZSegmentDefinition, raw, path, '{"condition": {…}}');
}

/** Checks a definition against the workspace (fields, lists, segments, cycles); throws naming each problem. */
/** What a condition is checked against in a workspace: its fields, its segments (and their references), its lists. */
export async function definitionContext(db: Kysely<DB>, workspaceId: string, selfId?: string): Promise<DefinitionContext> {
  const [customFields, segments, lists, models] = await Promise.all([
    listCustomFields(db, workspaceId),
    segmentReads(db, workspaceId),
    db.selectFrom('lists').select('id').where('workspace_id', '=', workspaceId).execute(),
    publishedModelRows(db, workspaceId),
  ]);
  const graph = new Map(segments.map((s) => [s.id, new Set(s.reads.flatMap((r) => [...r.segments]))]));
  const bandsOf = (definition: unknown) => ((definition as { bands?: { name: string }[] }).bands ?? []).map((b) => b.name);
  return {
    catalog: new FieldCatalog(customFields),
    segments: graph,
    lists: new Set(lists.map((l) => l.id)),
    models: new Map(models.map((m) => [m.id, bandsOf(m.definition)])),
    selfId,
  };
}

export async function checkDefinition(
  db: Kysely<DB>,
  workspaceId: string,
  definition: SegmentDefinition,
  selfId?: string,
  path = 'definition',
): Promise<void> {
  const issues = checkCondition(definition.condition, await definitionContext(db, workspaceId, selfId), [path, 'condition']);
  if (issues.length) throw invalidInput(issues, 'the segment definition is invalid; see errors for each problem');
}

export async function createSegment(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<Segment> {
  const parsed = ZSegmentInput.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const definition = parseDefinition(parsed.data.definition);
  await checkDefinition(db, workspaceId, definition);
  const now = clock.now();
  const id = randomUUID();
  await db
    .insertInto('segments')
    .values({
      id,
      workspace_id: workspaceId,
      name: parsed.data.name,
      description: parsed.data.description ?? null,
      draft: JSON.stringify(definition),
      published_version: null,
      archived_at: null,
      build_phase: null,
      build_total: null,
      build_matched: null,
      build_entered: null,
      build_exited: null,
      build_error: null,
      built_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return getSegment(db, workspaceId, id);
}

/** Edits the draft (and name or description); membership keeps following the published version. */
export async function updateSegment(db: Kysely<DB>, workspaceId: string, id: string, input: unknown, clock: Clock): Promise<Segment> {
  const parsed = ZSegmentPatch.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  await loadSegmentRow(db, workspaceId, id);
  const definition = parsed.data.definition === undefined ? undefined : parseDefinition(parsed.data.definition);
  if (definition) await checkDefinition(db, workspaceId, definition, id);
  await db
    .updateTable('segments')
    .set({
      ...(parsed.data.name !== undefined ? { name: parsed.data.name } : {}),
      ...(parsed.data.description !== undefined ? { description: parsed.data.description } : {}),
      ...(definition ? { draft: JSON.stringify(definition) } : {}),
      updated_at: clock.now(),
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();
  return getSegment(db, workspaceId, id);
}

/**
 * Publishes the draft as the next version and queues a full rebuild (in the background; progress
 * on the segment's `build`). Until the rebuild runs, incremental updates follow the new version.
 */
export async function publishSegment(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<Segment> {
  const row = await loadSegmentRow(db, workspaceId, id);
  if (row.archived_at) throw new KizunaError('conflict', `segment ${id} is archived`);
  const definition = parseDefinition(row.draft, 'draft');
  await checkDefinition(db, workspaceId, definition, id, 'draft');
  const now = clock.now();
  await db.transaction().execute(async (tx) => {
    // Two publishes at once take turns: each numbers its version from the row it locked.
    const locked = await tx.selectFrom('segments').select('published_version').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
    const version = (locked.published_version ?? 0) + 1;
    await tx
      .insertInto('segment_versions')
      .values({ segment_id: id, version, definition: JSON.stringify(definition), published_at: now })
      .execute();
    await tx
      .updateTable('segments')
      .set({ published_version: version, build_state: 'queued', build_phase: null, build_error: null, updated_at: now })
      .where('id', '=', id)
      .execute();
    await enqueueJob(
      tx,
      { kind: SEGMENT_REBUILD_JOB, key: `${SEGMENT_REBUILD_JOB}:${id}:v${version}`, workspaceId, payload: { segmentId: id } },
      clock,
    );
  });
  return getSegment(db, workspaceId, id);
}

/** Queues a full rebuild of a published segment (on demand: after a bulk change made outside Kizuna, say). */
export async function requestRebuild(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<Segment> {
  const row = await loadSegmentRow(db, workspaceId, id);
  if (!row.published_version || row.archived_at) throw new KizunaError('conflict', `segment ${id} is not published; publish it first`);
  const now = clock.now();
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('segments').set({ build_state: 'queued', build_phase: null, build_error: null }).where('id', '=', id).execute();
    await enqueueJob(
      tx,
      { kind: SEGMENT_REBUILD_JOB, key: `${SEGMENT_REBUILD_JOB}:${id}:${now.toISOString()}`, workspaceId, payload: { segmentId: id } },
      clock,
    );
  });
  return getSegment(db, workspaceId, id);
}

/** Archives a segment: membership stops being kept (current stints close), history stays. */
export async function archiveSegment(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<void> {
  await loadSegmentRow(db, workspaceId, id);
  const referring = await segmentsReading(db, workspaceId, (reads) => reads.segments.has(id), id);
  if (referring.length) throw new KizunaError('conflict', `segment ${id} is used by segment ${referring.join(', ')}; change those first`);
  const now = clock.now();
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('segments').set({ archived_at: now, updated_at: now }).where('id', '=', id).execute();
    await tx
      .updateTable('segment_members')
      .set({ exited_at: now, exit_cause: 'archived' })
      .where('segment_id', '=', id)
      .where('exited_at', 'is', null)
      .execute();
    await tx.deleteFrom('segment_checks').where('segment_id', '=', id).execute();
  });
}

export async function getSegment(db: Kysely<DB>, workspaceId: string, id: string): Promise<Segment> {
  const row = await loadSegmentRow(db, workspaceId, id);
  const [published, members] = await Promise.all([
    row.published_version
      ? db
          .selectFrom('segment_versions')
          .select('definition')
          .where('segment_id', '=', id)
          .where('version', '=', row.published_version)
          .executeTakeFirst()
      : undefined,
    db
      .selectFrom('segment_members')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('segment_id', '=', id)
      .where('exited_at', 'is', null)
      .executeTakeFirstOrThrow(),
  ]);
  return toSegment(row, members.n, published ? JSON.stringify(published.definition) !== JSON.stringify(row.draft) : true);
}

export async function listSegments(
  db: Kysely<DB>,
  workspaceId: string,
  { archived = false }: { archived?: boolean } = {},
): Promise<Segment[]> {
  let query = db.selectFrom('segments').select('id').where('workspace_id', '=', workspaceId);
  query = archived ? query : query.where('archived_at', 'is', null);
  const rows = await query.orderBy('created_at').orderBy('id').execute();
  return Promise.all(rows.map((r) => getSegment(db, workspaceId, r.id)));
}

async function loadSegmentRow(db: Kysely<DB>, workspaceId: string, id: string) {
  const row = await db.selectFrom('segments').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('segment', id);
  return row;
}

function toSegment(row: Awaited<ReturnType<typeof loadSegmentRow>>, members: number, unpublishedChanges: boolean): Segment {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    draft: ZSegmentDefinition.parse(row.draft),
    publishedVersion: row.published_version,
    unpublishedChanges,
    archived: row.archived_at !== null,
    build: {
      state: row.build_state,
      phase: row.build_phase,
      total: row.build_total,
      matched: row.build_matched,
      entered: row.build_entered,
      exited: row.build_exited,
      error: row.build_error,
      builtAt: row.built_at?.toISOString() ?? null,
    },
    members,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Runs a queued rebuild: progress is committed between its phases so the API can show it.
 * The segments built on this one are rebuilt after it, each in its own transaction.
 */
export function segmentRebuildHandler({ db, clock, logger }: { db: Kysely<DB>; clock: Clock; logger?: Logger }) {
  return async (job: Job): Promise<void> => {
    const { segmentId } = job.payload as { segmentId: string };
    const workspaceId = job.workspace_id!;
    try {
      await rebuildSegment(db, workspaceId, segmentId, clock);
    } catch (error) {
      await db
        .updateTable('segments')
        .set({ build_state: 'failed', build_phase: null, build_error: (error as Error).message.slice(0, 2000) })
        .where('id', '=', segmentId)
        .execute();
      logger?.warn({ err: error, segmentId }, 'segment rebuild failed');
      throw error;
    }
  };
}

/** A full rebuild of one segment and the segments built on it (what the background job runs). */
export async function rebuildSegment(db: Kysely<DB>, workspaceId: string, segmentId: string, clock: Clock): Promise<void> {
  const total = await db
    .selectFrom('contacts')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  await db
    .updateTable('segments')
    .set({ build_state: 'running', build_phase: 'evaluating', build_total: total.n, build_error: null })
    .where('id', '=', segmentId)
    .execute();
  const dependents = await unitOfWork(db, clock, async (tx) => {
    const scope = await loadSegmentScope(tx, workspaceId);
    if (!scope?.segments.some((s) => s.id === segmentId)) {
      // Archived (or unpublished) while queued: there is nothing to build.
      await tx.updateTable('segments').set({ build_state: 'idle', build_phase: null }).where('id', '=', segmentId).execute();
      return [];
    }
    const result = await rebuildSegmentMembers(tx, scope, segmentId, clock);
    await tx
      .updateTable('segments')
      .set({
        build_state: 'idle',
        build_phase: null,
        build_matched: result.matched,
        build_entered: result.entered,
        build_exited: result.exited,
        built_at: clock.now(),
      })
      .where('id', '=', segmentId)
      .execute();
    return dependentsOf(scope, segmentId).map((s) => s.id);
  });
  for (const dependent of dependents) {
    await unitOfWork(db, clock, async (tx) => {
      const scope = await loadSegmentScope(tx, workspaceId);
      if (scope) await rebuildSegmentMembers(tx, scope, dependent, clock);
    });
  }
}

export const ZPreviewInput = z.object({ definition: z.unknown() }).strict().openapi('SegmentPreviewInput');
export const ZPreview = z.object({ count: z.number().int(), sample: z.array(ZContact) }).openapi('SegmentPreview');

/** Count and up to 20 sample contacts of a definition, evaluated now and saved nowhere. */
export async function previewSegment(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<z.infer<typeof ZPreview>> {
  const parsed = ZPreviewInput.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const definition = parseDefinition(parsed.data.definition);
  await checkDefinition(db, workspaceId, definition);
  const [workspace, customFields] = await Promise.all([
    db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow(),
    listCustomFields(db, workspaceId),
  ]);
  const members = membersQuery(definition.condition, {
    workspaceId,
    now: clock.now(),
    timeZone: workspace.timezone,
    catalog: new FieldCatalog(customFields),
  });
  // Materialised: planned as a build plans it; a LIMIT beside it would tempt the planner into
  // fast-start plans (a probe per contact) that are slow when every row must be counted anyway.
  const { rows } = await sql<{
    id: string;
    total: number;
  }>`WITH m AS MATERIALIZED (${members}) SELECT m.id, (SELECT count(*) FROM m)::int AS total FROM m LIMIT 20`.execute(db);
  const sample = await contactsByIds(
    db,
    workspaceId,
    rows.map((r) => r.id),
  );
  return { count: rows[0]?.total ?? 0, sample };
}

async function contactsByIds(db: Kysely<DB>, workspaceId: string, ids: string[]): Promise<Contact[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute();
  const externalIds = await loadExternalIds(db, ids);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.filter((id) => byId.has(id)).map((id) => toContact(byId.get(id)!, externalIds.get(id)));
}

export const ZMember = z.object({ enteredAt: z.string(), contact: ZContact }).openapi('SegmentMember');

/** Current members, most recent entry first, in keyset pages. */
export async function listSegmentMembers(
  db: Kysely<DB>,
  workspaceId: string,
  segmentId: string,
  { limit, cursor }: { limit: number; cursor?: string },
): Promise<Page<z.infer<typeof ZMember>>> {
  await loadSegmentRow(db, workspaceId, segmentId);
  const after = decodeCursor(cursor);
  let query = db
    .selectFrom('segment_members')
    .select(['contact_id', 'entered_at'])
    .where('segment_id', '=', segmentId)
    .where('exited_at', 'is', null);
  if (after)
    query = query.where(sql<boolean>`(entered_at, contact_id) < (${new Date(String(after.value))}::timestamptz, ${after.id}::uuid)`);
  const rows = await query
    .orderBy('entered_at', 'desc')
    .orderBy('contact_id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const contacts = await contactsByIds(
    db,
    workspaceId,
    page.map((r) => r.contact_id),
  );
  const byId = new Map(contacts.map((c) => [c.id, c]));
  const last = page.at(-1);
  return {
    items: page
      .filter((r) => byId.has(r.contact_id))
      .map((r) => ({ enteredAt: r.entered_at.toISOString(), contact: byId.get(r.contact_id)! })),
    nextCursor: rows.length > limit && last ? encodeCursor({ value: last.entered_at.toISOString(), id: last.contact_id }) : null,
  };
}

/** Every current member as CSV rows (header first), streamed in pages. */
export async function* segmentMembersCsv(db: Kysely<DB>, workspaceId: string, segmentId: string): AsyncGenerator<string[]> {
  yield ['id', 'email', 'last_name', 'first_name', 'company_name', 'lifecycle_stage', 'entered_at'];
  let cursor: string | undefined;
  do {
    const page = await listSegmentMembers(db, workspaceId, segmentId, { limit: 500, cursor });
    for (const { contact, enteredAt } of page.items)
      yield [
        contact.id,
        contact.email ?? '',
        contact.lastName ?? '',
        contact.firstName ?? '',
        contact.companyName ?? '',
        contact.lifecycleStage ?? '',
        enteredAt,
      ].map(spreadsheetSafe);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

export const ZMemberships = z
  .object({
    segments: z.array(z.object({ segmentId: z.uuid(), name: z.string(), enteredAt: z.string() })),
    lists: z.array(z.object({ listId: z.uuid(), name: z.string(), addedAt: z.string() })),
    history: z.array(
      z.object({
        segmentId: z.uuid(),
        name: z.string(),
        version: z.number().int(),
        enteredAt: z.string(),
        enterCause: z.string(),
        exitedAt: z.string().nullable(),
        exitCause: z.string().nullable(),
      }),
    ),
  })
  .openapi('ContactMemberships');

/** A contact's current segments and lists, and its last 100 segment stints. */
export async function contactMemberships(db: Kysely<DB>, workspaceId: string, contactId: string): Promise<z.infer<typeof ZMemberships>> {
  await assertContactInWorkspace(db, workspaceId, contactId);
  const [current, stints, lists] = await Promise.all([
    db
      .selectFrom('segment_members as m')
      .innerJoin('segments as s', 's.id', 'm.segment_id')
      .select(['m.segment_id', 's.name', 'm.entered_at'])
      .where('m.contact_id', '=', contactId)
      .where('m.workspace_id', '=', workspaceId)
      .where('m.exited_at', 'is', null)
      .orderBy('m.entered_at', 'desc')
      .execute(),
    db
      .selectFrom('segment_members as m')
      .innerJoin('segments as s', 's.id', 'm.segment_id')
      .select(['m.segment_id', 's.name', 'm.version', 'm.entered_at', 'm.enter_cause', 'm.exited_at', 'm.exit_cause'])
      .where('m.contact_id', '=', contactId)
      .where('m.workspace_id', '=', workspaceId)
      .orderBy('m.entered_at', 'desc')
      .limit(100)
      .execute(),
    db
      .selectFrom('list_members as lm')
      .innerJoin('lists as l', 'l.id', 'lm.list_id')
      .select(['lm.list_id', 'l.name', 'lm.added_at'])
      .where('lm.contact_id', '=', contactId)
      .where('lm.workspace_id', '=', workspaceId)
      .orderBy('lm.added_at', 'desc')
      .execute(),
  ]);
  return {
    segments: current.map((s) => ({ segmentId: s.segment_id, name: s.name, enteredAt: s.entered_at.toISOString() })),
    lists: lists.map((l) => ({ listId: l.list_id, name: l.name, addedAt: l.added_at.toISOString() })),
    history: stints.map((s) => ({
      segmentId: s.segment_id,
      name: s.name,
      version: s.version,
      enteredAt: s.entered_at.toISOString(),
      enterCause: s.enter_cause,
      exitedAt: s.exited_at?.toISOString() ?? null,
      exitCause: s.exit_cause,
    })),
  };
}

/** The fields a condition can name in this workspace (for editors and error messages). */
export async function conditionFields(db: Kysely<DB>, workspaceId: string): Promise<string[]> {
  return new FieldCatalog(await listCustomFields(db, workspaceId)).names();
}

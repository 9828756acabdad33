import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { invalidInput, KizunaError } from '../platform/errors.ts';
import { enqueueJob } from '../platform/jobs/jobs.ts';
import { parseInput } from '../platform/parse-input.ts';
import { isTimeZone } from '../platform/time-zone.ts';
import { SEGMENT_REBUILD_JOB } from '../segments/segments.ts';

const ZName = z.string().trim().min(1, 'expected a non-empty name').max(200);
const ZRegion = z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 two-letter country code such as JP');
const ZTimeZone = z.string().refine(isTimeZone, 'expected an IANA time zone such as Asia/Tokyo');
const ZLocale = z.enum(['ja', 'en']);

export const ZWorkspaceInput = z.object({
  name: ZName,
  defaultRegion: ZRegion.optional(),
  timezone: ZTimeZone.optional(),
  locale: ZLocale.optional(),
});
export type WorkspaceInput = z.input<typeof ZWorkspaceInput>;

/** What an admin may change of a workspace: any of its name, phone region, time zone and language. */
export const ZWorkspacePatch = z
  .object({
    name: ZName.optional(),
    /** Region for phone numbers written without a country code (imports, forms, API) from now on. */
    defaultRegion: ZRegion.optional(),
    /** Contacts without a time zone of their own, date conditions, reports, owner emails. */
    timezone: ZTimeZone.optional(),
    /** Owner emails, the language of journey templates installed from now on, and of public pages for contacts without one. */
    locale: ZLocale.optional(),
  })
  .strict()
  .openapi('WorkspacePatch');
export type WorkspacePatch = z.input<typeof ZWorkspacePatch>;

export const ZWorkspace = z
  .object({
    id: z.uuid(),
    name: z.string(),
    defaultRegion: z.string().openapi({ example: 'JP' }),
    timezone: z.string().openapi({ example: 'Asia/Tokyo' }),
    locale: z.string().openapi({ example: 'ja' }),
    createdAt: z.date(),
  })
  .openapi('Workspace');

export interface Workspace {
  id: string;
  name: string;
  defaultRegion: string;
  timezone: string;
  locale: string;
  createdAt: Date;
}

/** Creates a workspace: the tenant every other row belongs to. */
export async function createWorkspace(db: Kysely<DB>, input: WorkspaceInput, clock: Clock): Promise<Workspace> {
  const parsed = parseInput(ZWorkspaceInput, input);
  const row = await db
    .insertInto('workspaces')
    .values({
      id: randomUUID(),
      name: parsed.name,
      default_region: parsed.defaultRegion ?? 'JP',
      timezone: parsed.timezone ?? 'Asia/Tokyo',
      locale: parsed.locale ?? 'ja',
      created_at: clock.now(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toWorkspace(row);
}

/** The workspace of an API key (or a CLI's `--workspace`). */
export async function getWorkspace(db: Kysely<DB>, id: string): Promise<Workspace> {
  const row = await db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new KizunaError('not_found', `there is no workspace ${id}`);
  return toWorkspace(row);
}

/**
 * Changes a workspace's settings. A new time zone moves the day boundaries every date condition
 * counts in, so every published segment is queued for a rebuild in the same transaction (its
 * members and scheduled re-checks were computed in the old zone).
 */
export async function updateWorkspace(db: Kysely<DB>, id: string, input: unknown, clock: Clock): Promise<Workspace> {
  const patch = parseInput(ZWorkspacePatch, input);
  if (Object.keys(patch).length === 0)
    throw invalidInput([{ path: '', message: 'expected at least one of name, defaultRegion, timezone, locale' }]);
  return db.transaction().execute(async (tx) => {
    const before = await getWorkspace(tx, id);
    const row = await tx
      .updateTable('workspaces')
      .set({
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.defaultRegion === undefined ? {} : { default_region: patch.defaultRegion }),
        ...(patch.timezone === undefined ? {} : { timezone: patch.timezone }),
        ...(patch.locale === undefined ? {} : { locale: patch.locale }),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (row.timezone !== before.timezone) {
      const segments = await tx
        .updateTable('segments')
        .set({ build_state: 'queued', build_phase: null, build_error: null })
        .where('workspace_id', '=', id)
        .where('published_version', 'is not', null)
        .where('archived_at', 'is', null)
        .returning('id')
        .execute();
      const now = clock.now();
      for (const { id: segmentId } of segments)
        await enqueueJob(
          tx,
          {
            kind: SEGMENT_REBUILD_JOB,
            key: `${SEGMENT_REBUILD_JOB}:${segmentId}:timezone:${now.toISOString()}`,
            workspaceId: id,
            payload: { segmentId },
          },
          clock,
        );
    }
    return toWorkspace(row);
  });
}

export async function listWorkspaces(db: Kysely<DB>): Promise<Workspace[]> {
  const rows = await db.selectFrom('workspaces').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toWorkspace);
}

function toWorkspace(row: {
  id: string;
  name: string;
  default_region: string;
  timezone: string;
  locale: string;
  created_at: Date;
}): Workspace {
  return {
    id: row.id,
    name: row.name,
    defaultRegion: row.default_region,
    timezone: row.timezone,
    locale: row.locale,
    createdAt: row.created_at,
  };
}

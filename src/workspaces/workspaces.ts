import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { parseInput } from '../platform/parse-input.ts';
import { isTimeZone } from '../platform/time-zone.ts';

export const ZWorkspaceInput = z.object({
  name: z.string().trim().min(1, 'expected a non-empty name').max(200),
  defaultRegion: z
    .string()
    .regex(/^[A-Z]{2}$/, 'expected an ISO 3166 two-letter country code such as JP')
    .optional(),
  timezone: z.string().refine(isTimeZone, 'expected an IANA time zone such as Asia/Tokyo').optional(),
  locale: z.enum(['ja', 'en']).optional(),
});
export type WorkspaceInput = z.input<typeof ZWorkspaceInput>;

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

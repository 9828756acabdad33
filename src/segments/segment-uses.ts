import type { Kysely } from 'kysely';
import type { DB } from '../platform/db/schema.ts';
import { dependencies } from './compile.ts';
import { ZSegmentDefinition } from './condition.ts';

export type Dependencies = ReturnType<typeof dependencies>;

/**
 * What every live (not archived) segment of a workspace reads, from its draft and from its
 * published version: both count, the draft because it will be published, the published version
 * because membership follows it now.
 */
export async function segmentReads(db: Kysely<DB>, workspaceId: string): Promise<{ id: string; reads: Dependencies[] }[]> {
  const rows = await db
    .selectFrom('segments as s')
    .leftJoin('segment_versions as v', (join) => join.onRef('v.segment_id', '=', 's.id').onRef('v.version', '=', 's.published_version'))
    .select(['s.id', 's.draft', 'v.definition'])
    .where('s.workspace_id', '=', workspaceId)
    .where('s.archived_at', 'is', null)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    reads: [row.draft, row.definition].flatMap((doc) => {
      const parsed = doc ? ZSegmentDefinition.safeParse(doc) : undefined;
      return parsed?.success ? [dependencies(parsed.data.condition)] : [];
    }),
  }));
}

/** The live segments (other than `except`) whose draft or published version reads what `test` looks for. */
export async function segmentsReading(
  db: Kysely<DB>,
  workspaceId: string,
  test: (reads: Dependencies) => boolean,
  except?: string,
): Promise<string[]> {
  return (await segmentReads(db, workspaceId)).filter((s) => s.id !== except && s.reads.some(test)).map((s) => s.id);
}

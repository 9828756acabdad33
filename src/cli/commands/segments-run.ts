import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadConfig } from '../../platform/config.ts';
import { invalidInput, issuesFromZod, KizunaError } from '../../platform/errors.ts';
import {
  checkDefinition,
  createSegment,
  getSegment,
  listSegments,
  parseDefinition,
  publishSegment,
  rebuildSegment,
  updateSegment,
} from '../../segments/segments.ts';
import { assertUuid, openRuntime, type Runtime, resolveWorkspaceId } from '../runtime.ts';

/** A segment file: its name and description next to the definition (`schemaVersion`, `condition`). */
const ZSegmentFile = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullable().optional(),
    schemaVersion: z.literal(1).default(1),
    condition: z.unknown(),
  })
  .strict();

function readSegmentFile(path: string): z.infer<typeof ZSegmentFile> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KizunaError('invalid_input', `cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw invalidInput([{ path: 'file', message: `${path} is not YAML or JSON: ${(error as Error).message.split('\n')[0]}` }]);
  }
  const parsed = ZSegmentFile.safeParse(value);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error), `${path} is not a segment file`);
  return parsed.data;
}

async function withRuntime<T>(options: { workspace?: string }, run: (runtime: Runtime, workspaceId: string) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(loadConfig(), { quiet: true });
  try {
    return await run(runtime, await resolveWorkspaceId(runtime, options.workspace));
  } finally {
    await runtime.database.close();
  }
}

/** `kizuna segments list`. */
export function runSegmentsList(options: { workspace?: string }): Promise<void> {
  return withRuntime(options, async ({ database }, workspaceId) => {
    for (const s of await listSegments(database.db, workspaceId)) {
      const version = s.publishedVersion ? `v${s.publishedVersion}` : 'draft';
      process.stdout.write(
        `${s.id}  ${version.padEnd(5)}  ${String(s.members).padStart(8)} members  ${s.build.state.padEnd(7)}  ${s.name}\n`,
      );
    }
  });
}

/** `kizuna segments validate -f <file>`: checks the file against the workspace, saves nothing. */
export function runSegmentsValidate(options: { file: string; workspace?: string }): Promise<void> {
  return withRuntime(options, async ({ database }, workspaceId) => {
    const file = readSegmentFile(options.file);
    const existing = (await listSegments(database.db, workspaceId)).find((s) => s.name === file.name);
    await checkDefinition(
      database.db,
      workspaceId,
      parseDefinition({ schemaVersion: file.schemaVersion, condition: file.condition }, 'condition'),
      existing?.id,
      'file',
    );
    process.stdout.write(`${options.file}: valid\n`);
  });
}

/** `kizuna segments apply -f <file>`: creates the segment or updates the draft of the one with its name. */
export function runSegmentsApply(options: { file: string; publish?: boolean; workspace?: string }): Promise<void> {
  return withRuntime(options, async ({ database, clock }, workspaceId) => {
    const file = readSegmentFile(options.file);
    const definition = { schemaVersion: file.schemaVersion, condition: file.condition };
    const existing = (await listSegments(database.db, workspaceId)).find((s) => s.name === file.name);
    const segment = existing
      ? await updateSegment(database.db, workspaceId, existing.id, { description: file.description, definition }, clock)
      : await createSegment(database.db, workspaceId, { name: file.name, description: file.description, definition }, clock);
    process.stdout.write(`${existing ? 'updated' : 'created'} ${segment.id} ${segment.name}\n`);
    if (!options.publish) return;
    const published = await publishSegment(database.db, workspaceId, segment.id, clock);
    await rebuildSegment(database.db, workspaceId, segment.id, clock);
    const built = await getSegment(database.db, workspaceId, segment.id);
    process.stdout.write(
      `published v${published.publishedVersion}: ${built.members} members (${built.build.entered} entered, ${built.build.exited} exited)\n`,
    );
  });
}

/** `kizuna segments rebuild <id>`. */
export function runSegmentsRebuild(id: string, options: { workspace?: string }): Promise<void> {
  assertUuid(id, 'id');
  return withRuntime(options, async ({ database, clock }, workspaceId) => {
    const before = await getSegment(database.db, workspaceId, id);
    if (!before.publishedVersion) throw new KizunaError('conflict', `segment ${id} is not published; publish it first`);
    await rebuildSegment(database.db, workspaceId, id, clock);
    const built = await getSegment(database.db, workspaceId, id);
    process.stdout.write(`${built.name}: ${built.members} members (${built.build.entered} entered, ${built.build.exited} exited)\n`);
  });
}

import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import { inTransaction } from '../../platform/db/in-transaction.ts';
import type { DB } from '../../platform/db/schema.ts';
import { invalidInput, issuesFromZod, KizunaError, notFound } from '../../platform/errors.ts';
import { readDocument } from '../../platform/read-document.ts';
import { definitionContext } from '../../segments/segments.ts';
import { checkTemplate } from './check-template.ts';
import { lintTemplate } from './lint.ts';
import { draftKey, type PreparedTemplate, type TemplateRenderer, versionKey } from './render.ts';
import { type CompiledTemplate, type TemplateDefinition, ZCompiledTemplate, ZTemplateDefinition, ZTemplateWarning } from './template.ts';

export const ZTemplateInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullable().optional(),
    definition: z.unknown().openapi({ description: 'A TemplateDefinition (JSON), or YAML text of one' }),
  })
  .strict()
  .openapi('TemplateInput');

export const ZTemplate = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    draft: ZTemplateDefinition,
    publishedVersion: z.number().int().nullable(),
    versions: z.array(z.object({ version: z.number().int(), publishedAt: z.string() })),
    archived: z.boolean(),
    /** Lint findings for the draft (returned by save, publish and get; lists leave them out). */
    warnings: z.array(ZTemplateWarning).optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Template');
export type Template = z.infer<typeof ZTemplate>;

/**
 * Reads a template definition (object, or YAML/JSON text) and checks it completely: schema,
 * Liquid syntax and variables, block conditions against the workspace, MJML. Throws one
 * invalid_input naming every problem's path (with line and column); returns the compiled HTML.
 */
export async function parseTemplate(
  db: Kysely<DB>,
  workspaceId: string,
  raw: unknown,
  renderer: TemplateRenderer,
  path = 'definition',
): Promise<{ definition: TemplateDefinition; compiled: CompiledTemplate }> {
  const definition = readDocument(ZTemplateDefinition, raw, path, '{"format": "mjml", "defaultLocale": "ja", "locales": {"ja": {…}}}');
  const issues = checkTemplate(definition, await definitionContext(db, workspaceId), renderer.engines, path);
  // MJML is compiled only once the Liquid is sound: a broken tag would only repeat as an MJML error.
  const compiled = issues.length ? undefined : await renderer.compile(definition);
  if (compiled?.issues.length) issues.push(...compiled.issues);
  if (issues.length || !compiled?.compiled) throw invalidInput(issues, 'the template is invalid; see errors for each problem');
  return { definition, compiled: compiled.compiled };
}

export async function createTemplate(
  db: Kysely<DB>,
  workspaceId: string,
  input: unknown,
  { clock, renderer }: { clock: Clock; renderer: TemplateRenderer },
): Promise<Template> {
  const parsed = ZTemplateInput.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const { definition } = await parseTemplate(db, workspaceId, parsed.data.definition, renderer);
  const now = clock.now();
  const id = randomUUID();
  await db
    .insertInto('templates')
    .values({
      id,
      workspace_id: workspaceId,
      name: parsed.data.name,
      description: parsed.data.description ?? null,
      draft: JSON.stringify(definition),
      published_version: null,
      archived_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return getTemplate(db, workspaceId, id, { withWarnings: true });
}

/** Replaces the draft, name and description (PUT): nothing is written unless the whole template is valid. */
export async function updateTemplate(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  input: unknown,
  { clock, renderer }: { clock: Clock; renderer: TemplateRenderer },
): Promise<Template> {
  const parsed = ZTemplateInput.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const row = await loadTemplateRow(db, workspaceId, id);
  if (row.archived_at) throw new KizunaError('conflict', `template ${id} is archived`);
  const { definition } = await parseTemplate(db, workspaceId, parsed.data.definition, renderer);
  await db
    .updateTable('templates')
    .set({
      name: parsed.data.name,
      description: parsed.data.description ?? null,
      draft: JSON.stringify(definition),
      updated_at: clock.now(),
    })
    .where('id', '=', id)
    .execute();
  return getTemplate(db, workspaceId, id, { withWarnings: true });
}

/** Publishes the draft as the next version, with each locale's body compiled to HTML once, here. */
export async function publishTemplate(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  { clock, renderer }: { clock: Clock; renderer: TemplateRenderer },
): Promise<Template> {
  const row = await loadTemplateRow(db, workspaceId, id);
  if (row.archived_at) throw new KizunaError('conflict', `template ${id} is archived`);
  // Checked again: a custom field or list a block condition names may have gone since the save.
  const { definition, compiled } = await parseTemplate(db, workspaceId, row.draft, renderer, 'draft');
  const now = clock.now();
  await inTransaction(db, async (tx) => {
    const locked = await tx.selectFrom('templates').select('published_version').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
    const version = (locked.published_version ?? 0) + 1;
    await tx
      .insertInto('template_versions')
      .values({ template_id: id, version, definition: JSON.stringify(definition), compiled: JSON.stringify(compiled), published_at: now })
      .execute();
    await tx.updateTable('templates').set({ published_version: version, updated_at: now }).where('id', '=', id).execute();
  });
  return getTemplate(db, workspaceId, id, { withWarnings: true });
}

export async function archiveTemplate(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<void> {
  await loadTemplateRow(db, workspaceId, id);
  const now = clock.now();
  await db.updateTable('templates').set({ archived_at: now, updated_at: now }).where('id', '=', id).execute();
}

export async function getTemplate(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  { withWarnings = true }: { withWarnings?: boolean } = {},
): Promise<Template> {
  const row = await loadTemplateRow(db, workspaceId, id);
  const versions = await db
    .selectFrom('template_versions')
    .select(['version', 'published_at'])
    .where('template_id', '=', id)
    .orderBy('version')
    .execute();
  const draft = ZTemplateDefinition.parse(row.draft);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    draft,
    publishedVersion: row.published_version,
    versions: versions.map((v) => ({ version: v.version, publishedAt: v.published_at.toISOString() })),
    archived: row.archived_at !== null,
    ...(withWarnings ? { warnings: lintTemplate(draft, 'draft') } : {}),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function listTemplates(db: Kysely<DB>, workspaceId: string): Promise<Template[]> {
  const rows = await db
    .selectFrom('templates')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('archived_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return Promise.all(rows.map((r) => getTemplate(db, workspaceId, r.id, { withWarnings: false })));
}

/** Lint findings for a template's draft or one of its published versions. */
export async function lintStoredTemplate(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  version?: number,
): Promise<z.infer<typeof ZTemplateWarning>[]> {
  const row = await loadTemplateRow(db, workspaceId, id);
  if (version === undefined) return lintTemplate(ZTemplateDefinition.parse(row.draft), 'draft');
  return lintTemplate((await loadVersionRow(db, id, version)).definition, 'definition');
}

/**
 * A template ready to render, from this process's cache when it has it: a published version
 * (the current one when `version` is undefined) or the draft (`'draft'`, compiled on first use
 * and cached by content). A sender calls this once per broadcast, then `renderer.render` per recipient.
 */
export async function loadPreparedTemplate(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  { renderer, version }: { renderer: TemplateRenderer; version?: number | 'draft' },
): Promise<PreparedTemplate> {
  const row = await loadTemplateRow(db, workspaceId, id);
  if (version === 'draft') {
    const definition = ZTemplateDefinition.parse(row.draft);
    const key = draftKey(id, definition);
    const hit = renderer.cached(key);
    if (hit) return hit;
    const compiled = await renderer.compile(definition);
    if (!compiled.compiled) throw invalidInput(compiled.issues, 'the draft does not compile; see errors');
    return renderer.prepare(key, id, null, definition, compiled.compiled);
  }
  const wanted = version ?? row.published_version;
  if (wanted === null) throw new KizunaError('conflict', `template ${id} has no published version yet; publish it or preview the draft`);
  const key = versionKey(id, wanted);
  const hit = renderer.cached(key);
  if (hit) return hit;
  const stored = await loadVersionRow(db, id, wanted);
  return renderer.prepare(key, id, wanted, stored.definition, stored.compiled);
}

async function loadVersionRow(db: Kysely<DB>, id: string, version: number) {
  const row = await db
    .selectFrom('template_versions')
    .select(['definition', 'compiled'])
    .where('template_id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) throw notFound('template version', `${id} v${version}`);
  return { definition: ZTemplateDefinition.parse(row.definition), compiled: ZCompiledTemplate.parse(row.compiled) };
}

async function loadTemplateRow(db: Kysely<DB>, workspaceId: string, id: string) {
  const row = await db.selectFrom('templates').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('template', id);
  return row;
}

import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { createTemplateRenderer } from '../../messaging/templates/render.ts';
import { type FieldIssue, invalidInput, KizunaError } from '../../platform/errors.ts';
import { type ApplyDocument, type ApplyResult, applyDocuments } from '../apply-documents.ts';
import { type CliDeps, processCliDeps, withWorkspace } from '../cli-deps.ts';

/** Reads each file (or stdin for "-") into its documents, numbered from 1 within the file. */
async function readDocuments(files: string[], deps: CliDeps): Promise<ApplyDocument[]> {
  const documents: ApplyDocument[] = [];
  const issues: FieldIssue[] = [];
  for (const file of files) {
    const name = file === '-' ? 'stdin' : file;
    let text: string;
    try {
      text = file === '-' ? await deps.readStdin() : await readFile(file, 'utf8');
    } catch (error) {
      throw new KizunaError('not_found', `cannot read ${file}: ${(error as Error).message}`);
    }
    let index = 0;
    for (const doc of parseAllDocuments(text)) {
      const error = doc.errors[0];
      if (error) {
        const line = error.linePos?.[0];
        issues.push({
          path: `${name}${line ? ` line ${line.line}` : ''}`,
          message: `not valid YAML or JSON: ${error.message.split('\n')[0]}`,
        });
        continue;
      }
      const value = doc.toJS();
      if (value === null || value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) documents.push({ source: `${name} document ${++index}`, value: item });
    }
  }
  if (issues.length) throw invalidInput(issues, 'a file could not be read; nothing was applied');
  if (documents.length === 0) throw new KizunaError('invalid_input', `no documents in ${files.join(', ')}`);
  return documents;
}

function describe(result: ApplyResult, isDryRun: boolean): string {
  const would = isDryRun ? 'would be ' : '';
  const kind = result.kind.padEnd(13);
  const id = (result.id ?? '(new)').padEnd(36);
  const published =
    result.publishedVersion === undefined ? '' : isDryRun ? ', would be published' : `, published v${result.publishedVersion}`;
  return `${kind} ${id}  ${would}${result.outcome}${published}  ${result.name}\n`;
}

export interface ApplyOptions {
  file: string[];
  publish: boolean;
  dryRun: boolean;
  workspace?: string;
}

/** `kizuna apply`: reads every file, then creates or updates (and with --publish publishes) each document's object by name. */
export async function runApply(options: ApplyOptions, deps: CliDeps = processCliDeps): Promise<void> {
  const documents = await readDocuments(options.file, deps);
  await withWorkspace(deps, options.workspace, async ({ database, clock }, workspaceId) => {
    const ctx = { db: database.db, workspaceId, clock, renderer: createTemplateRenderer(), publishingTemplateIds: new Set<string>() };
    const results = await applyDocuments(ctx, documents, {
      publish: options.publish,
      dryRun: options.dryRun,
      onResult: (result) => deps.write(describe(result, options.dryRun)),
    });
    if (options.dryRun) deps.write(`dry run: ${results.length} documents valid; nothing was changed\n`);
  });
}

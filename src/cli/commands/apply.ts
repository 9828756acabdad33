import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { createTemplateRenderer } from '../../messaging/templates/render.ts';
import { type FieldIssue, invalidInput, KizunaError } from '../../platform/errors.ts';
import { type ApplyDocument, type ApplyResult, applyDocuments } from '../apply-documents.ts';
import { type CliDeps, processCliDeps, withWorkspace } from '../cli-deps.ts';

const EXAMPLE = `
A file holds one document or several separated by "---" (YAML), or a JSON object or array.
Each document is a kind (template, segment, scoring_model, journey), a name, and the body
the API takes for that kind (description, definition):

  kind: segment
  name: 首都圏の見込み客
  definition:
    condition: { type: field, field: region, operator: in, value: [東京都, 神奈川県] }
  ---
  kind: journey
  name: ウェルカム
  definition:
    trigger: { type: segment_entered, segmentId: 3f2b8c1e-… }
    start: welcome
    nodes:
      - { id: welcome, type: send, templateId: 9a1d…-… }

Objects are matched by kind and name: a new name creates, a known one updates its draft.
Every document is checked first (as publish checks it); if any is invalid nothing is written.

Examples:
  $ kizuna apply -f marketing.yaml --dry-run
  $ kizuna apply -f segments.yaml -f journeys.yaml --publish
  $ cat journey.json | kizuna apply -f -`;

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

export function registerApply(program: Command, deps: CliDeps = processCliDeps): void {
  program
    .command('apply')
    .description('create or update templates, segments, scoring models and journeys from YAML or JSON files, by name')
    .requiredOption(
      '-f, --file <path>',
      'a YAML or JSON file of one or more documents; "-" reads stdin; repeat for several files',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--publish', 'also publish each object whose draft differs from its published version', false)
    .option('--dry-run', 'check every document and say what would change; write nothing', false)
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .addHelpText('after', EXAMPLE)
    .action(async (options: { file: string[]; publish: boolean; dryRun: boolean; workspace?: string }) => {
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
    });
}

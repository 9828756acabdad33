import type { Command } from 'commander';
import type { CliDeps } from '../cli-deps.ts';
import type { ApplyOptions } from './apply-run.ts';

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

/** Without `deps`, the command uses the configured database and the process's streams (processCliDeps). */
export function registerApply(program: Command, deps?: CliDeps): void {
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
    .action(async (options: ApplyOptions) => {
      const { runApply } = await import('./apply-run.ts');
      await runApply(options, deps);
    });
}

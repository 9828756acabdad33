import type { Command } from 'commander';

export function registerSegments(program: Command): void {
  const segments = program.command('segments').description('list, check, apply (from YAML or JSON files), publish and rebuild segments');
  segments
    .command('list')
    .description('list segments: id, published version, members, build state, name')
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .action(async (options: { workspace?: string }) => {
      const { runSegmentsList } = await import('./segments-run.ts');
      await runSegmentsList(options);
    });
  segments
    .command('validate')
    .description('check a segment file against the workspace (fields, operators, values, lists, cycles) without saving it')
    .requiredOption('-f, --file <path>', 'a YAML or JSON file: name, description, schemaVersion, condition')
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .action(async (options: { file: string; workspace?: string }) => {
      const { runSegmentsValidate } = await import('./segments-run.ts');
      await runSegmentsValidate(options);
    });
  segments
    .command('apply')
    .description(
      'create the segment a file describes, or update the draft of the segment with its name; --publish publishes and builds it now',
    )
    .requiredOption('-f, --file <path>', 'a YAML or JSON file: name, description, schemaVersion, condition')
    .option('--publish', 'publish the draft and build its membership before returning')
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .action(async (options: { file: string; publish?: boolean; workspace?: string }) => {
      const { runSegmentsApply } = await import('./segments-run.ts');
      await runSegmentsApply(options);
    });
  segments
    .command('rebuild <id>')
    .description('evaluate a published segment over every contact now (and the segments built on it)')
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .action(async (id: string, options: { workspace?: string }) => {
      const { runSegmentsRebuild } = await import('./segments-run.ts');
      await runSegmentsRebuild(id, options);
    });
}

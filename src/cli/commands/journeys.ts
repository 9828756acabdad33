import type { Command } from 'commander';
import type { CliDeps } from '../cli-deps.ts';

const WORKSPACE = ['--workspace <id>', 'workspace id (default: the first workspace)'] as const;

/** Without `deps`, the commands use the configured database and the process's streams (processCliDeps). */
export function registerJourneys(program: Command, deps?: CliDeps): void {
  const journeys = program
    .command('journeys')
    .description('list journeys, count contacts per node, and trace the journeys of one contact')
    .addHelpText('after', '\nCreate and publish journeys with "kizuna apply -f journey.yaml --publish"; try them with "kizuna simulate".');
  journeys
    .command('list')
    .description('list journeys: id, status, published version, active enrolments, name (archived ones with --archived)')
    .option('--archived', 'include archived journeys', false)
    .option(...WORKSPACE)
    .addHelpText('after', '\nExample:\n  $ kizuna journeys list')
    .action(async (options: { archived: boolean; workspace?: string }) => {
      const { runJourneysList } = await import('./journeys-run.ts');
      await runJourneysList(options, deps);
    });
  journeys
    .command('stats <journey>')
    .description('per node of a journey (by id or name): contacts that reached it, waiting there now, and each outcome')
    .option('--json', 'print the counts as JSON', false)
    .option(...WORKSPACE)
    .addHelpText('after', '\nExamples:\n  $ kizuna journeys stats ウェルカム\n  $ kizuna journeys stats 3f2b8c1e-… --json')
    .action(async (ref: string, options: { json: boolean; workspace?: string }) => {
      const { runJourneysStats } = await import('./journeys-run.ts');
      await runJourneysStats(ref, options, deps);
    });
  journeys
    .command('trace <contact>')
    .description('the journeys of one contact (by id or email), newest first, with every step and why it was taken')
    .option('--json', 'print the trace as JSON', false)
    .option(...WORKSPACE)
    .addHelpText('after', '\nExamples:\n  $ kizuna journeys trace hanako@example.jp\n  $ kizuna journeys trace 3f2b8c1e-… --json')
    .action(async (ref: string, options: { json: boolean; workspace?: string }) => {
      const { runJourneysTrace } = await import('./journeys-run.ts');
      await runJourneysTrace(ref, options, deps);
    });
}

import type { Command } from 'commander';
import type { CliDeps } from '../cli-deps.ts';
import type { SimulateOptions } from './simulate-run.ts';

const EXAMPLE = `
The journey's draft (or the definition in -f) replays the stored events and signals of the
window on a virtual clock, in a transaction that is rolled back: nothing is sent or kept.
A manual journey needs who enters at the start: --segment or --contact.

Examples:
  $ kizuna simulate --journey カゴ落ち --from 2026-03-01 --to 2026-04-01
  $ kizuna simulate --journey ウェルカム -f welcome.yaml --from 2026-03-01 --to 2026-03-08 --segment 3f2b8c1e-… --json`;

/** Without `deps`, the command uses the configured database and the process's streams (processCliDeps). */
export function registerSimulate(program: Command, deps?: CliDeps): void {
  program
    .command('simulate')
    .description("replay a past window through a journey's draft: contacts per node, conversions, the messages it would send")
    .requiredOption('--journey <journey>', 'the journey, by id or name')
    .option(
      '-f, --file <path>',
      "a YAML or JSON definition (or a journey document of kizuna apply) to simulate instead of the journey's draft",
    )
    .requiredOption('--from <date>', 'start of the window, ISO 8601 (2026-04-01 is midnight UTC; add +09:00 for Tokyo)')
    .requiredOption('--to <date>', 'end of the window, ISO 8601; at most 366 days after --from')
    .option('--segment <id>', "manual journeys: the segment's current members enter at --from")
    .option(
      '--contact <id-or-email>',
      'manual journeys: this contact enters at --from; repeat for several',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--json', 'print the whole report as JSON', false)
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .addHelpText('after', EXAMPLE)
    .action(async (options: SimulateOptions) => {
      const { runSimulate } = await import('./simulate-run.ts');
      await runSimulate(options, deps);
    });
}

import type { Command } from 'commander';
import { DEMO_DEFAULTS as defaults } from '../../demo/demo-defaults.ts';
import type { DemoOptions } from './demo-run.ts';

/** `kizuna demo`: loads the demo workspace into the configured database. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'load a demo workspace to explore: synthetic B2B contacts and 90 days of behaviour, scored, segmented and run through journeys',
    )
    .option('--contacts <n>', 'how many contacts (about 80 companies per 1,000 contacts)', String(defaults.contacts))
    .option('--days <n>', 'days of behaviour, ending now, replayed on a virtual clock', String(defaults.days))
    .option('--seed <n>', 'random seed: the same seed gives the same people and behaviour', String(defaults.seed))
    .option('--workspace-name <name>', 'name of the demo workspace', defaults.workspaceName)
    .option('--replace', 'delete an existing workspace of that name (and all its data) first')
    .addHelpText(
      'after',
      `
Half the contacts are Japanese (株式会社…, 漢字 names with furigana, +81, ja, Asia/Tokyo), half
English-speaking (US, UK, AU). The workspace gets the seed 004 scoring model, the lifecycle with
the 例4 MQL rule and a sales handoff, six segments and journeys. The days are replayed through
the real ingestion, scoring, segment, lifecycle, journey and delivery code; the last day's mail is
left queued, so the next "kizuna start" catches it in the dev mailbox (GET /api/dev/mail).

"kizuna start" loads the demo by itself on a first start with the embedded database (turn off
with --no-demo or KIZUNA_DEMO=false). On the embedded database stop "kizuna start" before running
this command (the data folder serves one process).

Examples:
  kizuna demo
  kizuna demo --contacts 500 --days 30 --seed 7 --workspace-name "Demo small"
  kizuna demo --replace`,
    )
    .action(async (options: DemoOptions) => {
      const { runDemoCommand } = await import('./demo-run.ts');
      await runDemoCommand(options);
    });
}

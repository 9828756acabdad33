import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.ts';
import { createWorkspace, listWorkspaces } from '../../workspaces/workspaces.ts';
import { openRuntime } from '../runtime.ts';

export function registerWorkspaces(program: Command): void {
  const workspaces = program.command('workspaces').description('create and list workspaces (tenants)');
  workspaces
    .command('create <name>')
    .description('create a workspace; then "kizuna keys create --workspace <id>" gives it a key')
    .option('--region <code>', 'default phone region, ISO 3166 (default JP)')
    .option('--timezone <tz>', 'IANA time zone (default Asia/Tokyo)')
    .option('--locale <locale>', 'ja or en (default ja)')
    .action(async (name: string, options: { region?: string; timezone?: string; locale?: 'ja' | 'en' }) => {
      const runtime = await openRuntime(loadConfig(), { quiet: true });
      try {
        const workspace = await createWorkspace(
          runtime.database.db,
          { name, defaultRegion: options.region, timezone: options.timezone, locale: options.locale },
          runtime.clock,
        );
        process.stdout.write(`${JSON.stringify(workspace, null, 2)}\n`);
      } finally {
        await runtime.database.close();
      }
    });
  workspaces
    .command('list')
    .description('list workspaces')
    .action(async () => {
      const runtime = await openRuntime(loadConfig(), { quiet: true });
      try {
        for (const w of await listWorkspaces(runtime.database.db)) {
          process.stdout.write(`${w.id}  ${w.name}  region=${w.defaultRegion} tz=${w.timezone} locale=${w.locale}\n`);
        }
      } finally {
        await runtime.database.close();
      }
    });
}

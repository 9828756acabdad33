import type { Command } from 'commander';

export function registerWorkspaces(program: Command): void {
  const workspaces = program.command('workspaces').description('create and list workspaces (tenants)');
  workspaces
    .command('create <name>')
    .description('create a workspace; then "kizuna keys create --workspace <id>" gives it a key')
    .option('--region <code>', 'default phone region, ISO 3166 (default JP)')
    .option('--timezone <tz>', 'IANA time zone (default Asia/Tokyo)')
    .option('--locale <locale>', 'ja or en (default ja)')
    .action(async (name: string, options: { region?: string; timezone?: string; locale?: 'ja' | 'en' }) => {
      const { runWorkspacesCreate } = await import('./workspaces-run.ts');
      await runWorkspacesCreate(name, options);
    });
  workspaces
    .command('list')
    .description('list workspaces')
    .action(async () => {
      const { runWorkspacesList } = await import('./workspaces-run.ts');
      await runWorkspacesList();
    });
}

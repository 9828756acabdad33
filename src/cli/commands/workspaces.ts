import type { Command } from 'commander';

export function registerWorkspaces(program: Command): void {
  const workspaces = program.command('workspaces').description('create, change and list workspaces (tenants)');
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
    .command('update <id>')
    .description(
      "change a workspace's name, phone region, time zone or language; a new time zone queues a rebuild of its published segments",
    )
    .option('--name <name>', 'new name')
    .option('--region <code>', 'default phone region, ISO 3166 (e.g. JP, US)')
    .option('--timezone <tz>', 'IANA time zone (e.g. Asia/Tokyo)')
    .option('--locale <locale>', 'ja or en')
    .action(async (id: string, options: { name?: string; region?: string; timezone?: string; locale?: string }) => {
      const { runWorkspacesUpdate } = await import('./workspaces-run.ts');
      await runWorkspacesUpdate(id, options);
    });
  workspaces
    .command('list')
    .description('list workspaces')
    .action(async () => {
      const { runWorkspacesList } = await import('./workspaces-run.ts');
      await runWorkspacesList();
    });
}

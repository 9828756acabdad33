import type { Command } from 'commander';
import { API_KEY_SCOPES } from '../../workspaces/api-keys.ts';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('create, list and revoke API keys');
  keys
    .command('create')
    .description('create an API key and print it once')
    .requiredOption('--name <name>', 'what the key is for')
    .option(
      '--scope <scope>',
      `one of ${API_KEY_SCOPES.join(', ')}: admin = everything, read = GET /api, write = send events only`,
      'admin',
    )
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .action(async (options: { name: string; scope: string; workspace?: string }) => {
      const { runKeysCreate } = await import('./keys-run.ts');
      await runKeysCreate(options);
    });
  keys
    .command('list')
    .description('list API keys (prefix only; keys are stored hashed)')
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .action(async (options: { workspace?: string }) => {
      const { runKeysList } = await import('./keys-run.ts');
      await runKeysList(options);
    });
  keys
    .command('revoke <id>')
    .description('revoke an API key at once')
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .action(async (id: string, options: { workspace?: string }) => {
      const { runKeysRevoke } = await import('./keys-run.ts');
      await runKeysRevoke(id, options);
    });
}

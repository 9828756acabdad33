import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { API_KEY_SCOPES, type ApiKeyScope, createApiKey, listApiKeys, revokeApiKey } from '../../workspaces/api-keys.ts';
import { assertUuid, openRuntime, resolveWorkspaceId } from '../runtime.ts';

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
      if (!API_KEY_SCOPES.includes(options.scope as ApiKeyScope))
        throw new KizunaError('invalid_input', `--scope: expected one of ${API_KEY_SCOPES.join(', ')}, got "${options.scope}"`);
      const runtime = await openRuntime(loadConfig(), { quiet: true });
      try {
        const workspaceId = await resolveWorkspaceId(runtime, options.workspace);
        const key = await createApiKey(
          runtime.database.db,
          { workspaceId, name: options.name, scope: options.scope as ApiKeyScope },
          runtime.clock,
        );
        process.stdout.write(`${key.key}\n`);
        process.stderr.write(`(${key.scope} key "${key.name}", id ${key.id}; it is not shown again)\n`);
      } finally {
        await runtime.database.close();
      }
    });
  keys
    .command('list')
    .description('list API keys (prefix only; keys are stored hashed)')
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .action(async (options: { workspace?: string }) => {
      const runtime = await openRuntime(loadConfig(), { quiet: true });
      try {
        const workspaceId = await resolveWorkspaceId(runtime, options.workspace);
        for (const k of await listApiKeys(runtime.database.db, workspaceId)) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
          process.stdout.write(`${k.id}  ${k.prefix}…  ${k.scope.padEnd(5)}  ${state}  ${k.name}\n`);
        }
      } finally {
        await runtime.database.close();
      }
    });
  keys
    .command('revoke <id>')
    .description('revoke an API key at once')
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .action(async (id: string, options: { workspace?: string }) => {
      assertUuid(id, 'id');
      const runtime = await openRuntime(loadConfig(), { quiet: true });
      try {
        const workspaceId = await resolveWorkspaceId(runtime, options.workspace);
        const key = await revokeApiKey(runtime.database.db, { workspaceId, id }, runtime.clock);
        process.stdout.write(`revoked ${key.id} (${key.name})\n`);
      } finally {
        await runtime.database.close();
      }
    });
}

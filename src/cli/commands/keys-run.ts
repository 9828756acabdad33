import { loadConfig } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { API_KEY_SCOPES, type ApiKeyScope, createApiKey, listApiKeys, revokeApiKey } from '../../workspaces/api-keys.ts';
import { assertUuid, openRuntime, resolveWorkspaceId } from '../runtime.ts';

/** `kizuna keys create`: prints the key once on stdout, what it is on stderr. */
export async function runKeysCreate(options: { name: string; scope: string; workspace?: string }): Promise<void> {
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
}

/** `kizuna keys list`. */
export async function runKeysList(options: { workspace?: string }): Promise<void> {
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
}

/** `kizuna keys revoke <id>`. */
export async function runKeysRevoke(id: string, options: { workspace?: string }): Promise<void> {
  assertUuid(id, 'id');
  const runtime = await openRuntime(loadConfig(), { quiet: true });
  try {
    const workspaceId = await resolveWorkspaceId(runtime, options.workspace);
    const key = await revokeApiKey(runtime.database.db, { workspaceId, id }, runtime.clock);
    process.stdout.write(`revoked ${key.id} (${key.name})\n`);
  } finally {
    await runtime.database.close();
  }
}

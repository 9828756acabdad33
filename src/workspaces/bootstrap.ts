import { type Kysely, sql } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import type { DB } from '../platform/db/schema.ts';
import { createApiKey, hashKey } from './api-keys.ts';
import { createWorkspace } from './workspaces.ts';

export interface BootstrapResult {
  workspaceId: string;
  /** The admin key created on this start, when one was generated (print it once). */
  generatedAdminKey?: string;
  createdWorkspace: boolean;
}

const BOOTSTRAP_LOCK = 4_711_002;

/**
 * First start: creates the default workspace and an admin key. KIZUNA_ADMIN_KEY and
 * KIZUNA_WRITE_KEY seed keys with exactly those values (added on a later start too when missing).
 */
export async function bootstrap(
  db: Kysely<DB>,
  config: Pick<Config, 'adminKey' | 'writeKey' | 'defaultRegion' | 'defaultTimezone'>,
  clock: Clock,
): Promise<BootstrapResult> {
  return db.transaction().execute(async (tx) => {
    // Several replicas may start at once; only one creates the default workspace.
    await sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(tx);
    const first = await tx.selectFrom('workspaces').select('id').orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
    const workspaceId =
      first?.id ??
      (await createWorkspace(tx, { name: 'Default', defaultRegion: config.defaultRegion, timezone: config.defaultTimezone }, clock)).id;
    const result: BootstrapResult = { workspaceId, createdWorkspace: !first };
    for (const [scope, key] of [
      ['admin', config.adminKey],
      ['write', config.writeKey],
    ] as const) {
      if (!key) continue;
      const exists = await tx.selectFrom('api_keys').select('id').where('key_hash', '=', hashKey(key)).executeTakeFirst();
      if (!exists) await createApiKey(tx, { workspaceId, name: `${scope} key from environment`, scope, key }, clock);
    }
    if (!first && !config.adminKey) {
      result.generatedAdminKey = (await createApiKey(tx, { workspaceId, name: 'first admin key', scope: 'admin' }, clock)).key;
    }
    return result;
  });
}

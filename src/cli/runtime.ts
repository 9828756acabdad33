import { type Clock, systemClock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import { type Database, openDatabase } from '../platform/db/database.ts';
import { migrate } from '../platform/db/migrate.ts';
import { KizunaError } from '../platform/errors.ts';
import { createLogger, type Logger } from '../platform/logger.ts';

export interface Runtime {
  config: Config;
  database: Database;
  logger: Logger;
  clock: Clock;
}

/** Opens the configured database (PGlite folder or DATABASE_URL) and brings its schema up to date. */
export async function openRuntime(config: Config, { quiet = false }: { quiet?: boolean } = {}): Promise<Runtime> {
  const logger = createLogger(quiet ? { ...config, logLevel: 'warn' } : config);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const applied = await migrate(database.db);
  if (applied.length) logger.info({ applied }, 'database migrated');
  return { config, database, logger, clock: systemClock };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Command-line ids are UUIDs: say so instead of letting PostgreSQL reject the text. */
export function assertUuid(value: string, name: string): void {
  if (!UUID.test(value)) throw new KizunaError('invalid_input', `${name}: expected a UUID such as 3f2b8c1e-…, got "${value}"`);
}

/** The workspace a CLI command acts on: --workspace, or the first (default) one. */
export async function resolveWorkspaceId(runtime: Runtime, requested: string | undefined): Promise<string> {
  if (requested) assertUuid(requested, '--workspace');
  let query = runtime.database.db.selectFrom('workspaces').select('id').orderBy('created_at').orderBy('id').limit(1);
  if (requested) query = query.where('id', '=', requested);
  const row = await query.executeTakeFirst();
  if (!row) {
    throw new KizunaError(
      'not_found',
      requested
        ? `no workspace ${requested}; see "kizuna workspaces list"`
        : 'no workspace yet; run "kizuna start" once or "kizuna workspaces create <name>"',
    );
  }
  return row.id;
}

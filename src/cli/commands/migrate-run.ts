import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { openRuntime } from '../runtime.ts';
import { dumpSchema } from './migrate.ts';

/** `kizuna migrate`: opening the runtime migrates; `--dump` then writes the schema. */
export async function runMigrate(options: { dump?: string }): Promise<void> {
  const config = loadConfig();
  const runtime = await openRuntime(config);
  await runtime.database.close();
  process.stdout.write(`database is up to date (${runtime.database.engine})\n`);
  if (options.dump) {
    if (!config.databaseUrl) throw new KizunaError('config_invalid', '--dump needs DATABASE_URL: pg_dump reads a PostgreSQL server');
    writeFileSync(options.dump, dumpSchema(config.databaseUrl));
    process.stdout.write(`schema written to ${options.dump}\n`);
  }
}

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { openRuntime } from '../runtime.ts';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (they also run at every start)')
    .option('--dump <file>', 'then write the schema (pg_dump --schema-only) to this file; needs DATABASE_URL and pg_dump')
    .action(async (options: { dump?: string }) => {
      const config = loadConfig();
      const runtime = await openRuntime(config);
      await runtime.database.close();
      process.stdout.write(`database is up to date (${runtime.database.engine})\n`);
      if (options.dump) {
        if (!config.databaseUrl) throw new KizunaError('config_invalid', '--dump needs DATABASE_URL: pg_dump reads a PostgreSQL server');
        writeFileSync(options.dump, dumpSchema(config.databaseUrl));
        process.stdout.write(`schema written to ${options.dump}\n`);
      }
    });
}

/** The schema as pg_dump prints it, minus the lines that vary between servers and runs. */
export function dumpSchema(databaseUrl: string): string {
  // Monthly partitions of events are created at run time, so they are not part of the schema.
  const args = ['--schema-only', '--no-owner', '--no-privileges', '--no-comments', '--exclude-table=public.events_*', databaseUrl];
  const raw = execFileSync('pg_dump', args, { encoding: 'utf8' });
  return `${raw
    .split('\n')
    .filter((line) => !/^-- Dumped (from|by)|^\\(un)?restrict |^SET |^SELECT pg_catalog/.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

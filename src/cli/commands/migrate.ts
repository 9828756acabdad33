import { execFileSync } from 'node:child_process';
import type { Command } from 'commander';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (they also run at every start)')
    .option('--dump <file>', 'then write the schema (pg_dump --schema-only) to this file; needs DATABASE_URL and pg_dump')
    .action(async (options: { dump?: string }) => {
      const { runMigrate } = await import('./migrate-run.ts');
      await runMigrate(options);
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

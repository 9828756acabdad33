import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { dumpSchema } from '../../cli/commands/migrate.ts';
import { listMigrations, migrate } from './migrate.ts';
import { testEngine, useTestDatabase } from './test-database.ts';

const database = useTestDatabase();

describe('migrations', () => {
  it('are numbered SQL files applied once, in order', async () => {
    const versions = listMigrations().map((m) => m.version);
    expect(versions).toEqual([...versions].sort());
    expect(versions[0]).toBe('0001_foundation');
    expect(await migrate(database.current.db)).toEqual([]);
    const applied = await database.current.db.selectFrom('schema_migrations').select('version').orderBy('version').execute();
    expect(applied.map((r) => r.version)).toEqual(versions);
  });

  it('run concurrently from several processes without racing (advisory lock)', async () => {
    const results = await Promise.all([migrate(database.current.db), migrate(database.current.db), migrate(database.current.db)]);
    expect(results).toEqual([[], [], []]);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM schema_migrations`.execute(database.current.db);
    expect(rows[0]!.n).toBe(listMigrations().length);
  });

  it.runIf(testEngine() === 'postgres')('match the committed schema dump (db/schema.sql; regenerate with npm run db:dump)', () => {
    const committed = readFileSync(new URL('../../../db/schema.sql', import.meta.url), 'utf8');
    expect(dumpSchema(process.env.TEST_DATABASE_URL!)).toBe(committed);
  });
});

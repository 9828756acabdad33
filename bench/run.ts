import { parseArgs } from 'node:util';
import type { Engine } from '../src/platform/db/database.ts';
import { BENCH_DATABASE } from './bench-database.ts';
import { benchImport } from './import.ts';
import { benchIngest } from './ingest.ts';
import { benchJourneys } from './journeys.ts';
import { benchScoring } from './scoring.ts';
import { benchSegments } from './segments.ts';
import { benchSend } from './send.ts';

export interface BenchContext {
  rows: number;
  engines: Engine[];
  serverUrl?: string;
  log: (line: string) => void;
}

/** Every benchmark by name; each returns its `RESULT …` lines. */
const BENCHMARKS: Record<string, (context: BenchContext) => Promise<string[]>> = {
  import: benchImport,
  ingest: benchIngest,
  segments: benchSegments,
  scoring: benchScoring,
  send: benchSend,
  journeys: benchJourneys,
};

const USAGE = `usage: npm run bench -- [${Object.keys(BENCHMARKS).join('|')} …] [--rows N] [--engine pglite|postgres|both]
  no name runs every benchmark; --rows defaults to 100000; --engine defaults to pglite, plus postgres
  when BENCH_DATABASE_URL or DATABASE_URL is set (the server's ${BENCH_DATABASE} database is used).`;

/**
 * The `npm run bench` command line: runs the named benchmarks and ends with their RESULT lines.
 * @returns the process exit code (2 for a usage error).
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let context: BenchContext;
  let names: string[];
  try {
    ({ context, names } = parseCommandLine(argv, env.BENCH_DATABASE_URL || env.DATABASE_URL));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const results: string[] = [];
  try {
    for (const name of names) results.push(...(await BENCHMARKS[name]!(context)));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).stack ?? error}\n`);
    return 1;
  }
  for (const line of results) context.log(line);
  return 0;
}

function parseCommandLine(argv: string[], serverUrl: string | undefined): { context: BenchContext; names: string[] } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { rows: { type: 'string', default: '100000' }, engine: { type: 'string' } },
  });
  const unknown = positionals.filter((name) => !Object.hasOwn(BENCHMARKS, name));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}: expected one of ${Object.keys(BENCHMARKS).join(', ')}`);
  const rows = Number(values.rows);
  if (!Number.isSafeInteger(rows) || rows < 1) throw new Error(`expected --rows to be a positive integer, got "${values.rows}"`);
  const engines = enginesFor(values.engine, serverUrl);
  if (engines.includes('postgres') && !serverUrl) throw new Error('--engine postgres needs BENCH_DATABASE_URL or DATABASE_URL to be set');
  const log = (line: string) => process.stdout.write(`${line}\n`);
  return { context: { rows, engines, serverUrl, log }, names: positionals.length ? positionals : Object.keys(BENCHMARKS) };
}

function enginesFor(option: string | undefined, serverUrl: string | undefined): Engine[] {
  if (option === undefined) return serverUrl ? ['pglite', 'postgres'] : ['pglite'];
  if (option === 'both') return ['pglite', 'postgres'];
  if (option === 'pglite' || option === 'postgres') return [option];
  throw new Error(`expected --engine to be pglite, postgres or both, got "${option}"`);
}

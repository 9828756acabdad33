import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createVirtualClock } from '../platform/clock.ts';
import { loadConfig } from '../platform/config.ts';
import type { Database } from '../platform/db/database.ts';
import { createLogger } from '../platform/logger.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import type { CliDeps } from './cli-deps.ts';

/**
 * A fresh workspace of the test database and a `kizuna` whose commands run on it, under a virtual
 * clock, with what they print collected: `cli('apply', '-f', file)` returns the output.
 */
export async function createCliKit(database: Database, register: ((program: Command, deps: CliDeps) => void)[]) {
  const clock = createVirtualClock(new Date('2026-04-01T01:00:00Z'));
  const ws = await createTestWorkspace(database, clock);
  const config = loadConfig({ env: {}, flags: { logLevel: 'silent' } });
  const runtime = { config, database, logger: createLogger(config), clock };
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-cli-'));
  let output = '';
  let stdin = '';
  const deps: CliDeps = {
    openWorkspace: async () => ({ runtime, workspaceId: ws.workspaceId, close: async () => {} }),
    write: (text) => {
      output += text;
    },
    readStdin: async () => stdin,
  };
  const cli = async (...args: string[]): Promise<string> => {
    output = '';
    const program = new Command('kizuna').exitOverride();
    for (const r of register) r(program, deps);
    await program.parseAsync(['node', 'kizuna', ...args]);
    return output;
  };
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const setStdin = (text: string) => {
    stdin = text;
  };
  return { clock, ws, db: database.db, cli, file, setStdin };
}

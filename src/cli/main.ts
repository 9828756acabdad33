import { Command, CommanderError } from 'commander';
import { exitCodeOf, KizunaError } from '../platform/errors.ts';
import { registerApply } from './commands/apply.ts';
import { registerDemo } from './commands/demo.ts';
import { registerImport } from './commands/import.ts';
import { registerJourneys } from './commands/journeys.ts';
import { registerKeys } from './commands/keys.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerSegments } from './commands/segments.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerStart } from './commands/start.ts';
import { registerWorkspaces } from './commands/workspaces.ts';

/**
 * The `kizuna` command line; returns the process exit code. Registering the commands loads only
 * their definitions: each action imports what it runs when it runs, so `--help` or `keys list`
 * does not load the server, the journeys and the rest of the application through tsx.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('kizuna')
    .description('Kizuna (絆) — open-source marketing automation. Configuration: env vars or kizuna.config.json (see README).')
    .showHelpAfterError()
    .exitOverride();
  registerStart(program);
  registerDemo(program);
  registerMigrate(program);
  registerImport(program);
  registerKeys(program);
  registerSegments(program);
  registerWorkspaces(program);
  registerApply(program);
  registerJourneys(program);
  registerSimulate(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof KizunaError) {
      process.stderr.write(`kizuna: ${error.message}\n`);
      for (const issue of error.issues) process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
      return exitCodeOf(error.code);
    }
    process.stderr.write(`kizuna: ${(error as Error).message}\n`);
    return 1;
  }
}

import { text } from 'node:stream/consumers';
import { loadConfig } from '../platform/config.ts';
import { openRuntime, type Runtime, resolveWorkspaceId } from './runtime.ts';

/**
 * What the apply, journeys and simulate commands take from outside: a runtime on a workspace,
 * standard output and standard input. `kizuna` uses the configured database and the process's
 * streams; tests pass their own database, virtual clock and buffers.
 */
export interface CliDeps {
  /** Opens the runtime and picks the workspace (--workspace, or the first one); `close` releases both. */
  openWorkspace(workspace: string | undefined): Promise<{ runtime: Runtime; workspaceId: string; close(): Promise<void> }>;
  write(text: string): void;
  readStdin(): Promise<string>;
}

export const processCliDeps: CliDeps = {
  openWorkspace: async (workspace) => {
    const runtime = await openRuntime(loadConfig(), { quiet: true });
    try {
      return { runtime, workspaceId: await resolveWorkspaceId(runtime, workspace), close: () => runtime.database.close() };
    } catch (error) {
      await runtime.database.close();
      throw error;
    }
  },
  write: (chunk) => {
    process.stdout.write(chunk);
  },
  readStdin: () => text(process.stdin),
};

/** Runs `work` on the workspace and always closes the database after it. */
export async function withWorkspace<T>(
  deps: CliDeps,
  workspace: string | undefined,
  work: (runtime: Runtime, workspaceId: string) => Promise<T>,
): Promise<T> {
  const { runtime, workspaceId, close } = await deps.openWorkspace(workspace);
  try {
    return await work(runtime, workspaceId);
  } finally {
    await close();
  }
}

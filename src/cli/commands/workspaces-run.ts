import { loadConfig } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { createWorkspace, listWorkspaces, updateWorkspace } from '../../workspaces/workspaces.ts';
import { openRuntime } from '../runtime.ts';

/** `kizuna workspaces create <name>`: prints the new workspace as JSON. */
export async function runWorkspacesCreate(
  name: string,
  options: { region?: string; timezone?: string; locale?: 'ja' | 'en' },
): Promise<void> {
  const runtime = await openRuntime(loadConfig(), { quiet: true });
  try {
    const workspace = await createWorkspace(
      runtime.database.db,
      { name, defaultRegion: options.region, timezone: options.timezone, locale: options.locale },
      runtime.clock,
    );
    process.stdout.write(`${JSON.stringify(workspace, null, 2)}\n`);
  } finally {
    await runtime.database.close();
  }
}

/** `kizuna workspaces update <id>`: prints the workspace as changed, as JSON. */
export async function runWorkspacesUpdate(
  id: string,
  options: { name?: string; region?: string; timezone?: string; locale?: string },
): Promise<void> {
  if (Object.values(options).every((value) => value === undefined))
    throw new KizunaError('invalid_input', 'give at least one of --name, --region, --timezone, --locale');
  const runtime = await openRuntime(loadConfig(), { quiet: true });
  try {
    const patch = Object.fromEntries(
      Object.entries({ name: options.name, defaultRegion: options.region, timezone: options.timezone, locale: options.locale }).filter(
        ([, value]) => value !== undefined,
      ),
    );
    const workspace = await updateWorkspace(runtime.database.db, id, patch, runtime.clock);
    process.stdout.write(`${JSON.stringify(workspace, null, 2)}\n`);
  } finally {
    await runtime.database.close();
  }
}

/** `kizuna workspaces list`. */
export async function runWorkspacesList(): Promise<void> {
  const runtime = await openRuntime(loadConfig(), { quiet: true });
  try {
    for (const w of await listWorkspaces(runtime.database.db)) {
      process.stdout.write(`${w.id}  ${w.name}  region=${w.defaultRegion} tz=${w.timezone} locale=${w.locale}\n`);
    }
  } finally {
    await runtime.database.close();
  }
}

import { loadConfig } from '../../platform/config.ts';
import { invalidInput, KizunaError } from '../../platform/errors.ts';
import { createWorkspace, listWorkspaces, updateWorkspace } from '../../workspaces/workspaces.ts';
import { openRuntime } from '../runtime.ts';

/** `kizuna workspaces create <name>`: prints the new workspace as JSON. */
export async function runWorkspacesCreate(
  name: string,
  options: { region?: string; timezone?: string; locale?: 'ja' | 'en' },
): Promise<void> {
  const runtime = await openRuntime(loadConfig(), { quiet: true });
  try {
    const workspace = await asFlags(
      createWorkspace(
        runtime.database.db,
        { name, defaultRegion: options.region, timezone: options.timezone, locale: options.locale },
        runtime.clock,
      ),
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
    const workspace = await asFlags(updateWorkspace(runtime.database.db, id, patch, runtime.clock));
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

/** The workspace fields as this command's flags, for errors (`--region: expected …`, not `defaultRegion: …`). */
const FLAGS: Record<string, string> = { name: '--name', defaultRegion: '--region', timezone: '--timezone', locale: '--locale' };

/** Names each problem of bad input by the flag that gave it rather than the API field. */
function asFlags<T>(work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    if (!(error instanceof KizunaError) || error.code !== 'invalid_input' || error.issues.length === 0) throw error;
    throw invalidInput(
      error.issues.map((issue) => {
        const [field = '', ...rest] = issue.path.split('.');
        return { ...issue, path: [FLAGS[field] ?? field, ...rest].join('.') };
      }),
    );
  });
}

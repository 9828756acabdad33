import { existsSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import { createImport, issuesToCsv, listImportIssues, runImport } from '../../imports/imports.ts';
import { loadConfig } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { openRuntime, resolveWorkspaceId } from '../runtime.ts';

export interface ImportOptions {
  workspace?: string;
  encoding: string;
  map?: string[];
  report?: string;
}

/** `kizuna import <file>`: runs the import in this process with a progress bar, then prints its summary. */
export async function runImportCommand(file: string, options: ImportOptions): Promise<void> {
  if (!existsSync(file)) throw new KizunaError('not_found', `file ${file} does not exist`);
  if (!['auto', 'utf-8', 'shift_jis'].includes(options.encoding))
    throw new KizunaError('invalid_input', `--encoding: expected auto, utf-8 or shift_jis, got "${options.encoding}"`);
  const mapping = Object.fromEntries(
    (options.map ?? []).map((pair) => {
      const at = pair.lastIndexOf('=');
      if (at <= 0) throw new KizunaError('invalid_input', `--map: expected header=field, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  const runtime = await openRuntime(loadConfig(), { quiet: true });
  const bar = new cliProgress.SingleBar(
    { format: 'importing [{bar}] {value} rows | {created} new, {updated} updated, {rejected} rejected', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  try {
    const workspaceId = await resolveWorkspaceId(runtime, options.workspace);
    const created = await createImport(
      runtime.database.db,
      workspaceId,
      { inline: true, filename: basename(file), encoding: options.encoding as 'auto', mapping },
      runtime.clock,
    );
    bar.start(0, 0, { created: 0, updated: 0, rejected: 0 });
    const summary = await runImport(
      runtime.database.db,
      {
        importId: created.id,
        source: { path: file },
        onProgress: (processed, counts) => {
          bar.setTotal(processed);
          bar.update(processed, counts);
        },
      },
      runtime.clock,
    );
    bar.stop();
    if (summary.status === 'failed') throw new KizunaError('invalid_input', summary.error ?? 'the import failed');
    const c = summary.counts;
    process.stdout.write(
      `${summary.filename} (${summary.encoding}): ${c.total} rows — ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ` +
        `${c.merged} merged duplicates, ${c.rejected} rejected, ${c.warnings} warnings\nimport id ${summary.id}\n`,
    );
    const issues = await listImportIssues(runtime.database.db, workspaceId, summary.id);
    for (const issue of issues.filter((i) => i.kind === 'rejected').slice(0, 20)) {
      process.stdout.write(`  line ${issue.line}: ${issue.field ?? ''} ${issue.message}\n`);
    }
    if (options.report) {
      writeFileSync(options.report, issuesToCsv(issues));
      process.stdout.write(`report written to ${options.report}\n`);
    }
  } finally {
    bar.stop();
    await runtime.database.close();
  }
}

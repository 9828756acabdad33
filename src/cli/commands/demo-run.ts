import cliProgress from 'cli-progress';
import { type DemoResult, loadDemo } from '../../demo/load-demo.ts';
import { createMailSink } from '../../messaging/smtp/sink.ts';
import { createMailTransport } from '../../messaging/smtp/transport.ts';
import { type Config, loadConfig } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { bootstrap } from '../../workspaces/bootstrap.ts';
import { openRuntime } from '../runtime.ts';

export interface DemoOptions {
  contacts: string;
  days: string;
  seed: string;
  workspaceName: string;
  replace?: boolean;
}

/** `kizuna demo`: loads the demo workspace into the configured database, with a progress bar. */
export async function runDemoCommand(options: DemoOptions): Promise<void> {
  const parsed = parseOptions(options);
  const config = loadConfig();
  const runtime = await openRuntime(config, { quiet: true });
  // On a new data folder the default workspace comes first, as "kizuna start" would make it:
  // the demo must not become the workspace the CLI and imports fall back to.
  const boot = await bootstrap(runtime.database.db, config, runtime.clock);
  if (boot.generatedAdminKey)
    process.stdout.write(`\n  Default workspace created. Admin API key (shown once, keep it safe):\n\n    ${boot.generatedAdminKey}\n\n`);
  const sink = createMailSink({ port: 0, clock: runtime.clock });
  try {
    // Mail sent during the replay goes into a private sink (never a real server): the demo's
    // addresses are made up. What it sends is recorded as deliveries.
    const address = await sink.start();
    const result = await loadWithProgress(config, parsed, (progress) =>
      loadDemo(runtime.database.db, {
        ...parsed,
        config,
        mailer: createMailTransport({ config: { ...config, mailMode: 'sink' }, sink: address }),
        holdMailHours: 24,
        logger: runtime.logger,
        onProgress: progress,
      }),
    );
    process.stdout.write(summary(result, config));
  } finally {
    await sink.stop();
    await runtime.database.close();
  }
}

type Progress = Parameters<typeof loadDemo>[1]['onProgress'];

async function loadWithProgress(
  config: Config,
  options: ReturnType<typeof parseOptions>,
  load: (progress: Progress) => Promise<DemoResult>,
): Promise<DemoResult> {
  const bar = new cliProgress.SingleBar(
    { format: 'loading the demo [{bar}] day {value}/{total} | {contacts} contacts, {events} events', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  process.stdout.write(
    `Loading "${options.workspaceName}" into ${config.databaseUrl ? 'PostgreSQL' : config.dataDir}: ${options.contacts} contacts, ${options.days} days (seed ${options.seed})\n`,
  );
  bar.start(options.days, 0, { contacts: 0, events: 0 });
  try {
    return await load((p) => bar.update(p.day, { contacts: p.contacts, events: p.events }));
  } finally {
    bar.stop();
  }
}

function parseOptions(options: DemoOptions) {
  const count = (name: string, value: string, min: number, max: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new KizunaError('invalid_input', `--${name}: expected a whole number from ${min} to ${max}, got "${value}"`);
    return n;
  };
  return {
    contacts: count('contacts', options.contacts, 10, 100_000),
    days: count('days', options.days, 1, 365),
    seed: count('seed', options.seed, 0, 2 ** 32 - 1),
    workspaceName: options.workspaceName,
    replace: options.replace ?? false,
  };
}

/** What was loaded and where to look: printed by `kizuna demo` and by a first `kizuna start`. */
export function summary(result: DemoResult, config: Pick<Config, 'publicUrl'>): string {
  const base = config.publicUrl;
  return `
  Demo workspace "${result.workspaceName}" loaded in ${(result.elapsedMs / 1000).toFixed(0)} s: ${result.contacts} contacts at ${result.companies} companies,
  ${result.events} events from ${result.start.toISOString().slice(0, 10)} to ${result.end.toISOString().slice(0, 10)}, ${result.journeys.length} journeys.

  Demo admin API key (shown once, keep it):

    ${result.adminKey}

  Try (with "kizuna start" running):
    DEMO=${result.adminKey}
    curl -H "Authorization: Bearer $DEMO" ${base}/api/segments
    curl -H "Authorization: Bearer $DEMO" "${base}/api/segments/${result.segments.hot}/members?limit=5"
    curl -H "Authorization: Bearer $DEMO" ${base}/api/dev/mail
  See README → "Explore the demo".
`;
}

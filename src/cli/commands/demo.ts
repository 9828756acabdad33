import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { DEMO_DEFAULTS, type DemoResult, loadDemo } from '../../demo/load-demo.ts';
import { createMailSink } from '../../messaging/smtp/sink.ts';
import { createMailTransport } from '../../messaging/smtp/transport.ts';
import { type Config, loadConfig } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';
import { bootstrap } from '../../workspaces/bootstrap.ts';
import { openRuntime } from '../runtime.ts';

interface DemoOptions {
  contacts: string;
  days: string;
  seed: string;
  workspaceName: string;
  replace?: boolean;
}

/** `kizuna demo`: loads the demo workspace into the configured database. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'load a demo workspace to explore: synthetic B2B contacts and 90 days of behaviour, scored, segmented and run through journeys',
    )
    .option('--contacts <n>', 'how many contacts (about 80 companies per 1,000 contacts)', String(DEMO_DEFAULTS.contacts))
    .option('--days <n>', 'days of behaviour, ending now, replayed on a virtual clock', String(DEMO_DEFAULTS.days))
    .option('--seed <n>', 'random seed: the same seed gives the same people and behaviour', String(DEMO_DEFAULTS.seed))
    .option('--workspace-name <name>', 'name of the demo workspace', DEMO_DEFAULTS.workspaceName)
    .option('--replace', 'delete an existing workspace of that name (and all its data) first')
    .addHelpText(
      'after',
      `
Half the contacts are Japanese (株式会社…, 漢字 names with furigana, +81, ja, Asia/Tokyo), half
English-speaking (US, UK, AU). The workspace gets the seed 004 scoring model, the lifecycle with
the 例4 MQL rule and a sales handoff, six segments and journeys. The days are replayed through
the real ingestion, scoring, segment, lifecycle, journey and delivery code; the last day's mail is
left queued, so the next "kizuna start" catches it in the dev mailbox (GET /api/dev/mail).

"kizuna start" loads the demo by itself on a first start with the embedded database (turn off
with --no-demo or KIZUNA_DEMO=false). On the embedded database stop "kizuna start" before running
this command (the data folder serves one process).

Examples:
  kizuna demo
  kizuna demo --contacts 500 --days 30 --seed 7 --workspace-name "Demo small"
  kizuna demo --replace`,
    )
    .action(async (options: DemoOptions) => {
      const parsed = parseOptions(options);
      const config = loadConfig();
      const runtime = await openRuntime(config, { quiet: true });
      // On a new data folder the default workspace comes first, as "kizuna start" would make it:
      // the demo must not become the workspace the CLI and imports fall back to.
      const boot = await bootstrap(runtime.database.db, config, runtime.clock);
      if (boot.generatedAdminKey)
        process.stdout.write(
          `\n  Default workspace created. Admin API key (shown once, keep it safe):\n\n    ${boot.generatedAdminKey}\n\n`,
        );
      const sink = createMailSink({ port: 0, clock: runtime.clock });
      try {
        // Mail sent during the replay goes into a private sink (never a real server): the demo's
        // addresses are made up. What it sends is recorded as deliveries.
        const address = await sink.start();
        const result = await runDemo(config, parsed, (progress) =>
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
    });
}

type Progress = Parameters<typeof loadDemo>[1]['onProgress'];

async function runDemo(
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

import type { Command } from 'commander';
import type { StartOptions } from './start-run.ts';

/** `start` (API + workers), `serve` (API only) and `worker` (workers only) share one runner. */
export function registerStart(program: Command): void {
  const describe = {
    all: 'run the API and the background workers in one process (embedded database unless DATABASE_URL is set)',
    api: 'run the stateless HTTP API only, on PostgreSQL (DATABASE_URL); run several behind a load balancer',
    worker: 'run background workers only (imports and other queued jobs), on PostgreSQL (DATABASE_URL); add processes to add throughput',
  } as const;
  for (const [name, mode] of [
    ['start', 'all'],
    ['serve', 'api'],
    ['worker', 'worker'],
  ] as const) {
    const command = program.command(name).description(describe[mode]);
    if (mode !== 'worker')
      command
        .option('-p, --port <port>', 'HTTP port (env PORT, default 8080)')
        .option('--host <host>', 'interface to listen on (env HOST, default 0.0.0.0)');
    command.option(
      '--mail-mode <mode>',
      mode === 'all'
        ? 'sink: catch all outgoing mail in the dev mailbox (GET /api/dev/mail), smtp: deliver through KIZUNA_SMTP_HOST (env KIZUNA_MAIL_MODE, default sink)'
        : 'smtp: deliver through KIZUNA_SMTP_HOST; sink: send no mail (the dev sink runs only in "kizuna start") (env KIZUNA_MAIL_MODE, default sink)',
    );
    if (mode === 'all')
      command.option(
        '--no-demo',
        'on a first start with the embedded database, do not load the demo workspace (env KIZUNA_DEMO=false; see "kizuna demo --help")',
      );
    command.action(async (options: StartOptions) => {
      const { runStart } = await import('./start-run.ts');
      await runStart(mode, options);
    });
  }
}

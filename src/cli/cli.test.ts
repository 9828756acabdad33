import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { testEngine } from '../platform/db/test-database.ts';
import { main } from './main.ts';

const BIN = new URL('../../bin/kizuna.js', import.meta.url).pathname;
const COMMANDS = [
  [],
  ['start'],
  ['serve'],
  ['worker'],
  ['migrate'],
  ['import'],
  ['keys'],
  ['keys', 'create'],
  ['keys', 'list'],
  ['keys', 'revoke'],
  ['segments'],
  ['segments', 'list'],
  ['segments', 'validate'],
  ['segments', 'apply'],
  ['segments', 'rebuild'],
  ['workspaces'],
  ['workspaces', 'create'],
  ['workspaces', 'update'],
  ['workspaces', 'list'],
];

describe('kizuna --help', () => {
  it.each(COMMANDS.map((c) => [c.join(' ') || '(root)', c] as const))('%s explains itself', async (_name, command) => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'kizuna', ...command, '--help'])).toBe(0);
      const text = out.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toMatch(/^Usage: kizuna/m);
      expect(text.length).toBeGreaterThan(80);
    } finally {
      out.mockRestore();
    }
  });
});

// The README's quick start, as a user runs it: a fresh data folder, `kizuna start`, /health.
describe.runIf(testEngine() === 'pglite')('kizuna start on a fresh data folder', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'kizuna-cli-')), 'data');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  // The dev mail sink on any free port: 2525 may be taken by another Kizuna on this machine.
  const env = {
    ...process.env,
    KIZUNA_DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_URL: '',
    KIZUNA_MAIL_SINK_PORT: '0',
  };
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill('SIGKILL');
  });

  it('serves /health, keeps other processes off its database, stops cleanly, then imports', async () => {
    const started = performance.now();
    server = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (chunk) => (output += chunk));
    server.stderr!.on('data', (chunk) => (output += chunk));
    const health = await waitForHealth(`http://127.0.0.1:${port}/health`, 60_000);
    console.info(`kizuna start: /health answered 200 after ${Math.round(performance.now() - started)} ms`);
    expect(health).toEqual({ status: 'ok', database: 'pglite' });
    const adminKey = /kz_admin_[A-Za-z0-9_-]+/.exec(output)?.[0];
    expect(adminKey).toBeDefined();
    const contacts = await fetch(`http://127.0.0.1:${port}/api/contacts`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(contacts.status).toBe(200);
    const docs = await fetch(`http://127.0.0.1:${port}/api/docs`);
    expect(await docs.text()).toContain('swagger-ui-bundle.js');

    // The commands after `start` run in this process (a process of its own like any other to the
    // server's lock, without the second or two each new process spends loading the sources and PGlite).
    const blocked = await kizuna(env, 'keys', 'list');
    expect(blocked.code).toBe(5);
    expect(blocked.stderr).toContain('in use by process');

    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);

    const csv = join(dataDir, '..', 'leads.csv');
    writeFileSync(csv, 'メールアドレス,氏名,会社名\nhanako@example.jp,佐藤　花子,(株)テスト\nbad-email,x,y\n');
    const imported = await kizuna(env, 'import', csv);
    expect(imported.stdout).toContain('2 rows — 1 created, 0 updated, 0 unchanged, 0 merged duplicates, 1 rejected');
    expect(imported.stdout).toMatch(/line 3: email not a valid email address/);
    const keys = await kizuna(env, 'keys', 'list');
    expect(keys.stdout).toContain(adminKey!.slice(0, 12));

    // Bad settings are named by the flags that gave them, not by the API's field names.
    const workspaceId = /^([0-9a-f-]{36}) /m.exec((await kizuna(env, 'workspaces', 'list')).stdout)![1]!;
    const badUpdate = await kizuna(env, 'workspaces', 'update', workspaceId, '--region', 'jpn', '--timezone', 'Mars/Olympus_Mons');
    expect(badUpdate.code).not.toBe(0);
    expect(badUpdate.stderr).toMatch(/--region: .*--timezone: /s);
    expect(badUpdate.stderr).not.toContain('defaultRegion');
    expect((await kizuna(env, 'workspaces', 'update', workspaceId, '--region', 'US')).stdout).toContain('"defaultRegion": "US"');

    // A segment kept as a YAML file: checked, applied, published and built from the command line.
    const file = join(dataDir, '..', 'segment.yaml');
    writeFileSync(file, 'name: 花子さん\ncondition:\n  type: field\n  field: email\n  operator: ends_with\n  value: "@example.jp"\n');
    expect((await kizuna(env, 'segments', 'validate', '-f', file)).stdout).toContain('valid');
    const applied = await kizuna(env, 'segments', 'apply', '-f', file, '--publish');
    expect(applied.stdout).toMatch(/created [0-9a-f-]{36} 花子さん\npublished v1: 1 members/);
    writeFileSync(file, 'name: 花子さん\ncondition:\n  type: field\n  field: nickname\n  operator: eq\n  value: x\n');
    const invalid = await kizuna(env, 'segments', 'validate', '-f', file);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('unknown field "nickname"');
  });
});

/** Runs `kizuna …args` in this process with `env` as its environment; what it printed and its exit code. */
async function kizuna(env: Record<string, string | undefined>, ...args: string[]) {
  const saved = process.env;
  process.env = { ...env };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(['node', 'kizuna', ...args]);
    const text = (spy: typeof out) => spy.mock.calls.map((c) => String(c[0])).join('');
    return { code, stdout: text(out), stderr: text(err) };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env = saved;
  }
}

async function waitForHealth(url: string, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return res.json();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

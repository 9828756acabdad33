import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('configuration', () => {
  it('has working defaults', () => {
    const config = loadConfig({ env: {}, cwd: tmpdir() });
    expect(config).toMatchObject({ port: 8080, dataDir: './.kizuna', defaultRegion: 'JP', logFormat: 'pretty' });
    expect(config.databaseUrl).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('layers defaults → file → env → flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kizuna-config-'));
    writeFileSync(join(dir, 'kizuna.config.json'), JSON.stringify({ port: 9000, dataDir: '/from/file', logLevel: 'debug' }));
    const config = loadConfig({ cwd: dir, env: { PORT: '9100', KIZUNA_DATA_DIR: '/from/env' }, flags: { port: '9200' } });
    expect(config.port).toBe(9200);
    expect(config.dataDir).toBe('/from/env');
    expect(config.logLevel).toBe('debug');
  });

  it('fails fast naming the variable that is wrong', () => {
    expect(() => loadConfig({ env: { PORT: 'eighty' }, cwd: tmpdir() })).toThrow(/PORT:/);
    expect(() => loadConfig({ env: { DATABASE_URL: 'mysql://x' }, cwd: tmpdir() })).toThrow(/DATABASE_URL: expected a postgres:\/\//);
    expect(() => loadConfig({ env: { KIZUNA_ADMIN_KEY: 'short' }, cwd: tmpdir() })).toThrow(/KIZUNA_ADMIN_KEY: must be at least 24/);
    expect(() => loadConfig({ env: {}, flags: { port: '-1' }, cwd: tmpdir() })).toThrow(/--port:/);
    expect(() => loadConfig({ env: { KIZUNA_CONFIG: '/nope/kizuna.json' } })).toThrow(/KIZUNA_CONFIG: file .* does not exist/);
    expect(() => loadConfig({ env: { KIZUNA_DEFAULT_TIMEZONE: 'Tokyo' }, cwd: tmpdir() })).toThrow(
      /KIZUNA_DEFAULT_TIMEZONE: expected an IANA time zone/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'kizuna-config-'));
    writeFileSync(join(dir, 'kizuna.config.json'), JSON.stringify({ prot: 9000 }));
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/config file: .*prot/);
  });

  it('logs JSON in production', () => {
    expect(loadConfig({ env: { NODE_ENV: 'production' }, cwd: tmpdir() }).logFormat).toBe('json');
  });
});

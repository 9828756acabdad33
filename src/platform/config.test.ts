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

  it('points links at the server’s own port unless KIZUNA_PUBLIC_URL says otherwise', () => {
    expect(loadConfig({ env: {}, cwd: tmpdir() }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ env: { PORT: '3000' }, cwd: tmpdir() }).publicUrl).toBe('http://localhost:3000');
    expect(loadConfig({ env: { PORT: '3000', KIZUNA_PUBLIC_URL: 'https://mail.example.com/' }, cwd: tmpdir() }).publicUrl).toBe(
      'https://mail.example.com',
    );
    // A wrong port is named once, as itself, not again as a wrong URL.
    expect(() => loadConfig({ env: { PORT: 'eighty' }, cwd: tmpdir() })).toThrow(/^Invalid configuration:\n {2}PORT: [^\n]*$/);
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

  it('takes the public URL of links in mail from KIZUNA_PUBLIC_URL', () => {
    expect(loadConfig({ env: {}, cwd: tmpdir() }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ env: { KIZUNA_PUBLIC_URL: 'https://mail.example.com/' }, cwd: tmpdir() }).publicUrl).toBe(
      'https://mail.example.com',
    );
    expect(() => loadConfig({ env: { KIZUNA_PUBLIC_URL: 'mail.example.com' }, cwd: tmpdir() })).toThrow(
      /KIZUNA_PUBLIC_URL: expected an http/,
    );
  });

  it('catches mail in the dev sink unless told to deliver over SMTP', () => {
    expect(loadConfig({ env: {}, cwd: tmpdir() })).toMatchObject({
      mailMode: 'sink',
      mailSinkPort: 2525,
      mailFrom: 'Kizuna <no-reply@kizuna.local>',
      smtpPoolSize: 5,
      smtpSecure: false,
    });
    const smtp = loadConfig({
      cwd: tmpdir(),
      env: {
        KIZUNA_MAIL_MODE: 'smtp',
        KIZUNA_SMTP_HOST: 'smtp.example.com',
        KIZUNA_SMTP_PORT: '465',
        KIZUNA_SMTP_SECURE: 'true',
        KIZUNA_SMTP_USER: 'kizuna',
        KIZUNA_SMTP_PASSWORD: 'secret',
        KIZUNA_SMTP_MAX_MESSAGES_PER_SECOND: '14',
      },
    });
    expect(smtp).toMatchObject({
      mailMode: 'smtp',
      smtpHost: 'smtp.example.com',
      smtpPort: 465,
      smtpSecure: true,
      smtpMaxMessagesPerSecond: 14,
    });
    expect(loadConfig({ cwd: tmpdir(), env: { KIZUNA_SMTP_SECURE: 'false' } }).smtpSecure).toBe(false);
  });

  it('reads the networks and hosts webhooks may reach from KIZUNA_OUTBOUND_ALLOW (none by default)', () => {
    expect(loadConfig({ env: {}, cwd: tmpdir() }).outboundAllow).toEqual([]);
    expect(loadConfig({ env: { KIZUNA_OUTBOUND_ALLOW: ' 10.20.0.0/16, crm.internal ,fd00::/8' }, cwd: tmpdir() }).outboundAllow).toEqual([
      '10.20.0.0/16',
      'crm.internal',
      'fd00::/8',
    ]);
    expect(() => loadConfig({ env: { KIZUNA_OUTBOUND_ALLOW: '10.0.0.0/8,http://crm' }, cwd: tmpdir() })).toThrow(
      /KIZUNA_OUTBOUND_ALLOW: expected IP addresses, CIDR networks \(10\.0\.0\.0\/8\) or host names/,
    );
  });

  it('refuses smtp mode without a server, naming the variable', () => {
    expect(() => loadConfig({ env: { KIZUNA_MAIL_MODE: 'smtp' }, cwd: tmpdir() })).toThrow(
      /KIZUNA_SMTP_HOST: required when KIZUNA_MAIL_MODE is smtp/,
    );
    expect(() => loadConfig({ env: {}, flags: { mailMode: 'smtp' }, cwd: tmpdir() })).toThrow(/KIZUNA_SMTP_HOST: required/);
    expect(() => loadConfig({ env: { KIZUNA_MAIL_MODE: 'smtp', KIZUNA_SMTP_HOST: 'mx', KIZUNA_SMTP_USER: 'u' }, cwd: tmpdir() })).toThrow(
      /KIZUNA_SMTP_PASSWORD: required when KIZUNA_SMTP_USER is set/,
    );
    expect(() => loadConfig({ env: { KIZUNA_MAIL_MODE: 'mailgun' }, cwd: tmpdir() })).toThrow(/KIZUNA_MAIL_MODE:/);
    expect(() => loadConfig({ env: { KIZUNA_MAIL_FROM: 'nobody' }, cwd: tmpdir() })).toThrow(/KIZUNA_MAIL_FROM: expected an address/);
    const dir = mkdtempSync(join(tmpdir(), 'kizuna-config-'));
    writeFileSync(join(dir, 'kizuna.config.json'), JSON.stringify({ mailMode: 'smtp', smtpHost: '' }));
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/smtpHost \(config file\)/);
  });

  it('logs JSON in production', () => {
    expect(loadConfig({ env: { NODE_ENV: 'production' }, cwd: tmpdir() }).logFormat).toBe('json');
  });
});

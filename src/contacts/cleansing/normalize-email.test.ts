import { describe, expect, it } from 'vitest';
import { emailDomain, isFreeMailDomain, normalizeEmail } from './normalize-email.ts';

describe('normalizeEmail', () => {
  it('lower-cases and trims a plain address', () => {
    expect(normalizeEmail('  Taro.Yamada@Example.CO.JP ')).toEqual({ ok: true, email: 'taro.yamada@example.co.jp', warnings: [] });
  });

  it('folds full-width characters (NFKC) before validating', () => {
    expect(normalizeEmail('ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ')).toEqual({ ok: true, email: 'taro@example.com', warnings: [] });
  });

  it('strips surrounding angle brackets and a mailto: prefix', () => {
    expect(normalizeEmail('<taro@example.com>')).toMatchObject({ ok: true, email: 'taro@example.com' });
    expect(normalizeEmail('MAILTO:taro@example.com')).toMatchObject({ ok: true, email: 'taro@example.com' });
    expect(normalizeEmail('<mailto:taro@example.com>')).toMatchObject({ ok: true, email: 'taro@example.com' });
  });

  it('keeps plus-addressing', () => {
    expect(normalizeEmail('taro+news@example.com')).toMatchObject({ ok: true, email: 'taro+news@example.com' });
  });

  it('rejects malformed addresses with a readable reason', () => {
    expect(normalizeEmail('taro@example')).toEqual({
      ok: false,
      reason: 'not a valid email address: expected name@domain.tld, got "taro@example"',
    });
    expect(normalizeEmail('taro.example.com')).toMatchObject({ ok: false });
    expect(normalizeEmail('taro..yamada@example.com')).toMatchObject({ ok: false });
    expect(normalizeEmail('山田 <taro@example.com>')).toMatchObject({ ok: false });
  });

  it('rejects empty input', () => {
    expect(normalizeEmail('  ')).toEqual({ ok: false, reason: 'email address is empty: expected name@domain.tld' });
  });

  it('warns about role accounts, including romanised Japanese ones and sub-addresses', () => {
    expect(normalizeEmail('Info@example.co.jp')).toEqual({ ok: true, email: 'info@example.co.jp', warnings: ['role_account'] });
    expect(normalizeEmail('otoiawase@example.co.jp')).toMatchObject({ warnings: ['role_account'] });
    expect(normalizeEmail('no-reply@example.com')).toMatchObject({ warnings: ['role_account'] });
    expect(normalizeEmail('sales+jp@example.com')).toMatchObject({ warnings: ['role_account'] });
    expect(normalizeEmail('information.desk@example.com')).toMatchObject({ warnings: [] });
  });

  it('warns about disposable domains, exact and wildcard', () => {
    expect(normalizeEmail('taro@mailinator.com')).toMatchObject({ ok: true, warnings: ['disposable_domain'] });
    expect(normalizeEmail('taro@shop.33mail.com')).toMatchObject({ ok: true, warnings: ['disposable_domain'] });
    expect(normalizeEmail('info@mailinator.com')).toMatchObject({ warnings: ['role_account', 'disposable_domain'] });
  });
});

describe('emailDomain', () => {
  it('returns the lower-cased domain', () => {
    expect(emailDomain('taro@Example.CO.JP')).toBe('example.co.jp');
  });
});

describe('isFreeMailDomain', () => {
  it('recognises international and Japanese free-mail providers', () => {
    for (const domain of ['gmail.com', 'yahoo.co.jp', 'docomo.ne.jp', 'i.softbank.jp', 'ezweb.ne.jp', 'Outlook.JP']) {
      expect(isFreeMailDomain(domain)).toBe(true);
    }
  });

  it('does not flag company domains', () => {
    expect(isFreeMailDomain('example.co.jp')).toBe(false);
    expect(isFreeMailDomain('mail.example.com')).toBe(false);
  });
});

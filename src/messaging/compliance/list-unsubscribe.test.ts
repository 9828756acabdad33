import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mailDomainOf, unsubscribeLinks } from './list-unsubscribe.ts';
import { signUnsubscribeToken, verifyMailtoToken, verifyUnsubscribeToken } from './unsubscribe-token.ts';

const secret = randomBytes(32);
const recipient = {
  workspaceId: '0b6f7c52-1d1e-4b59-9a43-3c2d1b0e9f11',
  contactId: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  email: 'taro@example.jp',
  deliveryId: 'd-42',
  topic: 'news',
};

describe('List-Unsubscribe headers', () => {
  it('are RFC 8058 shaped: an https one-click URL and a mailto, and the One-Click POST header', () => {
    const { headers, unsubscribeUrl, mailto } = unsubscribeLinks({
      publicUrl: 'https://mail.example.com/',
      mailDomain: 'example.com',
      secret,
      recipient,
    });
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/mail\.example\.com\/u\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>, <mailto:unsubscribe\+[a-z2-7]+@example\.com>$/,
    );
    expect(headers['List-Unsubscribe']).toBe(`<${unsubscribeUrl}>, <${mailto}>`);
    // Header-safe: one line, no spaces or angle brackets inside the URIs.
    expect(unsubscribeUrl).not.toMatch(/[\s<>,]/);
    const token = unsubscribeUrl.split('/u/')[1]!;
    expect(verifyUnsubscribeToken(token, 'preferences', secret)).toEqual({ purpose: 'preferences', ...recipient });
    // The mailto local part stays within 64 characters and survives case folding.
    const local = mailto.slice('mailto:'.length).split('@')[0]!;
    expect(local.length).toBeLessThanOrEqual(64);
    expect(verifyMailtoToken(local.slice('unsubscribe+'.length).toUpperCase(), secret)).toBe(recipient.contactId);
  });

  it('tokens are bound to their purpose and their secret', () => {
    const token = signUnsubscribeToken({ purpose: 'preferences', ...recipient }, secret);
    expect(verifyUnsubscribeToken(token, 'confirm', secret)).toBeUndefined();
    expect(verifyUnsubscribeToken(token, 'preferences', randomBytes(32))).toBeUndefined();
    expect(verifyUnsubscribeToken(`${token}x`, 'preferences', secret)).toBeUndefined();
    expect(verifyMailtoToken('aaaa', secret)).toBeUndefined();
    expect(verifyMailtoToken('not base32!', secret)).toBeUndefined();
  });

  it('takes the mailto domain from the sender address', () => {
    expect(mailDomainOf('Kizuna <no-reply@Mail.Example.com>')).toBe('mail.example.com');
    expect(mailDomainOf('news@example.jp')).toBe('example.jp');
  });
});

import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReturnPath, returnPath } from './verp.ts';

const secret = randomBytes(32);
const deliveryId = '1f0c2a9e-6b7d-4c8e-9f0a-1b2c3d4e5f60';

describe('VERP return paths', () => {
  it('name their delivery in a lower-case local part of at most 64 characters', () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        const address = returnPath({ deliveryId: id, domain: 'Bounces.Example.com', secret });
        const [local, domain] = address.split('@') as [string, string];
        expect(local).toMatch(/^b-[0-9a-f]{48}$/);
        expect(local.length).toBeLessThanOrEqual(64);
        expect(domain).toBe('bounces.example.com');
        expect(parseReturnPath(address, secret)).toEqual({ deliveryId: id.toLowerCase() });
      }),
    );
  });

  it('survive an MTA that upper-cases the address', () => {
    const address = returnPath({ deliveryId, domain: 'bounces.example.com', secret });
    expect(parseReturnPath(address.toUpperCase(), secret)).toEqual({ deliveryId });
  });

  it('do not verify when tampered with, signed with another secret or malformed', () => {
    const address = returnPath({ deliveryId, domain: 'bounces.example.com', secret });
    const otherId = address.replace('b-1f0c', 'b-2f0c');
    const otherMac = address.replace(/[0-9a-f](@)/, (m, at: string) => `${m[0] === '0' ? '1' : '0'}${at}`);
    for (const bad of [otherId, otherMac, 'fbl@bounces.example.com', 'b-@x', '', address.replace('@', '')]) {
      expect(parseReturnPath(bad, secret), bad).toBeUndefined();
    }
    expect(parseReturnPath(address, randomBytes(32))).toBeUndefined();
  });

  it('refuse to sign something that is not a delivery id', () => {
    expect(() => returnPath({ deliveryId: 'd-42', domain: 'bounces.example.com', secret })).toThrow(
      'expected a delivery id in UUID form, got "d-42"',
    );
  });
});

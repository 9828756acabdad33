import { describe, expect, it } from 'vitest';
import { normalizePhone } from './normalize-phone.ts';

describe('normalizePhone', () => {
  it.each([
    ['03-1234-5678', '+81312345678'],
    ['090-1234-5678', '+819012345678'],
    ['+81 90 1234 5678', '+819012345678'],
    ['(03)1234-5678', '+81312345678'],
    ['０３－１２３４－５６７８', '+81312345678'],
    ['03ー1234ー5678', '+81312345678'],
    ['0120-123-456', '+81120123456'],
    ['050-1234-5678', '+815012345678'],
    ['+1 415 555 2671', '+14155552671'],
    ['tel:+81-3-1234-5678', '+81312345678'],
  ])('parses %s as %s for region JP', (raw, e164) => {
    expect(normalizePhone(raw, 'JP')).toEqual({ ok: true, e164 });
  });

  it('uses the default region for national numbers', () => {
    expect(normalizePhone('(415) 555-2671', 'US')).toEqual({ ok: true, e164: '+14155552671' });
    expect(normalizePhone('+81 3 1234 5678', 'us')).toEqual({ ok: true, e164: '+81312345678' });
  });

  it('drops an extension', () => {
    expect(normalizePhone('03-1234-5678 ext. 12', 'JP')).toEqual({ ok: true, e164: '+81312345678' });
  });

  it('rejects numbers that are too short or not numbers, saying what was expected', () => {
    const reason = 'not a valid phone number for region JP: expected e.g. 090-1234-5678 or +81 90 1234 5678';
    expect(normalizePhone('03-1234-567', 'JP')).toEqual({ ok: false, reason });
    expect(normalizePhone('12345', 'JP')).toEqual({ ok: false, reason });
    expect(normalizePhone('なし', 'JP')).toEqual({ ok: false, reason });
    expect(normalizePhone('', 'JP')).toEqual({ ok: false, reason });
  });

  it('rejects an unknown default region', () => {
    expect(normalizePhone('03-1234-5678', 'XX')).toEqual({
      ok: false,
      reason: 'unknown default region "XX": expected an ISO 3166 country code such as JP or US',
    });
  });
});

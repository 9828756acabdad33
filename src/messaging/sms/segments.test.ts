import { describe, expect, it } from 'vitest';
import { smsSegments } from './segments.ts';

describe('smsSegments', () => {
  it('GSM-7: 160 characters in one segment, then 153 per part', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 0 });
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(smsSegments('a'.repeat(306))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(smsSegments('a'.repeat(307))).toEqual({ encoding: 'GSM-7', segments: 3 });
    expect(smsSegments('Ä, é, ñ, Ü, ß, Ø, £@$¥ and {[~]} are GSM too.').encoding).toBe('GSM-7');
  });

  it('GSM-7 extension characters cost two septets and are never split across parts', () => {
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(smsSegments('€'.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2 });
    // 152 septets, then an escape pair that does not fit the 153rd: it starts the next part.
    expect(smsSegments(`${'a'.repeat(152)}{${'a'.repeat(152)}`)).toEqual({ encoding: 'GSM-7', segments: 3 });
  });

  it('Japanese is UCS-2: 70 characters in one segment, then 67 per part', () => {
    expect(smsSegments('あ'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1 });
    expect(smsSegments('あ'.repeat(71))).toEqual({ encoding: 'UCS-2', segments: 2 });
    expect(smsSegments('予'.repeat(134))).toEqual({ encoding: 'UCS-2', segments: 2 });
    expect(smsSegments('予'.repeat(135))).toEqual({ encoding: 'UCS-2', segments: 3 });
    expect(smsSegments('【Kizuna】ご予約は明日10:00です。変更はこちら https://k.example/r/abc')).toEqual({
      encoding: 'UCS-2',
      segments: 1,
    });
  });

  it('one character outside GSM turns the whole text into UCS-2', () => {
    expect(smsSegments(`${'a'.repeat(100)}あ`)).toEqual({ encoding: 'UCS-2', segments: 2 });
    expect(smsSegments('Sale “today”')).toMatchObject({ encoding: 'UCS-2' });
  });

  it('an emoji is a surrogate pair: two units, never split across parts', () => {
    expect(smsSegments('😀'.repeat(35))).toEqual({ encoding: 'UCS-2', segments: 1 });
    expect(smsSegments('😀'.repeat(36))).toEqual({ encoding: 'UCS-2', segments: 2 });
    // 66 units, then a pair that would straddle the 67-unit boundary.
    expect(smsSegments(`${'あ'.repeat(66)}😀${'あ'.repeat(66)}`)).toEqual({ encoding: 'UCS-2', segments: 3 });
  });
});

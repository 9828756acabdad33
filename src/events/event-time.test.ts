import { describe, expect, it } from 'vitest';
import { correctEventTime } from './event-time.ts';

const received = new Date('2026-04-01T12:00:00.000Z');

describe('correctEventTime', () => {
  it('shifts by the sender clock skew when sentAt is known', () => {
    // The device clock is 10 minutes fast: it stamped the event 5 s before it sent the batch.
    expect(correctEventTime({ timestamp: '2026-04-01T12:09:55.000Z', sentAt: '2026-04-01T12:10:00.000Z' }, received).toISOString()).toBe(
      '2026-04-01T11:59:55.000Z',
    );
  });
  it('trusts the timestamp alone, or uses the arrival time', () => {
    expect(correctEventTime({ originalTimestamp: '2026-03-01T00:00:00+09:00' }, received).toISOString()).toBe('2026-02-28T15:00:00.000Z');
    expect(correctEventTime({}, received)).toEqual(received);
  });
  it('never places an event more than a day in the future', () => {
    expect(correctEventTime({ timestamp: '2027-01-01T00:00:00Z' }, received)).toEqual(received);
  });
});

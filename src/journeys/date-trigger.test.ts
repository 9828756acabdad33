import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateScanWindow, dueDateOccurrences } from './date-trigger.ts';

const ZONES = [
  'UTC',
  'Asia/Tokyo',
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
  'Etc/GMT+12',
  'America/New_York',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
];
const DAY = 86_400_000;

/** What the scan's SQL keeps of a value as the database renders it (`value::text`). */
function kept(text: string, scan: ReturnType<typeof dateScanWindow>): boolean {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(text)) return true;
  return 'monthDays' in scan ? scan.monthDays.includes(text.slice(5, 10)) : text.slice(0, 10) >= scan.from && text.slice(0, 10) <= scan.to;
}

/** How PostgreSQL may render a timestamp column: in the server's time zone, anywhere from UTC−12 to UTC+14. */
function renderings(at: Date): string[] {
  return [-12, 0, 14].map((hours) => new Date(at.getTime() + hours * 3_600_000).toISOString().replace('T', ' ').slice(0, 19));
}

describe('date trigger scans', () => {
  it('read every contact whose date comes round in the window (whatever its time zone, offset, time or form)', () => {
    const instant = fc.date({ min: new Date('2023-01-01T00:00:00Z'), max: new Date('2029-12-31T00:00:00Z'), noInvalidDate: true });
    // Dates near month ends, leap days and the new year are where a window is easiest to get wrong.
    const edgeDay = fc.constantFrom('02-28', '02-29', '03-01', '12-31', '01-01', '06-15');
    const trigger = fc.record({
      offsetDays: fc.oneof(fc.constantFrom(0, -3, 1, -1, 30), fc.integer({ min: -400, max: 400 })),
      time: fc.constantFrom('00:00', '09:00', '23:59', '12:30'),
      yearly: fc.boolean(),
    });
    // The scan's window: since the last scan (at most a day back) until now, sometimes on an edge day.
    const now = fc.oneof(
      instant,
      fc
        .tuple(fc.integer({ min: 2024, max: 2029 }), edgeDay, fc.integer({ min: 0, max: DAY - 1 }))
        .map(([year, md, ms]) => new Date(Date.parse(`${year}-${md === '02-29' ? '02-28' : md}T00:00:00Z`) + ms)),
    );
    // A stored value whose date lies within three days of coming round (most come round; some just miss),
    // written as a date, a timestamp with an offset, or a timestamp column; yearly dates in another year.
    const form = fc.constantFrom('date', 'Z', '+14:00', '-12:00', '+09:00', '-05:30', 'column');
    const stored = (at: Date, jitter: number, shape: string, year: number, t: { offsetDays: number; yearly: boolean }) => {
      const date = new Date(at.getTime() - t.offsetDays * DAY + jitter);
      if (shape === 'column') return date;
      const text = date.toISOString();
      if (shape !== 'date') return `${text.slice(0, 19)}${shape}`;
      return t.yearly ? `${year}${text.slice(4, 10)}` : text.slice(0, 10);
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        trigger,
        now,
        fc.integer({ min: 1, max: DAY }),
        fc.integer({ min: -3 * DAY, max: 3 * DAY }),
        form,
        fc.integer({ min: 1960, max: 2030 }),
        (zone, t, at, back, jitter, shape, year) => {
          const v = stored(at, jitter, shape, year, t);
          const since = new Date(at.getTime() - back);
          if (dueDateOccurrences(v, zone, t, since, at).length === 0) return;
          const scan = dateScanWindow(t, since, at);
          const texts = v instanceof Date ? renderings(v) : [v];
          for (const text of texts)
            expect(kept(text, scan), `${text} (${zone}, ${JSON.stringify(t)}) in ${JSON.stringify(scan)}`).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a malformed stored date never comes round (and does not throw)', () => {
    const trigger = { offsetDays: 0, time: '09:00', yearly: false };
    const now = new Date('2026-12-03T01:00:00Z');
    for (const value of ['2026-13-45', '2026-02-30x', 'someday', ''])
      expect(dueDateOccurrences(value, 'Asia/Tokyo', trigger, new Date(now.getTime() - DAY), now)).toEqual([]);
    expect(dueDateOccurrences('2026-12-03', 'Asia/Tokyo', trigger, new Date(now.getTime() - DAY), now)).toEqual(['date:2026-12-03']);
  });

  it('reads a few days of the year, not the whole of it', () => {
    const now = new Date('2027-03-01T03:00:00Z');
    const since = new Date(now.getTime() - DAY);
    const yearly = dateScanWindow({ offsetDays: 0, time: '09:00', yearly: true }, since, now);
    expect(yearly).toEqual({
      monthDays: ['02-24', '02-25', '02-26', '02-27', '02-28', '02-29', '03-01', '03-02', '03-03', '03-04', '03-05'],
    });
    expect(dateScanWindow({ offsetDays: -3, time: '09:00', yearly: false }, since, now)).toEqual({ from: '2027-02-27', to: '2027-03-08' });
  });
});

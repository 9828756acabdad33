import { localDate, startOfLocalDay } from '../platform/time-zone.ts';
import type { JourneyDefinition } from './definition.ts';

type DateTrigger = Pick<Extract<JourneyDefinition['trigger'], { type: 'date' }>, 'offsetDays' | 'time' | 'yearly'>;

/**
 * The occurrences of a contact's date value that came round in (since, now]: `date:<day>` keys,
 * the day being the date itself, or this year's (last or next year's) date when yearly; a Feb 29
 * falls on Feb 28 in other years. A date is the contact's local date when the value is a timestamp.
 */
export function dueDateOccurrences(value: unknown, timeZone: string, trigger: DateTrigger, since: Date, now: Date): string[] {
  const raw = value instanceof Date ? value.toISOString() : String(value);
  const date = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? raw : Number.isNaN(Date.parse(raw)) ? null : localDate(new Date(raw), timeZone);
  // A malformed stored date (2026-13-45, written around the API) comes round never, rather than failing the scan for everyone.
  if (!date || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) return [];
  const years = trigger.yearly ? [-1, 0, 1].map((d) => Number(localDate(now, timeZone).slice(0, 4)) + d) : [Number(date.slice(0, 4))];
  const keys: string[] = [];
  for (const year of years) {
    let day = `${year}${date.slice(4)}`;
    if (day.endsWith('-02-29') && new Date(`${year}-02-29T00:00:00Z`).getUTCMonth() !== 1) day = `${year}-02-28`;
    const at = dateOccurrence(day, { offsetDays: trigger.offsetDays, time: trigger.time }, timeZone);
    if (at && at > since && at <= now) keys.push(`date:${day}`);
  }
  return keys;
}

/**
 * Days either side of the window a stored date may lie and still come round in it: a timestamp's
 * local date is up to two days from the date it is written with (UTC−12 against UTC+14, or the
 * server's time zone rendering a column), the occurrence's instant a day from its local date, and
 * a Feb 29 falls on Feb 28.
 */
const SCAN_MARGIN_DAYS = 4;

/**
 * Which stored dates (their `YYYY-MM-DD` prefix) can come round in (since, now]: a range of dates,
 * or of month-days when yearly. A superset: `dueDateOccurrences` decides.
 */
export function dateScanWindow(trigger: DateTrigger, since: Date, now: Date): { from: string; to: string } | { monthDays: string[] } {
  const from = shiftDate(since.toISOString().slice(0, 10), -SCAN_MARGIN_DAYS - trigger.offsetDays);
  const to = shiftDate(now.toISOString().slice(0, 10), SCAN_MARGIN_DAYS - trigger.offsetDays);
  if (!trigger.yearly) return { from, to };
  const monthDays = new Set<string>();
  for (let day = from, i = 0; day <= to && i < 366; day = shiftDate(day, 1), i++) monthDays.add(day.slice(5));
  if (monthDays.has('02-28') || monthDays.has('03-01')) monthDays.add('02-29');
  return { monthDays: [...monthDays].sort() };
}

/**
 * The instant a date value names, shifted: with `time`, the local date + offsetDays at that time;
 * without, a bare date at 09:00 local and a timestamp as it is, + offsetDays and offsetMinutes.
 * Null when the value is not a date.
 */
export function dateOccurrence(
  raw: unknown,
  { offsetDays = 0, offsetMinutes = 0, time }: { offsetDays?: number; offsetMinutes?: number; time?: string },
  timeZone: string,
): Date | null {
  if (raw === null || raw === undefined || raw === '') return null;
  const value = raw instanceof Date ? raw.toISOString() : String(raw);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  if (!dateOnly && Number.isNaN(Date.parse(value))) return null;
  if (!dateOnly && time === undefined) return new Date(Date.parse(value) + offsetDays * 86_400_000 + offsetMinutes * 60_000);
  const date = dateOnly ? value : localDate(new Date(value), timeZone);
  return atLocalTime(shiftDate(date, offsetDays), time ?? '09:00', timeZone);
}

/** A YYYY-MM-DD date `days` later (earlier when negative). */
export function shiftDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The instant a local date and time-of-day names in a time zone (DST-safe: from the local midnight). */
export function atLocalTime(date: string, time: string, timeZone: string): Date {
  const midnight = startOfLocalDay(date, timeZone);
  const [h, m] = time.split(':').map(Number) as [number, number];
  // Walk forward from midnight so a DST change before `time` is counted (the wall clock is what matters).
  const guess = new Date(midnight.getTime() + (h * 60 + m) * 60_000);
  const wall = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' })
    .format(guess)
    .split(':')
    .map(Number) as [number, number];
  const drift = (wall[0] * 60 + wall[1] - (h * 60 + m)) * 60_000;
  return new Date(guess.getTime() - drift);
}

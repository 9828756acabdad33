import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { DB } from '../../platform/db/schema.ts';
import { parseInput } from '../../platform/parse-input.ts';

const ZTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day HH:MM such as 21:00');

/** Hours when no marketing message goes out in the contact's time zone: deferred to the end, never dropped. */
export const ZQuietHours = z
  .object({ start: ZTime, end: ZTime })
  .strict()
  .refine((q) => q.start !== q.end, { message: 'start and end must differ (use null for no quiet hours)', path: ['end'] })
  .openapi('QuietHours');

export const ZSendingSettings = z
  .object({
    /** Marketing messages per contact, across all campaigns and journeys; transactional mail is exempt. */
    frequencyCaps: z
      .object({
        perDay: z.number().int().min(1).max(100).nullable().default(2),
        perWeek: z.number().int().min(1).max(500).nullable().default(5),
      })
      .strict()
      .default({ perDay: 2, perWeek: 5 }),
    /** In the contact's time zone (the workspace's when the contact has none). */
    quietHours: ZQuietHours.nullable().default({ start: '21:00', end: '08:00' }),
    /** Send-time optimisation's hour when a contact has no open or click history (local time). */
    fallbackSendHour: z.number().int().min(0).max(23).default(10),
    /** N soft bounces of one address within D days suppress it like a hard bounce. */
    softBounceLimit: z.number().int().min(1).max(50).default(3),
    softBounceWindowDays: z.number().int().min(1).max(365).default(30),
    /**
     * Email sales owners (a handoff assigned, an SLA breached, a journey's notify_owner). Off, for
     * teams notified by their CRM instead: no owner email is queued; the signals and webhooks stay.
     */
    ownerEmails: z.boolean().default(true),
  })
  .strict()
  .openapi('SendingSettings');
export type SendingSettings = z.infer<typeof ZSendingSettings>;

export const DEFAULT_SENDING_SETTINGS: SendingSettings = ZSendingSettings.parse({});

export async function getSendingSettings(db: Kysely<DB>, workspaceId: string): Promise<SendingSettings> {
  const row = await db.selectFrom('sending_settings').select('definition').where('workspace_id', '=', workspaceId).executeTakeFirst();
  // Stored documents were validated on write; parsing again fills defaults added since.
  return row ? ZSendingSettings.parse(row.definition) : DEFAULT_SENDING_SETTINGS;
}

/** Replaces the workspace's settings (omitted keys take their defaults). */
export async function putSendingSettings(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<SendingSettings> {
  const settings = parseInput(ZSendingSettings, input);
  const definition = JSON.stringify(settings);
  await db
    .insertInto('sending_settings')
    .values({ workspace_id: workspaceId, definition, updated_at: clock.now() })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ definition, updated_at: clock.now() }))
    .execute();
  return settings;
}

/** A daily window of local time: [start, end) in minutes after midnight; end < start wraps past midnight. */
export interface DailyWindow {
  start: string;
  end: string;
  /** ISO weekdays allowed (1 = Monday … 7 = Sunday); absent: every day. */
  days?: number[];
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const localFormats = new Map<string, Intl.DateTimeFormat>();
/** Local weekday (1–7, Monday first) and minute of the day of an instant. */
export function localMinute(at: Date, timeZone: string): { weekday: number; minute: number } {
  let format = localFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', hour: '2-digit', minute: '2-digit' });
    localFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!) + 1;
  return { weekday, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

function inWindow(at: Date, timeZone: string, window: DailyWindow): boolean {
  const { weekday, minute } = localMinute(at, timeZone);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start < end) return minute >= start && minute < end && (!window.days || window.days.includes(weekday));
  // Wrapping past midnight: the part after midnight belongs to the previous day's window.
  if (minute >= start) return !window.days || window.days.includes(weekday);
  if (minute < end) return !window.days || window.days.includes(weekday === 1 ? 7 : weekday - 1);
  return false;
}

/**
 * The first instant at or after `at` when a message may go: outside quiet hours and inside the
 * send window (both local to `timeZone`). Steps minute by minute through the boundaries, at most
 * eight days ahead, so DST changes and odd offsets (Asia/Kathmandu) need no special case.
 * @returns `at` itself when it is allowed now; null when no minute of the next eight days is (a
 * send window wholly inside the quiet hours).
 */
export function nextAllowedTime(
  at: Date,
  timeZone: string,
  rules: { quietHours?: DailyWindow | null; window?: DailyWindow | null },
): Date | null {
  const allowed = (t: Date) =>
    (!rules.quietHours || !inWindow(t, timeZone, rules.quietHours)) && (!rules.window || inWindow(t, timeZone, rules.window));
  if (allowed(at)) return at;
  // Candidates: each whole local minute ahead; 15-minute strides first, then refine.
  const start = Math.ceil(at.getTime() / 60_000) * 60_000;
  const limit = start + 8 * 86_400_000;
  let t = start;
  while (t < limit && !allowed(new Date(t))) t += 15 * 60_000;
  if (t >= limit) return null;
  // Back up to the first allowed minute after the previous (disallowed) stride point.
  let first = Math.max(start, t - 15 * 60_000);
  while (first < t && !allowed(new Date(first))) first += 60_000;
  return new Date(first);
}

import type { SegmentCall } from '../events/event-schema.ts';
import type { DemoContact, Persona } from './generate-people.ts';
import type { Random } from './random.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** One thing that happens in the demo's window, at `at` (ms since the epoch). */
export type DemoHappening = { at: number; kind: 'join'; contact: DemoContact } | { at: number; kind: 'call'; call: SegmentCall };

export interface Webinar {
  id: string;
  title: string;
  /** Days after the window opens. */
  day: number;
}

// Standard-time offsets from UTC: good enough to put synthetic visits in office hours.
const UTC_OFFSET_HOURS: Record<string, number> = {
  'Asia/Tokyo': 9,
  'America/New_York': -5,
  'America/Chicago': -6,
  'America/Los_Angeles': -8,
  'Europe/London': 0,
  'Australia/Sydney': 10,
  'Australia/Melbourne': 10,
};

const BLOG = [
  '/blog/ma-basics',
  '/blog/lead-scoring-guide',
  '/blog/email-deliverability',
  '/blog/b2b-nurturing',
  '/blog/customer-journey-map',
];
const FEATURES = ['/features/scoring', '/features/journeys', '/features/segments', '/features/email'];
const CASES = ['/case-studies/sakura-systems', '/case-studies/northwind-software', '/case-studies/fuji-bank'];
const WHITEPAPERS = ['MA導入ガイド2026', 'The B2B Lead Scoring Playbook', 'メール配信到達率チェックリスト'];

/** The webinars of a window of `days` days: one a month or so, the last near the end. */
export function webinarsOf(days: number): Webinar[] {
  const titles = ['はじめてのMAウェビナー', 'Lead scoring in practice', 'ナーチャリング設計の実践'];
  const count = Math.max(1, Math.round(days / 30));
  return Array.from({ length: count }, (_, i) => ({
    id: `webinar-${i + 1}`,
    title: titles[i % titles.length]!,
    day: Math.min(days - 1, Math.round(((i + 0.8) * days) / count)),
  }));
}

/** When a webinar starts for a contact in a time zone `offsetHours` from UTC: 15:00 local. */
function webinarStartsAt(start: number, webinar: Webinar, offsetHours: number): number {
  return start + webinar.day * DAY + (15 - offsetHours) * HOUR;
}

/**
 * The instants the replay must stop at, whatever its step: an hour before each webinar starts in
 * each of the demo's time zones (the last reminder goes out and the journey starts waiting for
 * attendance) and an hour after (attendance has come in while it waits). Coarser steps would
 * reach the wait after the attendance and count attendees as no-shows.
 */
export function webinarStops(start: number, days: number): number[] {
  const offsets = [...new Set(Object.values(UTC_OFFSET_HOURS))];
  return webinarsOf(days)
    .flatMap((webinar) => offsets.flatMap((offset) => [-HOUR, HOUR].map((delta) => webinarStartsAt(start, webinar, offset) + delta)))
    .sort((a, b) => a - b);
}

interface Shape {
  sessions: [number, number];
  pagesPerSession: [number, number];
  /** Share of sessions in the last third of the window (intent ramps up). */
  late: number;
  /** Active only for this many days after joining (then the contact goes cold). */
  activeDays?: number;
  pricing: number;
  whitepaper: number;
  webinarRegister: number;
  webinarAttend: number;
  demo: number;
  brochure: number;
}

const SHAPES: Record<Persona, Shape> = {
  hot: {
    sessions: [5, 10],
    pagesPerSession: [2, 4],
    late: 0.6,
    pricing: 0.5,
    whitepaper: 0.7,
    webinarRegister: 0.6,
    webinarAttend: 0.75,
    demo: 0.45,
    brochure: 0.3,
  },
  warm: {
    sessions: [1, 3],
    pagesPerSession: [1, 2],
    late: 0.4,
    pricing: 0.1,
    whitepaper: 0.35,
    webinarRegister: 0.25,
    webinarAttend: 0.5,
    demo: 0.02,
    brochure: 0.05,
  },
  cooling: {
    sessions: [1, 2],
    pagesPerSession: [1, 2],
    late: 0,
    activeDays: 18,
    pricing: 0.03,
    whitepaper: 0.1,
    webinarRegister: 0.1,
    webinarAttend: 0.4,
    demo: 0,
    brochure: 0.01,
  },
  cold: {
    sessions: [0, 1],
    pagesPerSession: [1, 1],
    late: 0.2,
    pricing: 0,
    whitepaper: 0.02,
    webinarRegister: 0.02,
    webinarAttend: 0.3,
    demo: 0,
    brochure: 0,
  },
};

const range = (random: Random, [min, max]: [number, number]) => random.int(min, max);

/**
 * A contact's 90 days (pure, from its own random source): the day it becomes known, then
 * visits in office hours of its time zone — blog, features, case studies, pricing — white
 * papers, webinar registrations and attendance, demo and brochure requests, shaped by its
 * persona. Email engagement is not here: it answers the mail journeys actually send.
 */
export function generateBehaviour(random: Random, contact: DemoContact, { start, days }: { start: number; days: number }): DemoHappening[] {
  const shape = SHAPES[contact.persona];
  const timezone = String(contact.input.timezone);
  const offset = UTC_OFFSET_HOURS[timezone] ?? 0;
  const japanese = contact.company.country === 'JP';
  const out: DemoHappening[] = [];
  let n = 0;
  const messageId = () => `${contact.userId}-${++n}`;
  /** A moment in office hours (09:00–18:59 local) of a day of the window. */
  const officeTime = (day: number) => start + day * DAY + (random.int(9, 18) - offset) * HOUR + random.int(0, 59) * 60_000;
  const clampDay = (day: number) => Math.max(contact.joinDay, Math.min(days - 1, day));
  const lastActive = shape.activeDays === undefined ? days - 1 : Math.min(days - 1, contact.joinDay + shape.activeDays);
  const dayIn = () => {
    if (lastActive <= contact.joinDay) return contact.joinDay;
    const lateFrom = Math.max(contact.joinDay, Math.floor((days * 2) / 3));
    return random.chance(shape.late) && lateFrom < lastActive ? random.int(lateFrom, lastActive) : random.int(contact.joinDay, lastActive);
  };
  const page = (at: number, path: string, userId: string | undefined, anonymousId?: string) =>
    out.push({
      at,
      kind: 'call',
      call: {
        type: 'page',
        messageId: messageId(),
        ...(userId ? { userId } : { anonymousId }),
        name: path,
        properties: { path, url: `https://www.kizuna-demo.example${path}`, title: titleOf(path, japanese) },
        timestamp: new Date(at).toISOString(),
      },
    });
  const track = (at: number, event: string, properties: Record<string, unknown> = {}) =>
    out.push({
      at,
      kind: 'call',
      call: { type: 'track', messageId: messageId(), userId: contact.userId, event, properties, timestamp: new Date(at).toISOString() },
    });

  // Joining inside the window: a few anonymous page views, then the sign-up form names the visitor.
  if (contact.joinDay > 0) {
    const at = officeTime(contact.joinDay);
    const anonymousId = `anon-${contact.userId}`;
    const views = random.int(1, 2);
    for (let i = 0; i < views; i++) page(at - (views - i) * 4 * 60_000, random.pick([...BLOG, ...FEATURES, '/']), undefined, anonymousId);
    out.push({ at, kind: 'join', contact });
    out.push({
      at: at + 1000,
      kind: 'call',
      call: { type: 'identify', messageId: messageId(), userId: contact.userId, anonymousId, timestamp: new Date(at + 1000).toISOString() },
    });
    track(at + 2000, 'Signed Up', { source: contact.input.custom && (contact.input.custom as Record<string, unknown>).lead_source });
  }

  const sessions = range(random, shape.sessions);
  for (let s = 0; s < sessions; s++) {
    let at = officeTime(dayIn());
    const pages = range(random, shape.pagesPerSession);
    for (let p = 0; p < pages; p++) {
      const path = random.weighted<string>([
        [random.pick(BLOG), 5],
        [random.pick(FEATURES), contact.persona === 'hot' ? 3 : contact.persona === 'cold' ? 0.5 : 1.5],
        [random.pick(CASES), contact.persona === 'hot' ? 2 : 0.5],
        ['/pricing', contact.persona === 'hot' ? 2.5 : 0.3],
      ]);
      page(at, path, contact.userId);
      at += random.int(1, 6) * 60_000;
    }
  }
  if (random.chance(shape.pricing)) {
    const at = officeTime(dayIn());
    page(at, '/pricing', contact.userId);
    if (random.chance(0.4)) page(at + 90_000, '/pricing/enterprise', contact.userId);
  }
  if (random.chance(shape.whitepaper)) track(officeTime(dayIn()), 'Whitepaper Downloaded', { title: random.pick(WHITEPAPERS) });
  for (const webinar of webinarsOf(days)) {
    if (webinar.day < contact.joinDay + 2 || webinar.day > lastActive + 7 || !random.chance(shape.webinarRegister)) continue;
    const registerDay = clampDay(webinar.day - random.int(2, 10));
    const startsAt = webinarStartsAt(start, webinar, offset);
    track(officeTime(registerDay), 'Webinar Registered', {
      webinarId: webinar.id,
      title: webinar.title,
      startsAt: new Date(startsAt).toISOString(),
    });
    if (random.chance(shape.webinarAttend))
      track(startsAt + 5 * 60_000, 'Webinar Attended', { webinarId: webinar.id, title: webinar.title });
  }
  if (random.chance(shape.demo)) track(officeTime(dayIn()), 'Demo Requested', { product: 'Kizuna' });
  if (random.chance(shape.brochure)) track(officeTime(dayIn()), 'Brochure Requested', {});
  // Nothing is known under the contact's user id before it signs up: such a visit moves after it.
  const joinAt = out.find((h) => h.kind === 'join')?.at ?? start;
  for (const h of out)
    if (h.kind === 'call' && h.call.userId && h.at < joinAt) {
      h.at = joinAt + random.int(5, 120) * 60_000;
      h.call.timestamp = new Date(h.at).toISOString();
    }
  return out.filter((h) => h.at < start + days * DAY).sort((a, b) => a.at - b.at);
}

function titleOf(path: string, japanese: boolean): string {
  if (path === '/') return japanese ? 'Kizuna | マーケティングオートメーション' : 'Kizuna | Marketing automation';
  if (path.startsWith('/pricing')) return japanese ? '料金プラン' : 'Pricing';
  const slug = path.split('/').at(-1) ?? '';
  return slug.replace(/-/g, ' ');
}

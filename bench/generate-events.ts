/**
 * Synthetic tracking traffic of a B2B site for benchmarks: Segment calls as clients send them,
 * with the column values ingestion must store for each, so a raw COPY can write the same rows.
 * Deterministic: the same seed, count and time window give the same calls.
 */
import { createRandom, generateContacts, type SyntheticContact } from './generate-contacts.ts';

/** One Segment call as it goes over the wire inside `/v1/batch`. */
export interface SyntheticCall {
  type: 'page' | 'track' | 'identify';
  messageId: string;
  anonymousId?: string;
  userId?: string;
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context: Record<string, unknown>;
  timestamp: string;
}

/** The columns of `events` a call ends up as, except ids, contact_id and received_at. */
export interface StoredEvent {
  message_id: string;
  type: string;
  name: string | null;
  anonymous_id: string | null;
  user_id: string | null;
  properties: string;
  traits: string | null;
  context: string;
  occurred_at: string;
}

interface Person {
  contact: SyntheticContact;
  /** Set for people who sign in (and so get identified); the rest stay anonymous visitors. */
  userId?: string;
  /** Browser cookies: one or two devices. */
  anonymousIds: string[];
}

const PAGES = [
  ['/', 'Kizuna Cloud — 営業とマーケティングをひとつに'],
  ['/pricing', '料金プラン'],
  ['/features/scoring', 'リードスコアリング'],
  ['/features/journeys', 'ジャーニー'],
  ['/case-studies/sakura-denki', '導入事例: さくら電機'],
  ['/blog/abm-playbook-2026', 'ABM 実践ガイド 2026'],
  ['/blog/b2b-email-benchmarks', 'B2B メール配信ベンチマーク'],
  ['/webinars/intent-data', 'ウェビナー: インテントデータ活用'],
  ['/contact', 'お問い合わせ'],
  ['/docs/getting-started', 'Getting started'],
] as const;
const REFERRERS = ['', '', 'https://www.google.com/', 'https://www.linkedin.com/', 'https://x.com/', 'https://news.example.jp/'];
const CAMPAIGNS = [
  { source: 'google', medium: 'cpc', name: 'brand-jp', term: 'マーケティングオートメーション' },
  { source: 'linkedin', medium: 'paid_social', name: 'abm-q2', content: 'carousel-a' },
  { source: 'newsletter', medium: 'email', name: 'monthly-2026-04' },
] as const;
const WEB_EVENTS = ['CTA Clicked', 'Whitepaper Downloaded', 'Webinar Registered', 'Demo Requested', 'Video Played'];
const SERVER_EVENTS = ['Signed In', 'Trial Started', 'Report Exported', 'Seat Added', 'Invoice Paid'];
const USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const INDUSTRIES = ['Manufacturing', 'Software', 'Trading', 'Finance'];

/**
 * `count` calls from `people` visitors with unique messageIds, stamped in order between `from`
 * and `to`: ~70% web page/track calls (anonymous, or signed in with userId), ~20% server-side
 * track by userId, ~10% identify with email, name and company traits.
 * @example generateEvents({ count: 1000, from, to }).length // 1000
 */
export function generateEvents({
  count,
  people = 2000,
  from,
  to,
  seed = 7,
}: {
  count: number;
  people?: number;
  from: Date;
  to: Date;
  seed?: number;
}): SyntheticCall[] {
  const random = createRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const crowd = generatePeople(people, seed);
  const known = crowd.filter((p) => p.userId);
  // Activity is skewed: a few accounts are very busy, most visit now and then.
  const anyone = () => crowd[Math.floor(crowd.length * random() ** 1.6)]!;
  const someone = () => known[Math.floor(known.length * random() ** 1.6)]!;
  const spanMs = to.getTime() - from.getTime();
  return Array.from({ length: count }, (_, i): SyntheticCall => {
    const base = {
      messageId: `ajs-next-${i.toString(36)}-${Math.floor(random() * 2 ** 32).toString(16)}`,
      timestamp: new Date(from.getTime() + Math.floor((spanMs * (i + 0.5)) / count)).toISOString(),
    };
    const roll = random();
    if (roll < 0.1) {
      const person = someone();
      return {
        ...base,
        type: 'identify',
        userId: person.userId,
        anonymousId: pick(person.anonymousIds),
        traits: traitsOf(person, random),
        context: webContext(pick, random, '/'),
      };
    }
    if (roll < 0.3) {
      const person = someone();
      return {
        ...base,
        type: 'track',
        userId: person.userId,
        event: pick(SERVER_EVENTS),
        properties: { plan: pick(['starter', 'growth', 'enterprise']) },
        context: { library: { name: 'analytics-node', version: '3.1.0' } },
      };
    }
    const person = anyone();
    const isSignedIn = person.userId !== undefined && random() < 0.5;
    const identity = { anonymousId: pick(person.anonymousIds), ...(isSignedIn ? { userId: person.userId } : {}) };
    const [path, title] = pick(PAGES);
    const context = webContext(pick, random, path);
    if (roll < 0.8) return { ...base, ...identity, type: 'page', name: title, properties: pageProperties(context), context };
    return { ...base, ...identity, type: 'track', event: pick(WEB_EVENTS), properties: { path, label: title }, context };
  });
}

/** The stored column values of a call (what ingestion writes and the COPY limit writes too). */
export function storedEvent(call: SyntheticCall): StoredEvent {
  return {
    message_id: call.messageId,
    type: call.type,
    name: call.type === 'track' ? call.event! : (call.name ?? null),
    anonymous_id: call.anonymousId ?? null,
    user_id: call.userId ?? null,
    properties: JSON.stringify(call.properties ?? {}),
    traits: call.traits ? JSON.stringify(call.traits) : null,
    context: JSON.stringify(call.context),
    occurred_at: call.timestamp,
  };
}

function generatePeople(count: number, seed: number): Person[] {
  const random = createRandom(seed + 1);
  const { contacts } = generateContacts({ rows: count, seed });
  return contacts.map((contact, i) => ({
    contact,
    // Six in ten visitors sign in at some point; the rest only ever browse.
    userId: random() < 0.6 ? `usr_${(i + 1).toString().padStart(5, '0')}` : undefined,
    anonymousIds: Array.from({ length: random() < 0.3 ? 2 : 1 }, (_, d) => `anon-${i}-${d}-${Math.floor(random() * 2 ** 32).toString(16)}`),
  }));
}

function traitsOf({ contact }: Person, random: () => number): Record<string, unknown> {
  return {
    email: contact.email,
    name: contact.fullName,
    title: contact.jobTitle,
    company: { name: contact.company.name, employee_count: contact.company.employeeCount, industry: INDUSTRIES[Math.floor(random() * 4)] },
  };
}

function webContext(pick: <T>(list: readonly T[]) => T, random: () => number, path: string): Record<string, unknown> {
  const referrer = pick(REFERRERS);
  const campaign = random() < 0.2 ? pick(CAMPAIGNS) : undefined;
  const search = campaign ? `?utm_source=${campaign.source}&utm_medium=${campaign.medium}&utm_campaign=${campaign.name}` : '';
  return {
    library: { name: 'analytics.js', version: 'npm:next-1.76.0' },
    locale: random() < 0.8 ? 'ja-JP' : 'en-US',
    userAgent: USER_AGENT,
    page: { path, referrer, search, title: PAGES.find(([p]) => p === path)?.[1] ?? '', url: `https://kizuna.example.com${path}${search}` },
    ...(campaign ? { campaign } : {}),
  };
}

function pageProperties(context: Record<string, unknown>): Record<string, unknown> {
  const { path, referrer, search, title, url } = context.page as Record<string, string>;
  return { path, referrer, search, title, url };
}

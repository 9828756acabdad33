import { describe, expect, it } from 'vitest';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { createPartitionCache } from './event-partitions.ts';
import type { SegmentCall } from './event-schema.ts';
import { ingestEvents } from './ingest-events.ts';

const database = useTestDatabase();

/** A small deterministic PRNG (mulberry32): the same seed gives the same stream on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Tracking traffic from a few people who share devices, change names, sign in on several
 * cookies and get merged: every call type, including those the plan hands to the one-by-one path.
 */
function stream(seed: number, count: number): SegmentCall[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const people = [1, 2, 3, 4, 5].map((n) => ({ userId: `u${n}`, email: `p${n}@example.jp`, cookies: [`c${n}a`, `c${n}b`, 'shared'] }));
  const start = Date.parse('2026-03-20T00:00:00Z');
  return Array.from({ length: count }, (_, i): SegmentCall => {
    const person = pick(people);
    const base = {
      messageId: `m${seed}-${i}`,
      timestamp: new Date(start + i * 60_000).toISOString(),
      anonymousId: pick(person.cookies),
      context:
        next() < 0.3 ? { campaign: { source: pick(['google', 'mail']), name: `c${i}` }, page: { referrer: 'https://x.example/' } } : {},
    };
    const traits = { firstName: pick(['Aki', 'Ken', 'Mio']), title: pick(['CTO', 'PM']) };
    const roll = next();
    if (roll < 0.3) return { ...base, type: 'page', name: 'Pricing' };
    if (roll < 0.45) return { ...base, type: 'page', userId: person.userId, name: 'Docs' };
    if (roll < 0.55) return { ...base, type: 'track', userId: person.userId, event: 'Signed In' };
    if (roll < 0.67) return { ...base, type: 'identify', userId: person.userId, traits: { ...traits, email: person.email } };
    // A person's email under another person's userId: proves two contacts are one (a merge).
    if (roll < 0.7) return { ...base, type: 'identify', userId: pick(people).userId, traits: { email: person.email } };
    if (roll < 0.74) return { ...base, type: 'identify', traits: { email: person.email, lastName: pick(['Sato', 'Ito']) } };
    // A person changing email (and sometimes back): the old one is free for whoever names it next.
    if (roll < 0.78)
      return { ...base, type: 'identify', userId: person.userId, traits: { email: pick([person.email, `new.${person.email}`]) } };
    if (roll < 0.86) return { ...base, type: 'identify', traits };
    if (roll < 0.9) return { ...base, type: 'identify', userId: `new-${i}`, traits: { email: person.email } };
    if (roll < 0.95) return { ...base, type: 'alias', previousId: pick(person.cookies), userId: person.userId };
    return { ...base, type: 'group', userId: person.userId, groupId: 'g1', traits: { name: 'Sakura Denki', industry: 'Manufacturing' } };
  });
}

/** Everything identity resolution decides, with contacts named by their identities instead of random ids. */
async function snapshot(workspaceId: string) {
  const db = database.current.db;
  const ids = await db
    .selectFrom('contact_external_ids')
    .select(['contact_id', 'external_id'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('external_id')
    .execute();
  const contacts = await db
    .selectFrom('contacts')
    .select([
      'id',
      'email',
      'first_name',
      'last_name',
      'job_title',
      'company_id',
      'traits',
      'first_seen_at',
      'last_seen_at',
      'first_touch',
      'last_touch',
    ])
    .where('workspace_id', '=', workspaceId)
    .execute();
  const name = new Map(
    contacts.map((c) => [c.id, [c.email ?? '-', ...ids.filter((i) => i.contact_id === c.id).map((i) => i.external_id)].join(' ')]),
  );
  const events = await db
    .selectFrom('events')
    .select(['message_id', 'contact_id'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('message_id')
    .execute();
  const cookies = await db
    .selectFrom('contact_anonymous_ids')
    .select(['anonymous_id', 'contact_id'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('anonymous_id')
    .execute();
  const merges = await db.selectFrom('contact_merges').select('reason').where('workspace_id', '=', workspaceId).orderBy('reason').execute();
  return {
    contacts: contacts
      .map(({ id, company_id, ...rest }) => ({ contact: name.get(id), hasCompany: company_id !== null, ...rest }))
      .sort((a, b) => (a.contact! < b.contact! ? -1 : 1)),
    events: events.map((e) => `${e.message_id} → ${e.contact_id ? name.get(e.contact_id) : 'anonymous'}`),
    cookies: cookies.map((c) => `${c.anonymous_id} → ${name.get(c.contact_id)}`),
    merges: merges.map((m) => m.reason),
  };
}

/** Sends the same requests to two workspaces, planned and one by one, and returns both snapshots. */
async function bothPaths(requests: SegmentCall[][]) {
  const [planned, oneByOne] = [createVirtualClock(), createVirtualClock()];
  const a = await createTestWorkspace(database.current, planned);
  const b = await createTestWorkspace(database.current, oneByOne);
  for (const request of requests) {
    const partitions = createPartitionCache();
    await ingestEvents(database.current.db, { workspaceId: a.workspaceId, calls: request, partitions }, planned);
    await ingestEvents(database.current.db, { workspaceId: b.workspaceId, calls: request, partitions }, oneByOne, { oneByOne: true });
  }
  return { got: await snapshot(a.workspaceId), expected: await snapshot(b.workspaceId) };
}

let sequence = 0;
const call = (fields: Partial<SegmentCall> & Pick<SegmentCall, 'type'>): SegmentCall => ({
  messageId: `seq-${++sequence}`,
  timestamp: new Date(Date.parse('2026-03-25T00:00:00Z') + sequence * 1000).toISOString(),
  ...fields,
});

describe('planned ingestion', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('ends exactly as resolving each call on its own would (stream %i)', async (seed) => {
    const calls = stream(seed, 80);
    const cuts = random(seed + 100);
    // The same requests to both: runs of 1–30 calls, so later requests meet what earlier ones stored.
    const requests: SegmentCall[][] = [];
    for (let start = 0; start < calls.length; ) {
      const size = 1 + Math.floor(cuts() * 30);
      requests.push(calls.slice(start, start + size));
      start += size;
    }
    const { got, expected } = await bothPaths(requests);
    expect(got.events.filter((e) => !e.endsWith('anonymous')).length).toBeGreaterThan(20);
    expect(got).toEqual(expected);
  });

  const identify = (fields: Partial<SegmentCall>) => call({ type: 'identify', ...fields });
  it.each([
    {
      name: 'an email given up earlier in the same request goes to whoever names it next',
      requests: [
        [
          identify({ userId: 'u', anonymousId: 'a', traits: { email: 'e1@example.jp' } }),
          identify({ userId: 'u', anonymousId: 'a', traits: { email: 'e2@example.jp' } }),
          identify({ anonymousId: 'b', traits: { email: 'e1@example.jp', firstName: 'Ken' } }),
        ],
      ],
    },
    {
      name: 'a stored email given up in this request goes to whoever names it next',
      requests: [
        [identify({ userId: 'u', traits: { email: 'old@example.jp' } })],
        [
          identify({ userId: 'u', traits: { email: 'new@example.jp' } }),
          identify({ anonymousId: 'b', traits: { email: 'old@example.jp' } }),
        ],
      ],
    },
    {
      name: 'traits by cookie only, for someone the same request introduced',
      requests: [
        [
          call({ type: 'track', userId: 'u', anonymousId: 'a', event: 'Signed In' }),
          identify({ anonymousId: 'a', traits: { firstName: 'Mio', company: { name: 'Sakura Denki' } } }),
        ],
      ],
    },
    {
      name: 'two writes to one stored contact that share no key both land',
      requests: [
        [identify({ userId: 'u', traits: { email: 'p@example.jp' } })],
        [
          identify({ userId: 'u', traits: { firstName: 'Aki', plan: 'pro' } }),
          identify({ anonymousId: 'z', traits: { email: 'p@example.jp', lastName: 'Sato', company: { name: 'Acme' } } }),
        ],
      ],
    },
  ])('$name', async ({ requests }) => {
    const { got, expected } = await bothPaths(requests);
    expect(got).toEqual(expected);
  });

  it('stores every call of a request longer than one planned run', async () => {
    const clock = createVirtualClock();
    const ws = await createTestWorkspace(database.current, clock);
    const calls = Array.from(
      { length: 2003 },
      (_, i): SegmentCall => ({
        type: i % 500 === 7 ? 'group' : 'page',
        messageId: `long-${i}`,
        userId: `u${i % 40}`,
        anonymousId: `c${i % 40}`,
        groupId: 'g',
        traits: { name: 'Sakura Denki' },
        timestamp: new Date(Date.parse('2026-03-30T00:00:00Z') + i * 1000).toISOString(),
      }),
    );
    const result = await ingestEvents(
      database.current.db,
      { workspaceId: ws.workspaceId, calls, partitions: createPartitionCache() },
      clock,
    );
    expect(result).toMatchObject({ stored: 2003, duplicates: 0 });
    const rows = await database.current.db
      .selectFrom('events')
      .select((eb) => [eb.fn.countAll<number>().as('events'), eb.fn.count<number>('contact_id').as('attributed')])
      .where('workspace_id', '=', ws.workspaceId)
      .executeTakeFirstOrThrow();
    expect({ events: Number(rows.events), attributed: Number(rows.attributed) }).toEqual({ events: 2003, attributed: 2003 });
  });
});

import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCompany } from '../companies/companies.ts';
import { bulkUpsertContacts } from '../contacts/contacts.ts';
import { defineCustomField, listCustomFields } from '../contacts/custom-fields.ts';
import { createPartitionCache, ensureEventPartitions } from '../events/event-partitions.ts';
import { insertEvent } from '../events/insert-event.ts';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { membersQuery } from './compile.ts';
import { type Condition, ZCondition } from './condition.ts';
import { FieldCatalog } from './fields.ts';
import { changeListMembers, createList } from './lists.ts';
import { createSegment, publishSegment, rebuildSegment } from './segments.ts';

/**
 * The condition language's conformance table: one fixture of six contacts (a–f) in an Asia/Tokyo
 * workspace at 2026-04-15 12:00 JST, and for each case the exact member set. Every case is also
 * evaluated per contact (the incremental path's narrowed SQL) and must agree.
 */
const database = useTestDatabase();
const clock = createVirtualClock(new Date('2026-04-15T03:00:00Z'));
let workspaceId: string;
let ids: Record<string, string>;
let vipListId: string;
let mqlSegmentId: string;

beforeAll(async () => {
  const { db } = database.current;
  ({ workspaceId } = await createTestWorkspace(database.current, clock));
  const custom = [
    { key: 'plan', type: 'enum', options: ['free', 'pro', 'enterprise'] },
    { key: 'budget', type: 'number' },
    { key: 'newsletter', type: 'boolean' },
    { key: 'birthday', type: 'date' },
    { key: 'interests', type: 'multi_enum', options: ['ai', 'crm', 'ma'] },
  ] as const;
  for (const field of custom)
    await defineCustomField(
      db,
      workspaceId,
      { entity: 'contact', label: field.key, ...field, options: 'options' in field ? [...field.options] : [] },
      clock,
    );
  const acme = await createCompany(db, workspaceId, { name: 'Acme', domain: 'acme.example', industry: 'SaaS', employeeCount: 500 }, clock);
  const tiny = await createCompany(db, workspaceId, { name: 'Tiny', domain: 'tiny.example', industry: 'Retail', employeeCount: 10 }, clock);
  const contacts = {
    a: {
      email: 'a@acme.example',
      firstName: 'Taro',
      lastName: 'Yamada',
      roleLevel: 'manager',
      companyId: acme.id,
      companyName: 'Acme',
      employeeCount: 500,
      country: 'JP',
      owner: 'sato@kizuna.example',
      tags: ['vip', 'webinar'],
      lifecycleStage: 'MQL',
      lastSeenAt: '2026-04-14T15:00:00Z',
      custom: { plan: 'pro', budget: 1200000, newsletter: true, birthday: '1990-04-20', interests: ['ai', 'crm'] },
    },
    b: {
      email: 'b@tiny.example',
      firstName: 'Hanako',
      lastName: 'Suzuki',
      roleLevel: 'staff',
      companyId: tiny.id,
      companyName: 'Tiny',
      employeeCount: 10,
      country: 'JP',
      tags: ['webinar'],
      lifecycleStage: 'Lead',
      lastSeenAt: '2026-04-14T14:59:59Z',
      custom: { plan: 'free', budget: 0, newsletter: false, birthday: '1985-04-15', interests: ['ma'] },
    },
    c: {
      email: 'c@example.com',
      firstName: 'John',
      lastName: 'Smith',
      roleLevel: 'executive',
      country: 'US',
      lastSeenAt: '2026-04-09T15:00:00Z',
    },
    d: {
      email: 'd@example.org',
      tags: ['vip'],
      lifecycleStage: 'Customer',
      lastSeenAt: '2026-04-09T14:59:59Z',
      custom: { plan: 'enterprise', budget: 5000000, birthday: '2000-02-29' },
    },
    e: { email: 'e@example.net', lifecycleStage: 'mql' },
    f: { externalIds: { crm: 'F-1' }, lastName: '田中', companyName: '株式会社テスト' },
  };
  const written = await bulkUpsertContacts(db, workspaceId, Object.values(contacts), clock);
  const keys = Object.keys(contacts);
  ids = Object.fromEntries(written.map((w, i) => [keys[i]!, (w as { id: string }).id]));

  const partitions = createPartitionCache();
  const event = async (key: string, type: 'page' | 'track', name: string | null, at: string, properties: Record<string, unknown>) => {
    await ensureEventPartitions(db, [new Date(at)], partitions);
    await insertEvent(db, {
      workspaceId,
      type,
      name,
      contactId: ids[key]!,
      properties,
      occurredAt: new Date(at),
      receivedAt: new Date(at),
    });
  };
  // Page views around the 7-day window's edge: it starts at 2026-04-09 00:00 JST (2026-04-08T15:00Z).
  await event('a', 'page', null, '2026-04-14T15:30:00Z', { path: '/pricing' });
  await event('a', 'page', null, '2026-04-13T01:00:00Z', { path: '/pricing/enterprise' });
  await event('a', 'page', null, '2026-04-08T15:00:00Z', { path: '/pricing' });
  await event('a', 'page', null, '2026-04-14T02:00:00Z', { path: '/blog' });
  await event('b', 'page', null, '2026-04-08T14:59:59Z', { path: '/pricing' });
  await event('b', 'page', null, '2026-04-14T02:00:00Z', { path: '/pricing' });
  await event('c', 'page', null, '2026-04-12T02:00:00Z', { path: '/PRICING' });
  await event('a', 'track', 'Order Completed', '2026-04-10T15:00:00Z', { revenue: 120, currency: 'JPY' });
  await event('a', 'track', 'Order Completed', '2026-04-01T01:00:00Z', { revenue: 30 });
  await event('d', 'track', 'Order Completed', '2026-04-10T14:59:00Z', { revenue: 5000 });
  await event('c', 'track', 'Demo Requested', '2026-03-01T01:00:00Z', {});
  await event('b', 'track', 'Email Opened', '2026-04-14T01:00:00Z', { machine: false, campaignId: 'cmp-1' });
  await event('c', 'track', 'Email Opened', '2026-04-14T01:00:00Z', { machine: true, campaignId: 'cmp-1' });
  await event('d', 'track', 'Email Opened', '2026-04-02T01:00:00Z', { machine: false, campaignId: 'cmp-2' });
  await event('a', 'track', 'Email Link Clicked', '2026-04-14T01:05:00Z', { machine: false, campaignId: 'cmp-1' });

  const consent = (key: string, granted: boolean, at: string) =>
    db
      .insertInto('consents')
      .values({
        id: randomUUID(),
        workspace_id: workspaceId,
        contact_id: ids[key]!,
        purpose: 'email_marketing',
        granted,
        wording: 'メールマガジンを受け取る',
        source: 'test',
        ip: null,
        recorded_at: new Date(at),
      })
      .execute();
  await consent('a', true, '2026-04-01T00:00:00Z');
  await consent('b', true, '2026-04-01T00:00:00Z');
  await consent('b', false, '2026-04-05T00:00:00Z');

  vipListId = (await createList(db, workspaceId, { name: 'VIP' }, clock)).id;
  await changeListMembers(db, workspaceId, vipListId, 'add', { contactIds: [ids.a, ids.c] }, clock);
  const mql = await createSegment(
    db,
    workspaceId,
    { name: 'MQL', definition: { condition: { type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'MQL' } } },
    clock,
  );
  mqlSegmentId = mql.id;
  await publishSegment(db, workspaceId, mql.id, clock);
  await rebuildSegment(db, workspaceId, mql.id, clock);
});

const field = (name: string, operator: string, value?: unknown): Condition =>
  ({ type: 'field', field: name, operator, ...(value === undefined ? {} : { value }) }) as Condition;
const pricing = (count: Record<string, unknown>, within?: unknown): Condition =>
  ({
    type: 'event',
    call: 'page',
    where: [{ property: 'path', operator: 'starts_with', value: '/pricing' }],
    count,
    ...(within ? { within } : {}),
  }) as Condition;
const order = (extra: Record<string, unknown> = {}): Condition => ({ type: 'event', event: 'Order Completed', ...extra }) as Condition;

/** [description, condition, expected members] — the condition is parsed by the real schema first. */
const CASES: [string, unknown, string][] = [
  // Text: case-insensitive; a negation includes contacts without a value.
  ['eq is case-insensitive', field('lifecycleStage', 'eq', 'MQL'), 'a,e'],
  ['neq includes contacts with no value', field('lifecycleStage', 'neq', 'MQL'), 'b,c,d,f'],
  ['not(eq) equals neq', { type: 'not', condition: field('lifecycleStage', 'eq', 'MQL') }, 'b,c,d,f'],
  ['in', field('lifecycleStage', 'in', ['Lead', 'Customer']), 'b,d'],
  ['not_in includes no value', field('lifecycleStage', 'not_in', ['Lead', 'Customer']), 'a,c,e,f'],
  ['is_set', field('lifecycleStage', 'is_set'), 'a,b,d,e'],
  ['is_empty', field('lifecycleStage', 'is_empty'), 'c,f'],
  ['email eq is normalised', field('email', 'eq', 'A@ACME.example'), 'a'],
  ['ends_with', field('email', 'ends_with', '@example.com'), 'c'],
  ['contains', field('email', 'contains', 'TINY'), 'b'],
  ['starts_with', field('email', 'starts_with', 'd@'), 'd'],
  ['not_contains includes no value', field('email', 'not_contains', 'example.'), 'a,b,f'],
  ['Japanese text', field('lastName', 'eq', '田中'), 'f'],
  ['contains in Japanese', field('companyName', 'contains', 'テスト'), 'f'],
  ['owner eq', field('owner', 'eq', 'SATO@kizuna.example'), 'a'],
  ['country in (case-insensitive)', field('country', 'in', ['jp']), 'a,b'],
  // Numbers and ordered enums.
  ['number gte', field('employeeCount', 'gte', 100), 'a'],
  ['number lt excludes no value', field('employeeCount', 'lt', 100), 'b'],
  ['number between is inclusive', field('employeeCount', 'between', [10, 500]), 'a,b'],
  ['number is_empty', field('employeeCount', 'is_empty'), 'c,d,e,f'],
  ['role level gte (ordered)', field('roleLevel', 'gte', 'manager'), 'a,c'],
  ['role level lt', field('roleLevel', 'lt', 'manager'), 'b'],
  // Tags.
  ['tags contains', field('tags', 'contains', 'vip'), 'a,d'],
  ['tags not_contains', field('tags', 'not_contains', 'vip'), 'b,c,e,f'],
  ['tags contains_any', field('tags', 'contains_any', ['vip', 'webinar']), 'a,b,d'],
  ['tags contains_all', field('tags', 'contains_all', ['vip', 'webinar']), 'a'],
  ['tags is_empty', field('tags', 'is_empty'), 'c,e,f'],
  // Company fields (contacts without a company have no value).
  ['company field eq', field('company.industry', 'eq', 'saas'), 'a'],
  ['company number lt', field('company.employeeCount', 'lt', 100), 'b'],
  ['company neq includes no company', field('company.industry', 'neq', 'SaaS'), 'b,c,d,e,f'],
  // Custom fields of every type.
  ['custom enum eq', field('custom.plan', 'eq', 'pro'), 'a'],
  ['custom enum in', field('custom.plan', 'in', ['pro', 'enterprise']), 'a,d'],
  ['custom number gt', field('custom.budget', 'gt', 1000000), 'a,d'],
  ['custom number lte', field('custom.budget', 'lte', 0), 'b'],
  ['custom boolean eq', field('custom.newsletter', 'eq', true), 'a'],
  ['custom boolean neq includes no value', field('custom.newsletter', 'neq', true), 'b,c,d,e,f'],
  ['custom boolean is_set', field('custom.newsletter', 'is_set'), 'a,b'],
  ['multi_enum contains', field('custom.interests', 'contains', 'ai'), 'a'],
  ['multi_enum contains_any', field('custom.interests', 'contains_any', ['crm', 'ma']), 'a,b'],
  ['multi_enum is_empty', field('custom.interests', 'is_empty'), 'c,d,e,f'],
  // Dates on a date field.
  ['anniversary within 7 days (today included)', field('custom.birthday', 'anniversary_within_days', 7), 'a,b'],
  ['date before', field('custom.birthday', 'before', '1990-01-01'), 'b'],
  ['date between is inclusive', field('custom.birthday', 'between', ['1985-04-15', '1990-04-20']), 'a,b'],
  // Dates on a timestamp, at Tokyo day boundaries (today is 2026-04-15 JST).
  ['within the last 1 day = today from 00:00 JST', field('lastSeenAt', 'within_last_days', 1), 'a'],
  ['within the last 2 days takes in 23:59:59 yesterday', field('lastSeenAt', 'within_last_days', 2), 'a,b'],
  ['within the last 6 days starts at 04-10 00:00 JST', field('lastSeenAt', 'within_last_days', 6), 'a,b,c'],
  ['within the last 5 days leaves 04-10 out', field('lastSeenAt', 'within_last_days', 5), 'a,b'],
  ['on a local day', field('lastSeenAt', 'on', '2026-04-14'), 'b'],
  ['before a local day', field('lastSeenAt', 'before', '2026-04-15'), 'b,c,d'],
  ['after a local day', field('lastSeenAt', 'after', '2026-04-14'), 'a'],
  ['more than 5 days ago', field('lastSeenAt', 'more_than_days_ago', 5), 'c,d'],
  ['between two instants', field('lastSeenAt', 'between', ['2026-04-09T14:59:59Z', '2026-04-09T15:00:00Z']), 'c,d'],
  ['timestamp is_empty', field('lastSeenAt', 'is_empty'), 'e,f'],
  // Events: counts in windows, property filters.
  [
    'viewed /pricing at least 3 times in 7 days (edge event at 00:00 JST counts)',
    pricing({ operator: 'at_least', value: 3 }, { lastDays: 7 }),
    'a',
  ],
  [
    'viewed /pricing in 7 days (23:59:59 before the window does not count)',
    pricing({ operator: 'at_least', value: 1 }, { lastDays: 7 }),
    'a,b,c',
  ],
  ['at least 3 in 6 days: nobody', pricing({ operator: 'at_least', value: 3 }, { lastDays: 6 }), ''],
  [
    'exactly 2 views of /pricing ever',
    {
      type: 'event',
      call: 'page',
      where: [{ property: 'path', operator: 'eq', value: '/pricing' }],
      count: { operator: 'exactly', value: 2 },
    },
    'a,b',
  ],
  ['at most 1 includes contacts who never did', pricing({ operator: 'at_most', value: 1 }), 'c,d,e,f'],
  ['performed', order(), 'a,d'],
  ['not performed (exactly 0)', order({ count: { operator: 'exactly', value: 0 } }), 'b,c,e,f'],
  ['property gte', order({ where: [{ property: 'revenue', operator: 'gte', value: 100 }] }), 'a,d'],
  ['property lt', order({ where: [{ property: 'revenue', operator: 'lt', value: 100 }] }), 'a'],
  ['property eq text (case-insensitive)', order({ where: [{ property: 'currency', operator: 'eq', value: 'jpy' }] }), 'a'],
  ['between two local dates', order({ within: { from: '2026-04-10', to: '2026-04-10' } }), 'd'],
  [
    'last occurrence before a day',
    { type: 'event_time', event: 'Order Completed', occurrence: 'last', operator: 'before', value: '2026-04-11' },
    'd',
  ],
  [
    'first occurrence after a day',
    { type: 'event_time', event: 'Order Completed', occurrence: 'first', operator: 'after', value: '2026-04-01' },
    'd',
  ],
  [
    'last occurrence more than 30 days ago',
    { type: 'event_time', event: 'Demo Requested', occurrence: 'last', operator: 'more_than_days_ago', value: 30 },
    'c',
  ],
  ['last page view within 1 day', { type: 'event_time', call: 'page', occurrence: 'last', operator: 'within_last_days', value: 1 }, 'a'],
  // Email engagement (machine opens do not count unless asked).
  ['opened any email', { type: 'email', action: 'opened' }, 'b,d'],
  ['opened, machine opens included', { type: 'email', action: 'opened', includeMachine: true }, 'b,c,d'],
  ['opened a given campaign', { type: 'email', action: 'opened', campaignId: 'cmp-1' }, 'b'],
  ['clicked', { type: 'email', action: 'clicked' }, 'a'],
  ['did not open in 7 days', { type: 'not', condition: { type: 'email', action: 'opened', within: { lastDays: 7 } } }, 'a,c,d,e,f'],
  // Consent, lists, other segments.
  ['consent granted', { type: 'consent', purpose: 'email_marketing', state: 'granted' }, 'a'],
  ['consent withdrawn (latest record wins)', { type: 'consent', purpose: 'email_marketing', state: 'withdrawn' }, 'b'],
  ['consent unknown', { type: 'consent', purpose: 'email_marketing', state: 'unknown' }, 'c,d,e,f'],
  ['in a list', () => ({ type: 'list', listId: vipListId }), 'a,c'],
  ['not in a list', () => ({ type: 'not', condition: { type: 'list', listId: vipListId } }), 'b,d,e,f'],
  ['member of another segment', () => ({ type: 'segment', segmentId: mqlSegmentId }), 'a,e'],
  // Nested groups.
  [
    'and(or, not)',
    {
      type: 'and',
      conditions: [
        { type: 'or', conditions: [field('tags', 'contains', 'vip'), field('lifecycleStage', 'eq', 'Lead')] },
        { type: 'not', condition: field('custom.plan', 'eq', 'enterprise') },
      ],
    },
    'a,b',
  ],
  [
    'seed 004 例4: big company and manager+, or a high-intent event',
    {
      type: 'or',
      conditions: [
        {
          type: 'and',
          conditions: [
            field('company.employeeCount', 'gte', 100),
            field('roleLevel', 'gte', 'manager'),
            field('company.industry', 'in', ['SaaS', 'Manufacturing']),
          ],
        },
        { type: 'event', event: 'Demo Requested' },
      ],
    },
    'a,c',
  ],
];

describe('condition conformance (Asia/Tokyo, 2026-04-15 12:00)', () => {
  it('has at least 40 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(40));

  it.each(CASES.map(([name, condition, expected]) => ({ name, condition, expected })))('$name', async ({ condition, expected }) => {
    const { db } = database.current;
    const parsed = ZCondition.parse(typeof condition === 'function' ? condition() : condition);
    const catalog = new FieldCatalog(await listCustomFields(db, workspaceId));
    const context = { workspaceId, now: clock.now(), timeZone: 'Asia/Tokyo', catalog };
    const keyOf = new Map(Object.entries(ids).map(([k, id]) => [id, k]));
    const members = async (contactIds?: string[]) => {
      const { rows } = await membersQuery(parsed, { ...context, contactIds }).execute(db);
      return rows
        .map((r) => keyOf.get(r.id)!)
        .sort()
        .join(',');
    };
    expect(await members()).toBe(expected);
    // Narrowed to one contact at a time (how incremental updates evaluate), the answer is the same.
    const one: string[] = [];
    for (const [key, id] of Object.entries(ids)) if (await members([id])) one.push(key);
    expect(one.sort().join(',')).toBe(expected);
  });

  it('binds every value as a parameter, never in the SQL text', async () => {
    const { db } = database.current;
    const catalog = new FieldCatalog(await listCustomFields(db, workspaceId));
    const hostile = "x'); DROP TABLE contacts; --";
    const compiled = membersQuery(
      ZCondition.parse({
        type: 'and',
        conditions: [field('lastName', 'eq', hostile), order({ where: [{ property: 'currency', operator: 'contains', value: hostile }] })],
      }),
      { workspaceId, now: clock.now(), timeZone: 'Asia/Tokyo', catalog },
    ).compile(db);
    expect(compiled.sql).not.toContain('DROP TABLE');
    expect(compiled.parameters).toContain(hostile.toLowerCase());
    const { rows } = await sql`SELECT count(*)::int AS n FROM contacts WHERE workspace_id = ${workspaceId}`.execute(db);
    expect(rows).toEqual([{ n: 6 }]);
  });
});

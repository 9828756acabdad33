import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { apiCaller, createTestApp, createTestWorkspace } from '../server/test-app.ts';
import { ZJourneyDefinition } from './definition.ts';
import { eventKeysOf, loadJourneyVersion } from './journeys.ts';

const database = useTestDatabase();

type Definition = Record<string, unknown> & { nodes: Record<string, unknown>[] };

/** Send, wait for a pricing page view (3 days), branch on the stage, tag, exit. */
function welcome(templateId: string): Definition {
  return {
    trigger: { type: 'event', selector: { event: 'Signed Up' } },
    start: 'welcome',
    nodes: [
      { id: 'welcome', type: 'send', templateId, next: 'wait_pricing' },
      {
        id: 'wait_pricing',
        type: 'wait_for',
        selector: { call: 'page', where: [{ property: 'path', operator: 'eq', value: '/pricing' }] },
        timeout: { days: 3 },
        next: { happened: 'tag_hot', timedOut: 'check' },
      },
      {
        id: 'check',
        type: 'branch',
        branches: [{ condition: { type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'MQL' }, next: 'tag_hot' }],
        else: 'done',
      },
      { id: 'tag_hot', type: 'tag', add: ['hot'], next: 'done' },
      { id: 'done', type: 'exit' },
    ],
    goals: [{ name: 'bought', selector: { event: 'Order Completed' } }],
    exitOn: [{ event: 'Unsubscribed' }],
  };
}

const ALL_KEYS = ['event:page', 'event:track:Order Completed', 'event:track:Signed Up', 'event:track:Unsubscribed'];
const IN_FLIGHT_KEYS = ['event:page', 'event:track:Order Completed', 'event:track:Unsubscribed'];

async function setup() {
  const app = createTestApp(database.current);
  const ws = await createTestWorkspace(database.current, app.clock);
  const call = apiCaller(app, ws.adminKey);
  const template = async ({ publish = true } = {}) => {
    const body = '<p>{{ contact.lastName }} <a href="{{ unsubscribe_url }}">stop</a></p>';
    const definition = { format: 'html', defaultLocale: 'ja', locales: { ja: { subject: 'Welcome', body } } };
    const created = await call('/api/templates', { json: { name: 'Welcome', definition } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    if (publish) expect((await call(`/api/templates/${created.body.id}/publish`, { method: 'POST' })).status).toBe(200);
    return created.body.id as string;
  };
  const journey = async (definition: unknown, name = 'Welcome') => {
    const created = await call('/api/journeys', { json: { name, definition } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string };
  };
  const keys = async (journeyId: string) =>
    (
      await database.current.db
        .selectFrom('journey_event_keys')
        .select(['event_key', 'workspace_id'])
        .where('journey_id', '=', journeyId)
        .orderBy('event_key')
        .execute()
    ).map((k) => {
      expect(k.workspace_id).toBe(ws.workspaceId);
      return k.event_key;
    });
  const versions = async (journeyId: string) =>
    (
      await database.current.db
        .selectFrom('journey_versions')
        .select('version')
        .where('journey_id', '=', journeyId)
        .orderBy('version')
        .execute()
    ).map((v) => v.version);
  return { app, ws, call, template, journey, keys, versions };
}

describe('journeys API', () => {
  it('drafts, publishes numbered versions, pauses, resumes and archives, keeping the event keys in step', async () => {
    const { app, ws, call, template, journey, keys, versions } = await setup();
    const definition = welcome(await template());
    const created = await journey(definition);
    expect(created).toMatchObject({
      status: 'draft',
      publishedVersion: null,
      draft: { start: 'welcome', reentry: { policy: 'after_exit' } },
    });
    expect(await keys(created.id)).toEqual([]);

    const renamed = await call(`/api/journeys/${created.id}`, { method: 'PUT', json: { name: 'Onboarding', definition } });
    expect(renamed).toMatchObject({ status: 200, body: { name: 'Onboarding', status: 'draft' } });
    // A draft only a publish could start.
    expect((await call(`/api/journeys/${created.id}/pause`, { method: 'POST' })).status).toBe(409);
    expect((await call(`/api/journeys/${created.id}/resume`, { method: 'POST' })).status).toBe(409);

    const first = await call(`/api/journeys/${created.id}/publish`, { method: 'POST' });
    expect(first).toMatchObject({ status: 200, body: { status: 'active', publishedVersion: 1 } });
    expect(await keys(created.id)).toEqual(ALL_KEYS);

    // The trigger's events now reach the journeys' inbox, in the event's own transaction.
    const track = { userId: 'u-1', event: 'Signed Up', traits: { email: 'u1@example.com' } };
    await app.request('/v1/identify', { key: ws.writeKey, json: track });
    await app.request('/v1/track', { key: ws.writeKey, json: track });
    const inbox = await database.current.db
      .selectFrom('journey_inbox')
      .select('event_key')
      .where('workspace_id', '=', ws.workspaceId)
      .execute();
    expect(inbox.map((r) => r.event_key)).toEqual(['event:track:Signed Up']);

    // An edit of an active journey is a draft until published again, as version 2.
    const edited = { ...definition, exitOn: [] };
    expect(
      (await call(`/api/journeys/${created.id}`, { method: 'PUT', json: { name: 'Onboarding', definition: edited } })).body,
    ).toMatchObject({ status: 'active', publishedVersion: 1, draft: { exitOn: [] } });
    expect(await keys(created.id)).toEqual(ALL_KEYS);
    expect((await call(`/api/journeys/${created.id}/publish`, { method: 'POST' })).body).toMatchObject({ publishedVersion: 2 });
    expect(await versions(created.id)).toEqual([1, 2]);
    expect(await keys(created.id)).toEqual(ALL_KEYS.filter((k) => k !== 'event:track:Unsubscribed'));

    const paused = await call(`/api/journeys/${created.id}/pause`, { method: 'POST' });
    expect(paused).toMatchObject({ status: 200, body: { status: 'paused', publishedVersion: 2 } });
    expect(await keys(created.id)).toEqual(IN_FLIGHT_KEYS.filter((k) => k !== 'event:track:Unsubscribed'));
    expect((await call(`/api/journeys/${created.id}/pause`, { method: 'POST' })).body).toMatchObject({ status: 'paused' });

    expect((await call(`/api/journeys/${created.id}/resume`, { method: 'POST' })).body).toMatchObject({ status: 'active' });
    expect(await keys(created.id)).toEqual(ALL_KEYS.filter((k) => k !== 'event:track:Unsubscribed'));

    // Publishing a paused journey makes it active again.
    await call(`/api/journeys/${created.id}/pause`, { method: 'POST' });
    expect((await call(`/api/journeys/${created.id}/publish`, { method: 'POST' })).body).toMatchObject({
      status: 'active',
      publishedVersion: 3,
    });

    expect((await call(`/api/journeys/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await keys(created.id)).toEqual([]);
    expect((await call(`/api/journeys/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/api/journeys/${created.id}`)).body).toMatchObject({ status: 'archived', publishedVersion: 3 });
    expect((await call('/api/journeys')).body.items).toEqual([]);
    expect((await call('/api/journeys?archived=true')).body.items).toMatchObject([{ id: created.id, status: 'archived' }]);
    for (const [method, path] of [
      ['PUT', ''],
      ['POST', '/publish'],
      ['POST', '/pause'],
      ['POST', '/resume'],
    ] as const) {
      const res = await call(`/api/journeys/${created.id}${path}`, { method, json: path ? {} : { name: 'Again', definition } });
      expect(res.status, `${method} ${path}`).toBe(409);
    }
  });

  it('takes a well-formed but unfinished draft; structural errors are a 400 naming the path', async () => {
    const { call, journey } = await setup();
    const unfinished = { trigger: { type: 'manual' }, start: 'first', nodes: [{ id: 'first', type: 'send', next: 'later' }] };
    const created = await journey(unfinished);
    expect(created).toMatchObject({ status: 'draft', draft: { nodes: [{ id: 'first', channel: 'email' }] } });

    const broken = await call('/api/journeys', {
      json: { name: 'Broken', definition: { ...unfinished, nodes: [{ id: 'First!', type: 'teleport' }] } },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.errors.map((e: { path: string }) => e.path)).toContain('definition.nodes.0.type');
    const missing = await call('/api/journeys', { json: { name: 'Missing' } });
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(['definition']);
  });

  it('validates the draft or a given definition without saving anything', async () => {
    const { call, template, journey, versions } = await setup();
    const definition = welcome(await template());
    const created = await journey({ ...definition, start: 'nowhere' });

    const draft = await call(`/api/journeys/${created.id}/validate`, { method: 'POST' });
    expect(draft).toMatchObject({ status: 200, body: { valid: false } });
    expect(draft.body.issues).toContainEqual({ path: 'draft.start', message: expect.stringContaining('"nowhere"') });

    const given = await call(`/api/journeys/${created.id}/validate`, { method: 'POST', json: { definition } });
    expect(given.body).toEqual({ valid: true, issues: [] });
    const malformed = await call(`/api/journeys/${created.id}/validate`, { method: 'POST', json: { definition: { start: 'x' } } });
    expect(malformed.body.valid).toBe(false);
    expect(malformed.body.issues.map((i: { path: string }) => i.path)).toContain('definition.trigger');

    expect((await call(`/api/journeys/${created.id}`)).body).toMatchObject({ status: 'draft', draft: { start: 'nowhere' } });
    expect(await versions(created.id)).toEqual([]);
  });

  it('accepts cycles that pass through a wait or a wait-for', async () => {
    const { call, template, journey } = await setup();
    const definition = welcome(await template());
    // tag_hot → wait_pricing → (happened) tag_hot: the wait_for holds the contact each time round.
    definition.nodes[3] = { id: 'tag_hot', type: 'tag', add: ['hot'], next: 'wait_pricing' };
    const throughWaitFor = await journey(definition);
    expect((await call(`/api/journeys/${throughWaitFor.id}/publish`, { method: 'POST' })).status).toBe(200);

    definition.nodes[3] = { id: 'tag_hot', type: 'tag', add: ['hot'], next: 'breathe' };
    definition.nodes.push({ id: 'breathe', type: 'wait', until: { time: '09:00', weekdays: [1] }, next: 'check' });
    const throughWait = await journey(definition);
    expect((await call(`/api/journeys/${throughWait.id}/publish`, { method: 'POST' })).body).toMatchObject({ publishedVersion: 1 });
  });

  type Break = (d: Definition, refs: { unpublished: string }) => void;
  const node = (d: Definition, id: string) => d.nodes.find((n) => n.id === id)!;
  const BAD: [string, Break, string, string][] = [
    ['a dangling edge', (d) => Object.assign(node(d, 'tag_hot'), { next: 'nowhere' }), 'draft.nodes.3.next', 'tag_hot'],
    ['start naming no node', (d) => Object.assign(d, { start: 'begin' }), 'draft.start', 'begin'],
    ['an unreachable node', (d) => d.nodes.push({ id: 'orphan', type: 'tag', add: ['x'], next: 'done' }), 'draft.nodes.5', 'orphan'],
    ['a cycle without a wait', (d) => Object.assign(node(d, 'tag_hot'), { next: 'check' }), 'draft.nodes.2', 'check → tag_hot → check'],
    ['an unknown template', (d) => Object.assign(node(d, 'welcome'), { templateId: randomUUID() }), 'draft.nodes.0.templateId', 'welcome'],
    [
      'a template without a published version',
      (d, refs) => Object.assign(node(d, 'welcome'), { templateId: refs.unpublished }),
      'draft.nodes.0.templateId',
      'welcome',
    ],
    [
      'a wait-for without a timeout exit',
      (d) => Object.assign(node(d, 'wait_pricing'), { next: { happened: 'tag_hot' } }),
      'draft.nodes.1.next.timedOut',
      'wait_pricing',
    ],
    ['duplicate ids', (d) => d.nodes.push({ id: 'done', type: 'exit' }), 'draft.nodes.5.id', 'done'],
    [
      'a bad condition field',
      (d) =>
        Object.assign(node(d, 'check'), { branches: [{ condition: { type: 'field', field: 'custom.nope', operator: 'eq', value: 1 } }] }),
      'draft.nodes.2.branches.0.condition.field',
      'check',
    ],
    [
      'a wait with two ways to wait',
      (d) => d.nodes.splice(3, 1, { id: 'tag_hot', type: 'wait', duration: { days: 1 }, until: { time: '09:00' }, next: 'done' }),
      'draft.nodes.3',
      'tag_hot',
    ],
    [
      'a wait until a field that is no date',
      (d) => d.nodes.splice(3, 1, { id: 'tag_hot', type: 'wait', untilDate: { field: 'email' }, next: 'done' }),
      'draft.nodes.3.untilDate.field',
      'tag_hot',
    ],
    [
      'an SMS without a body',
      (d) => Object.assign(node(d, 'welcome'), { channel: 'sms', templateId: undefined }),
      'draft.nodes.0.body',
      'welcome',
    ],
    [
      'a webhook without a secret',
      (d) => Object.assign(node(d, 'welcome'), { channel: 'webhook', url: 'https://example.com/h' }),
      'draft.nodes.0.secret',
      'welcome',
    ],
    ['an unknown topic', (d) => Object.assign(node(d, 'welcome'), { topic: 'no-such-topic' }), 'draft.nodes.0.topic', 'welcome'],
    [
      'an unknown form',
      (d) => Object.assign(d, { trigger: { type: 'form_submitted', formId: randomUUID() } }),
      'draft.trigger.formId',
      'no form',
    ],
  ];

  it.each(BAD)('%s: publish is a 400 naming the node, and nothing is published', async (_, breakIt, path, named) => {
    const { call, template, journey, keys, versions } = await setup();
    const good = welcome(await template());
    const bad = structuredClone(good);
    breakIt(bad, { unpublished: await template({ publish: false }) });

    // A journey never published stays unpublished.
    const fresh = await journey(bad);
    const rejected = await call(`/api/journeys/${fresh.id}/publish`, { method: 'POST' });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(400);
    expect(rejected.body.errors).toContainEqual({ path, message: expect.stringContaining(named) });
    expect((await call(`/api/journeys/${fresh.id}`)).body).toMatchObject({ status: 'draft', publishedVersion: null });
    expect(await versions(fresh.id)).toEqual([]);
    expect(await keys(fresh.id)).toEqual([]);

    // A published journey keeps its version and its keys.
    const live = await journey(good);
    await call(`/api/journeys/${live.id}/publish`, { method: 'POST' });
    await call(`/api/journeys/${live.id}`, { method: 'PUT', json: { name: 'Welcome', definition: bad } });
    expect((await call(`/api/journeys/${live.id}/publish`, { method: 'POST' })).status).toBe(400);
    expect((await call(`/api/journeys/${live.id}`)).body).toMatchObject({ status: 'active', publishedVersion: 1 });
    expect(await versions(live.id)).toEqual([1]);
    expect(await keys(live.id)).toEqual(ALL_KEYS);
  });
});

describe('eventKeysOf and loadJourneyVersion', () => {
  it('keys a form trigger as its Form Submitted event, and a manual trigger as nothing', () => {
    const definition = ZJourneyDefinition.parse({ ...welcome(randomUUID()), trigger: { type: 'form_submitted', formId: randomUUID() } });
    expect(eventKeysOf(definition, { triggers: true })).toEqual([...IN_FLIGHT_KEYS, 'event:track:Form Submitted'].sort());
    expect(eventKeysOf({ ...definition, trigger: { type: 'manual' } }, { triggers: true })).toEqual(IN_FLIGHT_KEYS);
  });

  it('reads a published version once and hands out the same frozen definition', async () => {
    const { call, template, journey } = await setup();
    const created = await journey(welcome(await template()));
    await call(`/api/journeys/${created.id}/publish`, { method: 'POST' });
    const first = await loadJourneyVersion(database.current.db, created.id, 1);
    expect(first.nodes.map((n) => n.id)).toEqual(['welcome', 'wait_pricing', 'check', 'tag_hot', 'done']);
    expect(await loadJourneyVersion(database.current.db, created.id, 1)).toBe(first);
    expect(Object.isFrozen(first.nodes[0])).toBe(true);
    await expect(loadJourneyVersion(database.current.db, created.id, 2)).rejects.toMatchObject({ code: 'not_found' });
  });
});

import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from '../server/test-app.ts';
import { publishJourney, validateJourney } from './journeys.ts';

const database = useTestDatabase();

/** A workspace with helpers: the API, contacts, journeys enrolled by hand, and the workers run under the virtual clock. */
async function setup() {
  const app = createTestApp(database.current);
  app.clock.set(new Date('2026-04-01T01:00:00Z'));
  const ws = await createTestWorkspace(database.current, app.clock);
  const { db } = database.current;
  const api = async (path: string, init: { method?: string; json?: unknown } = {}) => {
    const res = await app.request(path, { key: ws.adminKey, ...init });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  const ok = async (path: string, init: { method?: string; json?: unknown } = {}) => {
    const res = await api(path, init);
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res.body;
  };
  const run = async () => {
    while ((await app.drainJobs()) > 0) {}
  };
  let made = 0;
  const contacts = async (n: number, extra: Record<string, unknown> = {}) => {
    const body = await ok('/api/contacts/bulk', {
      json: { contacts: Array.from({ length: n }, () => ({ email: `c${made++}@example.jp`, lastName: '山田', ...extra })) },
    });
    return body.results.map((r: { id: string }) => r.id) as string[];
  };
  /** Publishes a manual journey of the nodes, enrols the contacts and runs it; returns each contact's trace. */
  const journey = async (nodes: unknown[], contactIds: string[]) => {
    const created = await ok('/api/journeys', {
      json: { name: 'Actions', definition: { trigger: { type: 'manual' }, start: (nodes[0] as { id: string }).id, nodes } },
    });
    await ok(`/api/journeys/${created.id}/publish`, { method: 'POST' });
    await ok(`/api/journeys/${created.id}/enrolments`, { json: { contactIds } });
    await run();
    const traces = new Map<
      string,
      { status: string; endReason: string | null; steps: { nodeId: string; outcome: string; detail: Record<string, unknown> }[] }
    >();
    for (const id of contactIds) {
      const trace = (await ok(`/api/contacts/${id}/journeys`)).items[0];
      // Without the entry step: steps[n] is the nth node.
      traces.set(id, { ...trace, steps: trace.steps.filter((s: { outcome: string }) => s.outcome !== 'entered') });
    }
    return { journeyId: created.id as string, traces };
  };
  return { app, ws, db, api, ok, run, contacts, journey };
}

describe('journey action nodes', () => {
  it('update_field sets a standard and a custom field as an API update would, for 50 enrolments at once', async () => {
    const { ok, contacts, journey } = await setup();
    await ok('/api/custom-fields', { json: { key: 'plan', label: 'Plan', type: 'enum', options: ['free', 'pro'] } });
    const ids = await contacts(50);
    const { traces } = await journey(
      [
        { id: 'title', type: 'update_field', field: 'jobTitle', value: '営業部長', next: 'plan' },
        { id: 'plan', type: 'update_field', field: 'custom.plan', value: 'pro' },
      ],
      ids,
    );
    for (const id of ids) {
      const trace = traces.get(id)!;
      expect(trace.status).toBe('completed');
      expect(trace.steps.slice(0, 2)).toMatchObject([
        { nodeId: 'title', outcome: 'updated', detail: { field: 'jobTitle', value: '営業部長' } },
        { nodeId: 'plan', outcome: 'updated', detail: { field: 'custom.plan', value: 'pro' } },
      ]);
    }
    const contact = await ok(`/api/contacts/${ids[7]}`);
    // Cleansing as on the API: the role level is inferred from the title.
    expect(contact).toMatchObject({ jobTitle: '営業部長', custom: { plan: 'pro' } });
    expect(contact.roleLevel).not.toBeNull();
  });

  it('update_field reacts like an API update: a stage rule on the field moves the contact', async () => {
    const { ok, contacts, journey } = await setup();
    await ok('/api/lifecycle', {
      method: 'PUT',
      json: {
        definition: {
          rules: [{ stage: 'MQL', condition: { type: 'field', field: 'department', operator: 'eq', value: '情報システム部' } }],
        },
      },
    });
    await ok('/api/lifecycle/publish', { method: 'POST' });
    const [id] = await contacts(1);
    await journey([{ id: 'dept', type: 'update_field', field: 'department', value: '情報システム部' }], [id!]);
    const { transitions } = await ok(`/api/contacts/${id}/transitions`);
    expect(transitions.at(-1)).toMatchObject({ to: 'MQL', cause: 'rule' });
  });

  it('update_field whose custom field changed since publishing fails its enrolments naming the field', async () => {
    const { ok, api, contacts, run } = await setup();
    await ok('/api/custom-fields', { json: { key: 'seats', label: 'Seats', type: 'number' } });
    const created = await ok('/api/journeys', {
      json: {
        name: 'J',
        definition: {
          trigger: { type: 'manual' },
          start: 'seats',
          nodes: [{ id: 'seats', type: 'update_field', field: 'custom.seats', value: 5 }],
        },
      },
    });
    await ok(`/api/journeys/${created.id}/publish`, { method: 'POST' });
    expect((await api('/api/custom-fields/contact/seats', { method: 'DELETE' })).status).toBe(204);
    await ok('/api/custom-fields', { json: { key: 'seats', label: 'Seats', type: 'boolean' } });
    const [id] = await contacts(1);
    await ok(`/api/journeys/${created.id}/enrolments`, { json: { contactIds: [id] } });
    await run();
    const trace = (await ok(`/api/contacts/${id}/journeys`)).items[0];
    expect(trace).toMatchObject({ status: 'failed', nodeId: 'seats' });
    expect(trace.endReason).toMatch(/custom\.seats: expected true or false/);
  });

  it('list adds to and removes from static lists', async () => {
    const { ok, contacts, journey } = await setup();
    const hot = await ok('/api/lists', { json: { name: 'Hot leads' } });
    const nurture = await ok('/api/lists', { json: { name: 'Nurture' } });
    const ids = await contacts(50);
    await ok(`/api/lists/${nurture.id}/members`, { json: { contactIds: ids.slice(0, 10) } });
    const { traces } = await journey([{ id: 'move', type: 'list', add: [hot.id], remove: [nurture.id] }], ids);
    expect(traces.get(ids[0]!)!.steps[0]).toMatchObject({ outcome: 'listed', detail: { add: [hot.id], remove: [nurture.id] } });
    expect((await ok(`/api/lists/${hot.id}`)).members).toBe(50);
    expect((await ok(`/api/lists/${nurture.id}`)).members).toBe(0);
  });

  it('score adjusts a score through the ledger, explained, and survives a republish of the model', async () => {
    const { ok, contacts, journey, run } = await setup();
    const definition = {
      rules: [{ id: 'pricing', label: 'Pricing page', kind: 'behavior', call: 'page', event: 'Pricing', points: 5 }],
      bands: [
        { name: 'Cold', min: 0 },
        { name: 'Warm', min: 10 },
      ],
    };
    const model = await ok('/api/scoring-models', { json: { name: 'Lead score', definition } });
    await ok(`/api/scoring-models/${model.id}/publish`, { method: 'POST' });
    await run();
    const ids = await contacts(50);
    const { journeyId, traces } = await journey(
      [{ id: 'webinar', type: 'score', modelId: model.id, points: 15, reason: 'Attended the webinar' }],
      ids,
    );
    expect(traces.get(ids[3]!)!.steps[0]).toMatchObject({ outcome: 'scored', detail: { modelId: model.id, points: 15 } });
    const line = `journey:${journeyId}:webinar`;
    const explained = async (id: string) => (await ok(`/api/contacts/${id}/scores`)).models[0];
    expect(await explained(ids[3]!)).toMatchObject({
      score: 15,
      band: 'Warm',
      rules: [{ rule: line, points: 15, entries: [{ delta: 15, reason: 'Attended the webinar +15', cause: `journey:${journeyId}` }] }],
    });
    // A new version re-scores every contact from history: the adjustment is history too.
    await ok(`/api/scoring-models/${model.id}`, {
      method: 'PATCH',
      json: { definition: { ...definition, rules: [{ ...definition.rules[0], points: 7 }] } },
    });
    await ok(`/api/scoring-models/${model.id}/publish`, { method: 'POST' });
    await run();
    expect((await ok(`/api/scoring-models/${model.id}`)).build).toMatchObject({ state: 'idle' });
    const after = await explained(ids[3]!);
    // Points written only into the score would be taken back here ("rule … is not in version 2").
    expect(after).toMatchObject({ score: 15, band: 'Warm' });
    expect(after.rules).toEqual([expect.objectContaining({ rule: line, points: 15 })]);
  });

  it('set_stage moves contacts (backwards too) with the journey as cause; a contact already there is unchanged', async () => {
    const { ok, contacts, journey } = await setup();
    const ids = await contacts(50);
    await ok(`/api/contacts/${ids[0]}/stage`, { method: 'POST', json: { stage: 'Opportunity' } });
    await ok(`/api/contacts/${ids[1]}/stage`, { method: 'POST', json: { stage: 'Recycled', reason: 'no budget' } });
    const { journeyId, traces } = await journey([{ id: 'recycle', type: 'set_stage', stage: 'Recycled', reason: 'no reply' }], ids);
    expect(traces.get(ids[0]!)!.steps[0]).toMatchObject({ outcome: 'stage', detail: { from: 'Opportunity', to: 'Recycled' } });
    expect(traces.get(ids[1]!)!.steps[0]).toMatchObject({ outcome: 'unchanged', detail: { stage: 'Recycled' } });
    expect(traces.get(ids[2]!)!.steps[0]).toMatchObject({ outcome: 'stage', detail: { from: null, to: 'Recycled' } });
    expect((await ok(`/api/contacts/${ids[0]}/transitions`)).transitions.at(-1)).toMatchObject({
      from: 'Opportunity',
      to: 'Recycled',
      cause: `journey:${journeyId}`,
      reason: 'no reply',
    });
    expect((await ok(`/api/contacts/${ids[49]}`)).lifecycleStage).toBe('Recycled');
  });

  it('assign_owner, create_task and notify_owner: account owner first, then weighted round robin; audit, task and signed-webhook signal', async () => {
    const { ok, db, ws, contacts, journey } = await setup();
    await ok('/api/lifecycle', {
      method: 'PUT',
      json: {
        definition: {
          handoff: {
            salesUsers: [
              { email: 'sato@sales.jp', weight: 3 },
              { email: 'suzuki@sales.jp', weight: 1 },
            ],
          },
        },
      },
    });
    await ok('/api/lifecycle/publish', { method: 'POST' });
    const ids = await contacts(40);
    const company = await ok('/api/companies', { json: { name: '株式会社サンプル' } });
    const [colleague, kept] = await contacts(2, { companyId: company.id });
    await ok(`/api/contacts/${colleague}`, { method: 'PATCH', json: { owner: 'tanaka@sales.jp' } });
    await ok(`/api/contacts/${kept}`, { method: 'PATCH', json: { companyId: null, owner: 'kept@sales.jp' } });
    const [account] = await contacts(1, { email: 'new@sample.co.jp', companyId: company.id });
    const all = [...ids, account!, kept!];
    const { journeyId, traces } = await journey(
      [
        { id: 'assign', type: 'assign_owner', next: 'task' },
        { id: 'task', type: 'create_task', title: 'Call back', dueIn: { hours: 4 }, next: 'tell' },
        { id: 'tell', type: 'notify_owner', message: '{{ contact.lastName }} 様 ({{ contact.email }}) is hot' },
      ],
      all,
    );
    expect(traces.get(account!)!.steps[0]).toMatchObject({ outcome: 'owner', detail: { ownerId: 'tanaka@sales.jp', how: 'account' } });
    expect(traces.get(kept!)!.steps[0]).toMatchObject({ outcome: 'owner', detail: { ownerId: 'kept@sales.jp', how: 'kept' } });
    const given = ids.map((id) => traces.get(id)!.steps[0]!.detail.ownerId);
    expect(given.filter((o) => o === 'sato@sales.jp')).toHaveLength(30);
    expect(given.filter((o) => o === 'suzuki@sales.jp')).toHaveLength(10);
    expect((await ok(`/api/contacts/${ids[0]}`)).owner).toBe(given[0]);
    const audit = await db.selectFrom('owner_assignments').selectAll().where('workspace_id', '=', ws.workspaceId).execute();
    expect(audit).toHaveLength(41);
    expect(audit.every((a) => a.cause === `journey:${journeyId}`)).toBe(true);

    const task = traces.get(account!)!.steps[1]!;
    expect(task).toMatchObject({ outcome: 'task', detail: { ownerId: 'tanaka@sales.jp' } });
    const tasks = (await ok(`/api/tasks?contactId=${account}`)).items;
    expect(tasks).toMatchObject([
      { id: task.detail.taskId, owner: 'tanaka@sales.jp', title: 'Call back', source: 'journey', dueAt: '2026-04-01T05:00:00.000Z' },
    ]);

    expect(traces.get(account!)!.steps[2]).toMatchObject({ outcome: 'notified', detail: { ownerId: 'tanaka@sales.jp' } });
    const signal = await db
      .selectFrom('signals')
      .select('data')
      .where('kind', '=', 'owner.notified')
      .where('contact_id', '=', account!)
      .executeTakeFirstOrThrow();
    expect(signal.data).toMatchObject({ owner: 'tanaka@sales.jp', message: '山田 様 (new@sample.co.jp) is hot', journeyId });
  });

  it('create_task and notify_owner skip a contact without owner, and the journey goes on', async () => {
    const { contacts, journey } = await setup();
    const [id] = await contacts(1);
    const { traces } = await journey(
      [
        { id: 'task', type: 'create_task', title: 'Call back', next: 'tell' },
        { id: 'tell', type: 'notify_owner', message: 'hot lead' },
      ],
      [id!],
    );
    expect(traces.get(id!)).toMatchObject({
      status: 'completed',
      steps: [
        { nodeId: 'task', outcome: 'skipped', detail: { reason: 'the contact has no owner for the task' } },
        { nodeId: 'tell', outcome: 'skipped', detail: { reason: 'the contact has no owner to notify' } },
        { outcome: 'completed' },
      ],
    });
  });

  it('publish checks each node against the workspace and names the node and field; nothing is published', async () => {
    const { ok, db, ws, app } = await setup();
    await ok('/api/custom-fields', { json: { key: 'plan', label: 'Plan', type: 'enum', options: ['free', 'pro'] } });
    const draft = await ok('/api/scoring-models', {
      json: {
        name: 'Draft',
        definition: { rules: [{ id: 'a', label: 'A', kind: 'behavior', event: 'X', points: 1 }], bands: [{ name: 'All', min: 0 }] },
      },
    });
    const missing = '00000000-0000-4000-8000-000000000000';
    const cases: [unknown, string, RegExp][] = [
      [{ type: 'update_field', field: 'nickname', value: 'x' }, 'definition.nodes.0.field', /unknown field nickname/],
      [{ type: 'update_field', field: 'custom.tier', value: 'x' }, 'definition.nodes.0.field', /unknown custom field tier/],
      [{ type: 'update_field', field: 'lifecycleStage', value: 'MQL' }, 'definition.nodes.0.field', /set_stage/],
      [{ type: 'update_field', field: 'custom.plan', value: 'gold' }, 'definition.nodes.0.value', /expected one of free, pro/],
      [{ type: 'update_field', field: 'employeeCount', value: 'many' }, 'definition.nodes.0.value', /employeeCount/],
      [{ type: 'list', add: [missing] }, 'definition.nodes.0.add.0', /no list/],
      [{ type: 'score', modelId: missing, points: 5, reason: 'r' }, 'definition.nodes.0.modelId', /no scoring model/],
      [{ type: 'score', modelId: draft.id, points: 5, reason: 'r' }, 'definition.nodes.0.modelId', /not published/],
      [{ type: 'set_stage', stage: 'Champion' }, 'definition.nodes.0.stage', /no stage Champion/],
      [{ type: 'notify_owner', message: 'Hi {{ contact.lastName' }, 'definition.nodes.0.message', /Liquid/],
      [{ type: 'notify_owner', message: 'Hi {{ contact.shoeSize }}' }, 'definition.nodes.0.message', /unknown property contact\.shoeSize/],
    ];
    for (const [node, path, message] of cases) {
      const definition = { trigger: { type: 'manual' }, start: 'act', nodes: [{ id: 'act', ...(node as object) }] };
      const created = await ok('/api/journeys', { json: { name: 'Bad', definition } });
      const validation = await validateJourney(db, ws.workspaceId, created.id, definition);
      expect(validation.valid, JSON.stringify(node)).toBe(false);
      expect(validation.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
      expect(validation.issues[0]!.message).toMatch(/act/);
      const error = await publishJourney(db, ws.workspaceId, created.id, app.clock).catch((e) => e);
      expect(error.code).toBe('invalid_input');
      expect(error.issues.map((i: { path: string }) => i.path)).toEqual([path.replace(/^definition/, 'draft')]);
      expect((await ok(`/api/journeys/${created.id}`)).publishedVersion).toBeNull();
    }
  });
});

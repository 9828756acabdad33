import { describe, expect, it, vi } from 'vitest';
import { createContact } from '../contacts/contacts.ts';
import { advanceDueEnrolments, enrolContacts } from '../journeys/runtime.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createCliKit } from './cli-test-kit.ts';
import { registerApply } from './commands/apply.ts';
import { registerJourneys } from './commands/journeys.ts';
import { main } from './main.ts';

const database = useTestDatabase();
const DAY = 24 * 3_600_000;

const TEMPLATE = `kind: template
name: ようこそ
definition:
  format: html
  defaultLocale: ja
  locales: { ja: { subject: ようこそ, body: '<p>{{ contact.lastName }} 様</p><a href="{{ unsubscribe_url }}">配信停止</a>' } }
`;
const journey = (templateId: string) => `kind: journey
name: ウェルカム
definition:
  trigger: { type: manual }
  start: welcome
  nodes:
    - { id: welcome, type: send, templateId: ${templateId}, next: pause }
    - { id: pause, type: wait, duration: { days: 1 }, next: mark }
    - { id: mark, type: tag, add: [welcomed] }
`;

/** A published three-node journey with one contact taken through it under the virtual clock. */
async function setup() {
  const kit = await createCliKit(database.current, [registerApply, registerJourneys]);
  const { db, ws, clock, cli, file } = kit;
  await cli('apply', '-f', file('template.yaml', TEMPLATE), '--publish');
  const template = await db.selectFrom('templates').select('id').where('workspace_id', '=', ws.workspaceId).executeTakeFirstOrThrow();
  await cli('apply', '-f', file('journey.yaml', journey(template.id)), '--publish');
  const journeyRow = await db.selectFrom('journeys').select('id').where('workspace_id', '=', ws.workspaceId).executeTakeFirstOrThrow();
  const contact = await createContact(db, ws.workspaceId, { email: 'hanako@example.jp', lastName: '佐藤' }, clock);
  await db.transaction().execute((tx) =>
    enrolContacts(tx, {
      workspaceId: ws.workspaceId,
      journeyId: journeyRow.id,
      contactIds: [contact.id],
      now: clock.now(),
      source: 'test',
    }),
  );
  const advance = async (ms: number) => {
    clock.advance(ms);
    while ((await advanceDueEnrolments(db, clock, { workspaceId: ws.workspaceId })) > 0) {}
  };
  return { ...kit, journeyId: journeyRow.id, contactId: contact.id, advance };
}

describe('kizuna journeys', () => {
  it('trace: every step of a contact through a published journey, by email or id, as text or JSON', async () => {
    const { cli, advance, contactId, journeyId } = await setup();
    await advance(0);
    const waiting = await cli('journeys', 'trace', 'hanako@example.jp');
    expect(waiting).toMatch(/^ウェルカム v1 — active; entered 2026-04-01 01:00:00Z, at pause, next step 2026-04-02 01:00:00Z\n/);
    await advance(DAY);
    const text = await cli('journeys', 'trace', 'Hanako@Example.jp');
    expect(text).toBe(
      [
        'ウェルカム v1 — completed; entered 2026-04-01 01:00:00Z, ended 2026-04-02 01:00:00Z (end of journey)',
        '  2026-04-01 01:00:00Z  welcome              entered  (source=test)',
        '  2026-04-01 01:00:00Z  welcome              sent  (channel=email)',
        '  2026-04-01 01:00:00Z  pause                waiting  (until=2026-04-02T01:00:00.000Z)',
        '  2026-04-02 01:00:00Z  pause                passed',
        '  2026-04-02 01:00:00Z  mark                 tagged  (add=["welcomed"])',
        '  2026-04-02 01:00:00Z  mark                 completed  (reason=end of journey)',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(await cli('journeys', 'trace', contactId, '--json'));
    expect(json).toEqual([expect.objectContaining({ journeyId, journeyName: 'ウェルカム', version: 1, status: 'completed' })]);
    expect(json[0].steps).toHaveLength(6);
    const unknown = await cli('journeys', 'trace', 'nobody@example.jp').catch((e) => e);
    expect(unknown).toMatchObject({ code: 'not_found', message: 'no contact with the email nobody@example.jp in this workspace' });
  });

  it('list and stats: status, version, active contacts, and counts per node by journey name', async () => {
    const { cli, advance, journeyId } = await setup();
    await advance(0);
    expect(await cli('journeys', 'list')).toBe(`${journeyId}  active    v1          1 active  ウェルカム\n`);
    const stats = await cli('journeys', 'stats', 'ウェルカム');
    expect(stats).toContain('ウェルカム (active): 1 active\n');
    expect(stats).toMatch(/^welcome +1 +0 {2}entered 1, sent 1\npause +1 +1 {2}waiting 1\n$/m);
    const json = JSON.parse(await cli('journeys', 'stats', journeyId, '--json'));
    expect(json).toMatchObject({ journeyId, enrolments: { active: 1 } });
    await expect(cli('journeys', 'stats', 'なし')).rejects.toMatchObject({ code: 'not_found' });
  });

  it.each([['journeys'], ['journeys', 'list'], ['journeys', 'stats'], ['journeys', 'trace']])(
    '%s --help explains itself',
    async (...command) => {
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        expect(await main(['node', 'kizuna', ...command, '--help'])).toBe(0);
        const text = out.mock.calls.map((c) => String(c[0])).join('');
        expect(text).toContain(`Usage: kizuna ${command.join(' ')}`);
        expect(text).toMatch(/\$ kizuna |kizuna apply/);
      } finally {
        out.mockRestore();
      }
    },
  );
});

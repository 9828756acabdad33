import { describe, expect, it, vi } from 'vitest';
import { createContact } from '../contacts/contacts.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createCliKit } from './cli-test-kit.ts';
import { registerApply } from './commands/apply.ts';
import { registerSimulate } from './commands/simulate.ts';
import { main } from './main.ts';

const database = useTestDatabase();

const TEMPLATE = `kind: template
name: ようこそ
definition:
  format: html
  defaultLocale: ja
  locales: { ja: { subject: ようこそ, body: '<p>{{ contact.lastName }} 様</p><a href="{{ unsubscribe_url }}">配信停止</a>' } }
`;
const journey = (templateId: string, days: number) => `kind: journey
name: ウェルカム
definition:
  trigger: { type: manual }
  start: welcome
  nodes:
    - { id: welcome, type: send, templateId: ${templateId}, next: pause }
    - { id: pause, type: wait, duration: { days: ${days} }, next: mark }
    - { id: mark, type: tag, add: [welcomed] }
`;

async function setup() {
  const kit = await createCliKit(database.current, [registerApply, registerSimulate]);
  const { db, ws, clock, cli, file } = kit;
  await cli('apply', '-f', file('template.yaml', TEMPLATE), '--publish');
  const template = await db.selectFrom('templates').select('id').where('workspace_id', '=', ws.workspaceId).executeTakeFirstOrThrow();
  await cli('apply', '-f', file('journey.yaml', journey(template.id, 1)));
  for (const [email, lastName] of [
    ['hanako@example.jp', '佐藤'],
    ['taro@example.jp', '山田'],
  ])
    await createContact(db, ws.workspaceId, { email, lastName }, clock);
  const count = async (table: 'journeys' | 'journey_enrolments' | 'deliveries') =>
    (await db.selectFrom(table).select('id').where('workspace_id', '=', ws.workspaceId).execute()).length;
  return { ...kit, templateId: template.id, count };
}

const WINDOW = ['--from', '2026-04-01T02:00:00Z', '--to', '2026-04-05T00:00:00Z'];

describe('kizuna simulate', () => {
  it('replays the draft over a window: nodes, endings, the messages it would send; nothing is kept', async () => {
    const { cli, count } = await setup();
    const out = await cli(
      'simulate',
      '--journey',
      'ウェルカム',
      ...WINDOW,
      '--contact',
      'hanako@example.jp',
      '--contact',
      'taro@example.jp',
    );
    expect(out).toMatch(/^ウェルカム: 2026-04-01 02:00:00Z → 2026-04-05 00:00:00Z, replayed 0 events and 0 signals; 2 entered\n/);
    expect(out).toMatch(
      /^welcome +send +2 +0 {2}entered 2, sent 2\npause +wait +2 +0 {2}passed 2, waiting 2\nmark +tag +2 +0 {2}completed 2, tagged 2$/m,
    );
    expect(out).toContain('ended: 2 completed\nconversions: none\nmessages: 2 would be sent (email 2)\n');
    expect(out).toMatch(/^ {2}2026-04-01 02:00:00Z {2}welcome +email +[0-9a-f-]{36} {2}template [0-9a-f-]{36}$/m);
    expect({
      journeys: await count('journeys'),
      enrolments: await count('journey_enrolments'),
      deliveries: await count('deliveries'),
    }).toEqual({
      journeys: 1,
      enrolments: 0,
      deliveries: 0,
    });
  });

  it('-f simulates another definition instead of the draft; --json gives the whole report', async () => {
    const { cli, file, templateId } = await setup();
    const draft = file('longer.yaml', journey(templateId, 10));
    const report = JSON.parse(
      await cli('simulate', '--journey', 'ウェルカム', '-f', draft, ...WINDOW, '--contact', 'taro@example.jp', '--json'),
    );
    expect(report).toMatchObject({ entered: 1, stats: { enrolments: { active: 1 } }, messages: [{ nodeId: 'welcome', channel: 'email' }] });
  });

  it('says what is missing: who enters a manual journey, a date it can read', async () => {
    const { cli } = await setup();
    await expect(cli('simulate', '--journey', 'ウェルカム', ...WINDOW)).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [{ path: 'body.enrol', message: expect.stringContaining('a manual journey needs') }],
    });
    await expect(cli('simulate', '--journey', 'ウェルカム', '--from', 'yesterday', '--to', '2026-04-05')).rejects.toThrow(
      '--from: expected an ISO date such as 2026-04-01',
    );
  });

  it('explains itself in --help, with an example', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'kizuna', 'simulate', '--help'])).toBe(0);
      const text = out.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toContain('Usage: kizuna simulate [options]');
      expect(text).toContain('$ kizuna simulate --journey カゴ落ち --from 2026-03-01 --to 2026-04-01');
    } finally {
      out.mockRestore();
    }
  });
});

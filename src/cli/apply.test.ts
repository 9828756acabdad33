import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { countWorkspaceRows, useTestDatabase } from '../platform/db/test-database.ts';
import { createCliKit } from './cli-test-kit.ts';
import { registerApply } from './commands/apply.ts';
import { main } from './main.ts';

const database = useTestDatabase();
const TABLES = ['templates', 'segments', 'scoring_models', 'journeys'] as const;
const ID = '[0-9a-f-]{36}';

const TEMPLATE = `kind: template
name: ようこそ
definition:
  format: html
  defaultLocale: ja
  locales:
    ja:
      subject: ようこそ
      body: '<p>{{ contact.lastName }} 様</p><a href="{{ unsubscribe_url }}">配信停止</a>'
`;
const SEGMENT = `kind: segment
name: 東京の見込み客
description: 東京都の連絡先
definition:
  condition: { type: field, field: email, operator: ends_with, value: "@example.jp" }
`;
const MODEL = `kind: scoring_model
name: BtoB
definition:
  rules: [{ id: trial, label: trial, kind: behavior, event: Trial Started, points: 30 }]
  bands: [{ name: Cold, min: 0, max: 24 }, { name: Hot, min: 25 }]
`;
const journey = (templateId: string, description = 'first mail') => `kind: journey
name: ウェルカム
description: ${description}
definition:
  trigger: { type: manual }
  start: welcome
  nodes:
    - { id: welcome, type: send, templateId: ${templateId} }
`;

async function setup() {
  const kit = await createCliKit(database.current, [registerApply]);
  const versions = async (table: string, parent: string, key: string) => {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM ${sql.table(table)} v JOIN ${sql.table(parent)} p ON p.id = v.${sql.ref(key)}
      WHERE p.workspace_id = ${kit.ws.workspaceId}`.execute(kit.db);
    return rows[0]!.n;
  };
  const rows = async () => ({
    ...(await countWorkspaceRows(database.current, kit.ws.workspaceId, TABLES)),
    template_versions: await versions('template_versions', 'templates', 'template_id'),
    journey_versions: await versions('journey_versions', 'journeys', 'journey_id'),
  });
  const idOf = async (table: 'templates' | 'journeys', name: string) =>
    (
      await kit.db
        .selectFrom(table)
        .select('id')
        .where('workspace_id', '=', kit.ws.workspaceId)
        .where('name', '=', name)
        .executeTakeFirstOrThrow()
    ).id;
  return { ...kit, rows, idOf };
}

describe('kizuna apply', () => {
  it('creates from a multi-document file, then updates by name, leaves the unchanged alone and publishes only what changed', async () => {
    const { cli, file, rows, idOf } = await setup();
    const first = file('base.yaml', `${TEMPLATE}---\n${SEGMENT}---\n${MODEL}`);
    const created = await cli('apply', '-f', first, '--publish');
    expect(created).toMatch(new RegExp(`^template +${ID}  created, published v1  ようこそ$`, 'm'));
    expect(created).toMatch(new RegExp(`^segment +${ID}  created, published v1  東京の見込み客$`, 'm'));
    expect(created).toMatch(new RegExp(`^scoring_model +${ID}  created, published v1  BtoB$`, 'm'));
    expect(created.trim().split('\n')).toHaveLength(3);

    // The journey can send the template now that it has an id and a published version.
    const templateId = await idOf('templates', 'ようこそ');
    const flow = file('journey.yaml', journey(templateId));
    expect(await cli('apply', '-f', flow)).toMatch(new RegExp(`^journey +${ID}  created  ウェルカム$`, 'm'));
    const journeyId = await idOf('journeys', 'ウェルカム');
    expect(await cli('apply', '-f', flow)).toBe(`journey       ${journeyId}  unchanged  ウェルカム\n`);
    file('journey.yaml', journey(templateId, 'second mail'));
    expect(await cli('apply', '-f', flow, '--publish')).toBe(`journey       ${journeyId}  updated, published v1  ウェルカム\n`);
    // Applied again, nothing differs from what is published: no v2.
    expect(await cli('apply', '-f', flow, '--publish')).toBe(`journey       ${journeyId}  unchanged  ウェルカム\n`);
    const again = await cli('apply', '-f', first, '--publish');
    expect(again.match(/unchanged/g)).toHaveLength(3);
    expect(await rows()).toMatchObject({
      templates: 1,
      template_versions: 1,
      segments: 1,
      scoring_models: 1,
      journeys: 1,
      journey_versions: 1,
    });
  });

  it('--dry-run checks every document, says what would happen and writes nothing', async () => {
    const { cli, file, rows } = await setup();
    const before = await rows();
    const out = await cli('apply', '-f', file('dry.yaml', `${TEMPLATE}---\n${SEGMENT}`), '--dry-run', '--publish');
    expect(out).toContain('template      (new)                                 would be created, would be published  ようこそ\n');
    expect(out).toContain('dry run: 2 documents valid; nothing was changed');
    expect(await rows()).toEqual(before);
  });

  it('one invalid document among valid ones: nothing is written, and each problem names its file, document and field', async () => {
    const { cli, file, rows } = await setup();
    const before = await rows();
    const path = file(
      'mixed.yaml',
      `${SEGMENT}---\n${journey('00000000-0000-4000-8000-000000000000')}---\nkind: campaign\nname: x\n---\nkind: segment\nname: 2つ目\ncolour: red\n`,
    );
    const error = await cli('apply', '-f', path).catch((e) => e);
    expect(error).toMatchObject({ code: 'invalid_input', message: '3 of 4 documents are invalid; nothing was applied' });
    const paths = error.issues.map((i: { path: string; message: string }) => `${i.path}: ${i.message}`);
    expect(paths).toEqual([
      expect.stringMatching(/mixed\.yaml document 3 kind: expected kind template, segment, scoring_model, journey/),
      `${path} document 4 (segment "2つ目") definition: required: the segment's definition`,
      `${path} document 4 (segment "2つ目"): Unrecognized key: "colour"`,
      `${path} document 2 (journey "ウェルカム") definition.nodes.0.templateId: send node "welcome": no template 00000000-0000-4000-8000-000000000000 in this workspace`,
    ]);
    expect(await rows()).toEqual(before);
  });

  it('reads JSON from stdin with -f -, and says which line of a file is not YAML', async () => {
    const { cli, file, setStdin, rows } = await setup();
    setStdin(
      JSON.stringify([{ kind: 'segment', name: 'A', definition: { condition: { type: 'field', field: 'email', operator: 'is_set' } } }]),
    );
    expect(await cli('apply', '-f', '-')).toMatch(new RegExp(`^segment +${ID}  created  A\n$`));
    const error = await cli('apply', '-f', '-', '-f', file('broken.yaml', `${SEGMENT}---\nkind: [segment\n`)).catch((e) => e);
    expect(error.issues).toEqual([
      { path: expect.stringMatching(/broken\.yaml line \d+$/), message: expect.stringContaining('not valid YAML') },
    ]);
    expect((await rows()).segments).toBe(1);
  });

  it('explains itself in --help, with an example', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'kizuna', 'apply', '--help'])).toBe(0);
      const text = out.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toContain('Usage: kizuna apply [options]');
      expect(text).toContain('--dry-run');
      expect(text).toContain('$ kizuna apply -f segments.yaml -f journeys.yaml --publish');
    } finally {
      out.mockRestore();
    }
  });
});

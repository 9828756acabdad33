import type { Kysely } from 'kysely';
import type { DB } from '../platform/db/schema.ts';
import { dependencies } from '../segments/compile.ts';
import { ZCondition } from '../segments/condition.ts';
import { segmentsReading } from '../segments/segment-uses.ts';

/**
 * What reads a custom field (`custom.<key>` or `company.custom.<key>`) and would break if its
 * declaration went away, named for the person deleting it:
 * - live segments (they would no longer compile);
 * - live scoring models' attribute rules and the lifecycle's stage rules, draft or published
 *   (both run in every ingest transaction of the workspace: a condition on an undeclared field
 *   would fail every tracking request);
 * - forms asking for it (every submission would be refused).
 * Journeys are left out on purpose: a journey step that reads a deleted field fails that
 * contact's enrolment with the reason, and the journey goes on.
 */
export async function customFieldUsers(db: Kysely<DB>, workspaceId: string, path: string): Promise<string[]> {
  const reads = (condition: unknown) => {
    const parsed = ZCondition.safeParse(condition);
    return parsed.success && dependencies(parsed.data).catalogFields.has(path);
  };
  const rulesRead = (definition: unknown, kind?: string): { stage?: string; label?: string }[] => {
    const rules = (definition as { rules?: unknown } | null)?.rules;
    if (!Array.isArray(rules)) return [];
    return rules.filter(
      (rule): rule is { condition: unknown; stage?: string; label?: string } =>
        typeof rule === 'object' && rule !== null && (kind === undefined || rule.kind === kind) && reads(rule.condition),
    );
  };
  const [segments, models, lifecycle, forms] = await Promise.all([
    segmentsReading(db, workspaceId, (deps) => deps.catalogFields.has(path)),
    db
      .selectFrom('scoring_models as m')
      .leftJoin('scoring_model_versions as v', (join) =>
        join.onRef('v.model_id', '=', 'm.id').onRef('v.version', '=', 'm.published_version'),
      )
      .select(['m.name', 'm.draft', 'v.definition'])
      .where('m.workspace_id', '=', workspaceId)
      .where('m.archived_at', 'is', null)
      .orderBy('m.name')
      .execute(),
    db
      .selectFrom('lifecycle_settings as s')
      .leftJoin('lifecycle_versions as v', (join) =>
        join.onRef('v.workspace_id', '=', 's.workspace_id').onRef('v.version', '=', 's.published_version'),
      )
      .select(['s.draft', 'v.definition'])
      .where('s.workspace_id', '=', workspaceId)
      .executeTakeFirst(),
    path.startsWith('custom.')
      ? db.selectFrom('forms').select(['name', 'definition']).where('workspace_id', '=', workspaceId).orderBy('name').execute()
      : [],
  ]);
  const users = segments.map((id) => `segment ${id}`);
  for (const model of models) {
    if (rulesRead(model.draft, 'attribute').length || rulesRead(model.definition, 'attribute').length)
      users.push(`scoring model "${model.name}"`);
  }
  const stages = new Set([...rulesRead(lifecycle?.draft), ...rulesRead(lifecycle?.definition)].map((rule) => rule.stage ?? '?'));
  for (const stage of stages) users.push(`the lifecycle rule for ${stage}`);
  for (const form of forms) {
    const fields = (form.definition as { fields?: { key?: unknown }[] } | null)?.fields;
    if (Array.isArray(fields) && fields.some((f) => f?.key === path)) users.push(`form "${form.name}"`);
  }
  return users;
}

import { z } from '@hono/zod-openapi';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { CampaignStatus, CampaignsTable, DB } from '../../platform/db/schema.ts';
import { invalidInput, KizunaError, notFound } from '../../platform/errors.ts';
import { parseInput } from '../../platform/parse-input.ts';
import { assignTestGroups, decideWinner, seededRandom, type WinnerDecision } from '../ab-test.ts';
import { cancelPendingDeliveries } from '../deliveries/deliveries.ts';
import { getSendingSettings } from '../deliveries/sending-settings.ts';
import { type AbTest, type CampaignDefinition, ZCampaignDefinition } from './campaign-schema.ts';

const STATUSES = ['draft', 'scheduled', 'testing', 'sending', 'sent', 'cancelled'] as const;
/** How often a sending campaign is looked at to see whether it is done. */
const CHECK_EVERY_MS = 60_000;
const HOUR_MS = 3_600_000;

export const ZCampaignInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    definition: ZCampaignDefinition,
  })
  .strict()
  .openapi('CampaignInput');

export const ZCampaignPatch = z
  .object({ name: z.string().trim().min(1).max(200).optional(), definition: ZCampaignDefinition.optional() })
  .strict()
  .openapi('CampaignPatch');

export const ZScheduleInput = z
  .object({ at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'When to start; default now.' }) })
  .strict()
  .openapi('CampaignSchedule');

export const ZAbResult = z
  .object({
    winner: z.string(),
    significant: z.boolean(),
    test: z.string(),
    statistic: z.number(),
    pValue: z.number(),
    rates: z.record(z.string(), z.number()),
    reason: z.string(),
    variants: z.array(z.object({ key: z.string(), sent: z.number(), successes: z.number() })),
    decidedAt: z.string(),
  })
  .openapi('AbResult');

export const ZCampaign = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: z.enum(STATUSES),
    definition: ZCampaignDefinition,
    scheduledAt: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    abResult: ZAbResult.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Campaign');
export type Campaign = z.infer<typeof ZCampaign>;

export async function createCampaign(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<Campaign> {
  const { name, definition } = parseInput(ZCampaignInput, input);
  await checkReferences(db, workspaceId, definition);
  const now = clock.now();
  const row = await db
    .insertInto('campaigns')
    .values({
      id: crypto.randomUUID(),
      workspace_id: workspaceId,
      name,
      status: 'draft',
      definition: JSON.stringify(definition),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toCampaign(row);
}

/** Edits a draft or a scheduled campaign; one that has started cannot change. */
export async function updateCampaign(db: Kysely<DB>, workspaceId: string, id: string, input: unknown, clock: Clock): Promise<Campaign> {
  const patch = parseInput(ZCampaignPatch, input);
  const current = await loadRow(db, workspaceId, id);
  assertEditable(current);
  if (patch.definition) await checkReferences(db, workspaceId, patch.definition);
  const row = await db
    .updateTable('campaigns')
    .set({
      ...(patch.name ? { name: patch.name } : {}),
      ...(patch.definition ? { definition: JSON.stringify(patch.definition) } : {}),
      updated_at: clock.now(),
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('status', 'in', ['draft', 'scheduled'])
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new KizunaError('conflict', `campaign ${id} has started and can no longer be edited`);
  return toCampaign(row);
}

export async function getCampaign(db: Kysely<DB>, workspaceId: string, id: string): Promise<Campaign> {
  return toCampaign(await loadRow(db, workspaceId, id));
}

export async function listCampaigns(db: Kysely<DB>, workspaceId: string): Promise<Campaign[]> {
  const rows = await db
    .selectFrom('campaigns')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toCampaign);
}

/** Deletes a draft; a campaign that was scheduled is cancelled instead, so its report stays. */
export async function deleteCampaign(db: Kysely<DB>, workspaceId: string, id: string): Promise<void> {
  const deleted = await db
    .deleteFrom('campaigns')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('status', '=', 'draft')
    .executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) {
    await loadRow(db, workspaceId, id);
    throw new KizunaError('conflict', `campaign ${id} is not a draft: cancel it instead (its deliveries and report are kept)`);
  }
}

/**
 * Schedules a draft to start at `at` (default now): the template (and every variant's) must be
 * published, the audience and topic must exist. The worker starts it when due.
 */
export async function scheduleCampaign(db: Kysely<DB>, workspaceId: string, id: string, input: unknown, clock: Clock): Promise<Campaign> {
  const { at } = parseInput(ZScheduleInput, input ?? {});
  const current = await loadRow(db, workspaceId, id);
  assertEditable(current);
  const definition = ZCampaignDefinition.parse(current.definition);
  await checkReferences(db, workspaceId, definition, { published: true });
  const start = at ? new Date(at) : clock.now();
  const row = await db
    .updateTable('campaigns')
    .set({ status: 'scheduled', scheduled_at: start, next_step_at: start, updated_at: clock.now() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('status', 'in', ['draft', 'scheduled'])
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new KizunaError('conflict', `campaign ${id} started or was cancelled meanwhile`);
  return toCampaign(row);
}

/** Stops a campaign: messages not yet sent are skipped (reason cancelled); sent ones stay in the report. */
export async function cancelCampaign(db: Kysely<DB>, workspaceId: string, id: string, clock: Clock): Promise<Campaign> {
  const now = clock.now();
  const row = await db.transaction().execute(async (tx) => {
    const updated = await tx
      .updateTable('campaigns')
      .set({ status: 'cancelled', next_step_at: null, finished_at: now, updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('status', 'in', ['draft', 'scheduled', 'testing', 'sending'])
      .returningAll()
      .executeTakeFirst();
    if (!updated) {
      const current = await loadRow(tx, workspaceId, id);
      throw new KizunaError('conflict', `campaign ${id} is ${current.status} and cannot be cancelled`);
    }
    await cancelPendingDeliveries(tx, workspaceId, { campaignId: id }, now);
    return updated;
  });
  return toCampaign(row);
}

/**
 * Moves every due campaign one step: a scheduled one starts (queues its audience, or its A/B test
 * groups), a test whose window ended picks its winner and queues the remainder with it, a sending
 * one whose messages are all settled is sent. Each campaign in its own transaction, claimed with
 * SKIP LOCKED, so any number of workers may run this.
 * @returns how many campaigns moved.
 */
export async function advanceDueCampaigns(db: Kysely<DB>, clock: Clock, { workspaceId }: { workspaceId?: string } = {}): Promise<number> {
  let moved = 0;
  for (;;) {
    const stepped = await db.transaction().execute(async (tx) => {
      const now = clock.now();
      const { rows } = await sql<Selectable<CampaignsTable>>`
        SELECT * FROM campaigns
        WHERE status IN ('scheduled', 'testing', 'sending') AND next_step_at <= ${now}
          ${workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``}
        ORDER BY next_step_at LIMIT 1 FOR UPDATE SKIP LOCKED`.execute(tx);
      const campaign = rows[0];
      if (!campaign) return false;
      await step(tx, campaign, now);
      return true;
    });
    if (!stepped) return moved;
    moved++;
  }
}

async function step(tx: Kysely<DB>, campaign: Selectable<CampaignsTable>, now: Date): Promise<void> {
  const definition = ZCampaignDefinition.parse(campaign.definition);
  const set = (status: CampaignStatus, extra: Record<string, unknown> = {}) =>
    tx
      .updateTable('campaigns')
      .set({ status, updated_at: now, ...extra })
      .where('id', '=', campaign.id)
      .execute();
  if (campaign.status === 'scheduled') {
    const audience = await loadAudience(tx, campaign.workspace_id, definition);
    const versions = await publishedVersions(tx, campaign.workspace_id, definition);
    const test = definition.abTest;
    if (test) {
      const groups = assignTestGroups(audience, test, seededRandom(test.seed ?? campaign.id));
      const byVariant = new Map<string, string[]>();
      for (const [contactId, key] of groups.assignments) byVariant.set(key, [...(byVariant.get(key) ?? []), contactId]);
      for (const variant of test.variants)
        await queueAudience(tx, campaign, definition, byVariant.get(variant.key) ?? [], now, {
          variant: variant.key,
          templateId: variant.templateId ?? definition.templateId,
          version: versions.get(variant.templateId ?? definition.templateId)!,
        });
      if (groups.remainder.length > 0) {
        await set('testing', { started_at: now, next_step_at: new Date(now.getTime() + test.testHours * HOUR_MS) });
        return;
      }
    } else {
      await queueAudience(tx, campaign, definition, audience, now, {
        templateId: definition.templateId,
        version: versions.get(definition.templateId)!,
      });
    }
    await set('sending', { started_at: now, next_step_at: new Date(now.getTime() + CHECK_EVERY_MS) });
    return;
  }
  if (campaign.status === 'testing') {
    const test = definition.abTest!;
    const results = await variantResults(tx, campaign.id, test, now);
    const decision = decideWinner(results, { confidence: test.confidence, ifInconclusive: test.ifInconclusive });
    const winner = test.variants.find((v) => v.key === decision.winner)!;
    // The remainder: the audience as it is now, less everyone already in the test.
    const audience = await loadAudience(tx, campaign.workspace_id, definition);
    const tested = new Set(
      (
        await tx
          .selectFrom('deliveries')
          .select('contact_id')
          .where('campaign_id', '=', campaign.id)
          .where('variant', 'is not', null)
          .execute()
      ).map((r) => r.contact_id),
    );
    const versions = await publishedVersions(tx, campaign.workspace_id, definition);
    const templateId = winner.templateId ?? definition.templateId;
    await queueAudience(
      tx,
      campaign,
      definition,
      audience.filter((id) => !tested.has(id)),
      now,
      { variant: winner.key, templateId, version: versions.get(templateId)!, remainder: true },
    );
    await set('sending', {
      ab_result: JSON.stringify(abResult(decision, results, now)),
      next_step_at: new Date(now.getTime() + CHECK_EVERY_MS),
    });
    return;
  }
  // sending: done when nothing of it is waiting any more.
  const pending = await tx
    .selectFrom('deliveries')
    .select('id')
    .where('campaign_id', '=', campaign.id)
    .where('status', 'in', ['queued', 'deferred', 'sending'])
    .limit(1)
    .executeTakeFirst();
  if (pending) await set('sending', { next_step_at: new Date(now.getTime() + CHECK_EVERY_MS) });
  else await set('sent', { finished_at: now, next_step_at: null });
}

/** Members of the audience now, with an email address, in id order. */
async function loadAudience(tx: Kysely<DB>, workspaceId: string, definition: CampaignDefinition): Promise<string[]> {
  const members =
    'segmentId' in definition.audience
      ? sql`SELECT contact_id FROM segment_members WHERE segment_id = ${definition.audience.segmentId} AND exited_at IS NULL`
      : sql`SELECT contact_id FROM list_members WHERE list_id = ${definition.audience.listId}`;
  const { rows } = await sql<{ id: string }>`
    SELECT c.id FROM contacts c JOIN (${members}) m ON m.contact_id = c.id
    WHERE c.workspace_id = ${workspaceId} AND c.email IS NOT NULL
    ORDER BY c.id`.execute(tx);
  return rows.map((r) => r.id);
}

/** The published version of the campaign's template and of each variant's, as of now. */
async function publishedVersions(tx: Kysely<DB>, workspaceId: string, definition: CampaignDefinition): Promise<Map<string, number>> {
  const ids = [definition.templateId, ...(definition.abTest?.variants.flatMap((v) => (v.templateId ? [v.templateId] : [])) ?? [])];
  const rows = await tx
    .selectFrom('templates')
    .select(['id', 'published_version'])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', ids)
    .execute();
  const versions = new Map<string, number>();
  for (const row of rows) if (row.published_version !== null) versions.set(row.id, row.published_version);
  for (const id of ids)
    if (!versions.has(id)) throw new KizunaError('conflict', `template ${id} has no published version: the campaign cannot start`);
  return versions;
}

/**
 * Queues one message per contact, deduped by campaign and contact (a restarted step queues
 * nothing twice). Throttling spreads due times evenly at the hourly rate; send-time optimisation
 * puts each contact at their usual engagement hour within a day of the start.
 */
async function queueAudience(
  tx: Kysely<DB>,
  campaign: Selectable<CampaignsTable>,
  definition: CampaignDefinition,
  contactIds: string[],
  now: Date,
  { variant, templateId, version, remainder = false }: { variant?: string; templateId: string; version: number; remainder?: boolean },
): Promise<void> {
  if (contactIds.length === 0) return;
  // A campaign picked up late starts now: its throttle spreads from here, not from a past hour.
  const start = remainder || !campaign.scheduled_at || campaign.scheduled_at < now ? now : campaign.scheduled_at;
  const best = definition.sendTimeOptimization ? await bestHours(tx, campaign.workspace_id, contactIds, now) : undefined;
  const fallbackHour = definition.sendTimeOptimization ? (await getSendingSettings(tx, campaign.workspace_id)).fallbackSendHour : 0;
  const spacing = definition.throttlePerHour ? HOUR_MS / definition.throttlePerHour : 0;
  for (let offset = 0; offset < contactIds.length; offset += 5000) {
    const chunk = contactIds.slice(offset, offset + 5000);
    const due = chunk.map((id, i) => {
      let at = start.getTime() + Math.floor((offset + i) * spacing);
      if (best) {
        const { hour, timeZone } = best.get(id) ?? { hour: fallbackHour, timeZone: best.get('')!.timeZone };
        at = Math.max(at, nextLocalHour(new Date(at), hour ?? fallbackHour, timeZone).getTime());
      }
      return new Date(at).toISOString();
    });
    await sql`
      INSERT INTO deliveries (id, workspace_id, contact_id, channel, kind, campaign_id, source, dedupe_key,
        template_id, template_version, variant, topic, priority, status, due_at, created_at)
      SELECT gen_random_uuid(), ${campaign.workspace_id}, c.id, 'email', 'marketing', ${campaign.id}, ${`campaign:${campaign.id}${remainder ? ':remainder' : ''}`},
        ${`campaign:${campaign.id}:`} || c.id, ${templateId}, ${version}, ${variant ?? null}, ${definition.topic ?? null},
        ${definition.priority}, 'queued', c.due, ${now}
      FROM unnest(${chunk}::uuid[], ${due}::timestamptz[]) AS c (id, due)
      ON CONFLICT (workspace_id, dedupe_key) DO NOTHING`.execute(tx);
  }
}

/**
 * Each contact's usual hour of opening or clicking (people only, last 90 days) in their time zone;
 * contacts without history are absent. Key '' holds the workspace time zone for them.
 */
async function bestHours(
  tx: Kysely<DB>,
  workspaceId: string,
  contactIds: string[],
  now: Date,
): Promise<Map<string, { hour: number | null; timeZone: string }>> {
  const { rows } = await sql<{ id: string; tz: string; hour: number | null }>`
    SELECT c.id, coalesce(c.timezone, w.timezone) AS tz, (
      SELECT extract(hour FROM e.occurred_at AT TIME ZONE coalesce(c.timezone, w.timezone))::int
      FROM events e
      WHERE e.workspace_id = ${workspaceId} AND e.contact_id = c.id AND e.name IN ('Email Opened', 'Email Link Clicked')
        AND e.occurred_at > ${new Date(now.getTime() - 90 * 24 * HOUR_MS)} AND coalesce(e.properties->>'machine', 'false') = 'false'
      GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) AS hour
    FROM contacts c JOIN workspaces w ON w.id = c.workspace_id
    WHERE c.id = ANY(${contactIds}::uuid[])`.execute(tx);
  const workspace = await tx.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow();
  const map = new Map(rows.map((r) => [r.id, { hour: r.hour, timeZone: r.tz }]));
  map.set('', { hour: null, timeZone: workspace.timezone });
  return map;
}

/** The first instant at or after `at` whose local time in `timeZone` is `hour`:00. */
export function nextLocalHour(at: Date, hour: number, timeZone: string): Date {
  // Walk whole UTC hours: every zone's offset is a multiple of 15 minutes, so check quarter hours.
  const start = Math.ceil(at.getTime() / 900_000) * 900_000;
  const format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
  for (let t = start; t < start + 25 * HOUR_MS; t += 900_000) {
    const parts = Object.fromEntries(format.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
    if (Number(parts.hour) === hour && Number(parts.minute) === 0) return new Date(t);
  }
  return at;
}

/** Per variant: messages sent and contacts that met the winner metric (people only). */
async function variantResults(
  tx: Kysely<DB>,
  campaignId: string,
  test: AbTest,
  now: Date,
): Promise<{ key: string; sent: number; successes: number }[]> {
  const metric = test.metric;
  const success =
    metric.kind === 'opens'
      ? sql`d.opened_at IS NOT NULL`
      : metric.kind === 'clicks'
        ? sql`d.clicked_at IS NOT NULL`
        : sql`EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = d.workspace_id AND e.contact_id = d.contact_id
            AND e.name = ${metric.event} AND e.occurred_at >= d.sent_at
            AND e.occurred_at <= least(d.sent_at + make_interval(hours => ${metric.withinHours}), ${now}))`;
  const { rows } = await sql<{ variant: string; sent: number; successes: number }>`
    SELECT d.variant, count(*) FILTER (WHERE d.sent_at IS NOT NULL)::int AS sent,
      count(*) FILTER (WHERE d.sent_at IS NOT NULL AND ${success})::int AS successes
    FROM deliveries d WHERE d.campaign_id = ${campaignId} AND d.variant IS NOT NULL
    GROUP BY d.variant`.execute(tx);
  const byKey = new Map(rows.map((r) => [r.variant, r]));
  return test.variants.map((v) => ({ key: v.key, sent: byKey.get(v.key)?.sent ?? 0, successes: byKey.get(v.key)?.successes ?? 0 }));
}

function abResult(decision: WinnerDecision, variants: { key: string; sent: number; successes: number }[], now: Date) {
  return { ...decision, variants, decidedAt: now.toISOString() };
}

/** The template, audience, topic and variant templates exist in the workspace (and are published, to start). */
async function checkReferences(
  db: Kysely<DB>,
  workspaceId: string,
  definition: CampaignDefinition,
  { published = false }: { published?: boolean } = {},
): Promise<void> {
  const issues: { path: string; message: string }[] = [];
  const templateIds = [
    ['definition.templateId', definition.templateId] as const,
    ...(definition.abTest?.variants ?? []).flatMap((v, i) =>
      v.templateId ? [[`definition.abTest.variants.${i}.templateId`, v.templateId] as const] : [],
    ),
  ];
  const templates = await db
    .selectFrom('templates')
    .select(['id', 'published_version', 'archived_at'])
    .where('workspace_id', '=', workspaceId)
    .where(
      'id',
      'in',
      templateIds.map(([, id]) => id),
    )
    .execute();
  for (const [path, id] of templateIds) {
    const found = templates.find((t) => t.id === id);
    if (!found || found.archived_at) issues.push({ path, message: `no template ${id} in this workspace` });
    else if (published && found.published_version === null)
      issues.push({ path, message: `template ${id} has no published version: publish it first` });
  }
  if ('segmentId' in definition.audience) {
    const segment = await db
      .selectFrom('segments')
      .select(['id', 'published_version'])
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', definition.audience.segmentId)
      .executeTakeFirst();
    if (!segment) issues.push({ path: 'definition.audience.segmentId', message: 'no such segment in this workspace' });
    else if (published && segment.published_version === null)
      issues.push({ path: 'definition.audience.segmentId', message: 'the segment is not published, so it has no members yet' });
  } else {
    const list = await db
      .selectFrom('lists')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', definition.audience.listId)
      .executeTakeFirst();
    if (!list) issues.push({ path: 'definition.audience.listId', message: 'no such list in this workspace' });
  }
  if (definition.topic) {
    const topic = await db
      .selectFrom('subscription_topics')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('key', '=', definition.topic)
      .executeTakeFirst();
    if (!topic) issues.push({ path: 'definition.topic', message: `no subscription topic "${definition.topic}" in this workspace` });
  }
  if (issues.length) throw invalidInput(issues);
}

function assertEditable(row: Selectable<CampaignsTable>): void {
  if (row.status !== 'draft' && row.status !== 'scheduled')
    throw new KizunaError('conflict', `campaign ${row.id} is ${row.status}: only a draft or scheduled campaign can change`);
}

async function loadRow(db: Kysely<DB>, workspaceId: string, id: string): Promise<Selectable<CampaignsTable>> {
  const row = await db.selectFrom('campaigns').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('campaign', id);
  return row;
}

function toCampaign(row: Selectable<CampaignsTable>): Campaign {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    definition: ZCampaignDefinition.parse(row.definition),
    scheduledAt: row.scheduled_at?.toISOString() ?? null,
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    abResult: (row.ab_result as Campaign['abResult']) ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

import { z } from '@hono/zod-openapi';
import { type Kysely, sql } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { ZCampaignDefinition } from './campaign-schema.ts';
import { getCampaign } from './campaigns.ts';

const ZFigures = z
  .object({
    queued: z.number().openapi({ description: 'Messages queued for the audience (one per contact).' }),
    pending: z.number().openapi({ description: 'Not yet sent: queued, deferred (quiet hours, send window, retry) or being sent.' }),
    sent: z.number(),
    delivered: z.number().openapi({ description: 'Sent and not bounced.' }),
    skipped: z
      .record(z.string(), z.number())
      .openapi({ description: 'Not sent, by the policy that stopped it (unsubscribe, hard_bounce, frequency_cap…).' }),
    failed: z.number(),
    bounced: z.object({ hard: z.number(), soft: z.number() }),
    uniqueOpens: z
      .number()
      .openapi({ description: 'Contacts who opened, machine opens (Apple Mail Privacy Protection, scanners) left out.' }),
    machineOpens: z.number(),
    uniqueClicks: z.number().openapi({ description: 'Contacts who clicked, scanner clicks left out.' }),
    unsubscribes: z.number(),
    complaints: z.number(),
    conversions: z
      .number()
      .nullable()
      .openapi({ description: "Contacts with the campaign's conversion event within its window after the send; null without one." }),
    rates: z.object({
      delivery: z.number().nullable(),
      open: z.number().nullable(),
      click: z.number().nullable(),
      clickToOpen: z.number().nullable(),
      unsubscribe: z.number().nullable(),
      complaint: z.number().nullable(),
      bounce: z.number().nullable(),
      conversion: z.number().nullable(),
    }),
  })
  .openapi('CampaignFigures');

export const ZCampaignReport = z
  .object({
    campaignId: z.uuid(),
    name: z.string(),
    status: z.string(),
    total: ZFigures,
    /** Per A/B variant (the remainder counts under the winner's key, apart as `<key>:remainder`). */
    variants: z.array(ZFigures.extend({ key: z.string() })),
  })
  .openapi('CampaignReport');
export type CampaignReport = z.infer<typeof ZCampaignReport>;

interface Row {
  variant: string | null;
  remainder: boolean;
  queued: number;
  pending: number;
  sent: number;
  failed: number;
  hard: number;
  soft: number;
  opens: number;
  machine_opens: number;
  clicks: number;
  unsubscribes: number;
  complaints: number;
  conversions: number | null;
  skipped: Record<string, number> | null;
}

/**
 * A campaign's figures from its delivery rows (and conversion events), in one query: totals and
 * per A/B variant. Rates are over delivered messages (complaints too, as mailbox providers count).
 */
export async function campaignReport(db: Kysely<DB>, workspaceId: string, id: string): Promise<CampaignReport> {
  const campaign = await getCampaign(db, workspaceId, id);
  const conversion = ZCampaignDefinition.parse(campaign.definition).conversion;
  const converted = conversion
    ? sql`count(*) FILTER (WHERE d.sent_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM events e WHERE e.workspace_id = d.workspace_id AND e.contact_id = d.contact_id AND e.name = ${conversion.event}
          AND e.occurred_at >= d.sent_at AND e.occurred_at <= d.sent_at + make_interval(days => ${conversion.withinDays}))))::int`
    : sql`NULL::int`;
  const { rows } = await sql<Row>`
    WITH d AS (
      SELECT d.*, d.source LIKE '%:remainder' AS remainder
      FROM deliveries d
      WHERE d.workspace_id = ${workspaceId} AND d.campaign_id = ${id}),
    s AS (
      SELECT variant, remainder, jsonb_object_agg(reason, n) AS skipped
      FROM (SELECT variant, remainder, coalesce(reason, 'other') AS reason, count(*)::int AS n FROM d WHERE status = 'skipped' GROUP BY 1, 2, 3) x
      GROUP BY 1, 2)
    SELECT d.variant, d.remainder,
      count(*)::int AS queued,
      count(*) FILTER (WHERE d.status IN ('queued', 'deferred', 'sending'))::int AS pending,
      -- Handed to SMTP: sent, or refused at RCPT (a bounce without a sent time).
      count(*) FILTER (WHERE d.sent_at IS NOT NULL OR d.bounced_at IS NOT NULL)::int AS sent,
      count(*) FILTER (WHERE d.status = 'failed')::int AS failed,
      count(*) FILTER (WHERE d.status = 'bounced')::int AS hard,
      count(*) FILTER (WHERE d.status = 'soft_bounced')::int AS soft,
      count(*) FILTER (WHERE d.opened_at IS NOT NULL)::int AS opens,
      count(*) FILTER (WHERE d.machine_opened_at IS NOT NULL AND d.opened_at IS NULL)::int AS machine_opens,
      count(*) FILTER (WHERE d.clicked_at IS NOT NULL)::int AS clicks,
      count(*) FILTER (WHERE d.unsubscribed_at IS NOT NULL)::int AS unsubscribes,
      count(*) FILTER (WHERE d.complained_at IS NOT NULL)::int AS complaints,
      ${converted} AS conversions,
      (SELECT s.skipped FROM s WHERE s.variant IS NOT DISTINCT FROM d.variant AND s.remainder = d.remainder) AS skipped
    FROM d GROUP BY d.variant, d.remainder
    ORDER BY d.variant NULLS FIRST, d.remainder`.execute(db);
  const total = figures(rows, conversion !== undefined);
  const variants = rows
    .filter((r) => r.variant !== null)
    .map((r) => ({ key: r.remainder ? `${r.variant}:remainder` : r.variant!, ...figures([r], conversion !== undefined) }));
  return { campaignId: campaign.id, name: campaign.name, status: campaign.status, total, variants };
}

function figures(rows: Row[], hasConversion: boolean): z.infer<typeof ZFigures> {
  const sum = (pick: (r: Row) => number | null) => rows.reduce((n, r) => n + (pick(r) ?? 0), 0);
  const skipped: Record<string, number> = {};
  for (const r of rows) for (const [reason, n] of Object.entries(r.skipped ?? {})) skipped[reason] = (skipped[reason] ?? 0) + n;
  const sent = sum((r) => r.sent);
  const hard = sum((r) => r.hard);
  const soft = sum((r) => r.soft);
  const delivered = sent - hard - soft;
  const opens = sum((r) => r.opens);
  const clicks = sum((r) => r.clicks);
  const conversions = hasConversion ? sum((r) => r.conversions) : null;
  const rate = (n: number | null, d: number) => (n === null || d === 0 ? null : Math.round((n / d) * 10_000) / 10_000);
  return {
    queued: sum((r) => r.queued),
    pending: sum((r) => r.pending),
    sent,
    delivered,
    skipped,
    failed: sum((r) => r.failed),
    bounced: { hard, soft },
    uniqueOpens: opens,
    machineOpens: sum((r) => r.machine_opens),
    uniqueClicks: clicks,
    unsubscribes: sum((r) => r.unsubscribes),
    complaints: sum((r) => r.complaints),
    conversions,
    rates: {
      delivery: rate(delivered, sent),
      open: rate(opens, delivered),
      click: rate(clicks, delivered),
      clickToOpen: rate(clicks, opens),
      unsubscribe: rate(
        sum((r) => r.unsubscribes),
        delivered,
      ),
      complaint: rate(
        sum((r) => r.complaints),
        delivered,
      ),
      bounce: rate(hard + soft, sent),
      conversion: rate(conversions, delivered),
    },
  };
}

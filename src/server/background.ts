import type { Kysely } from 'kysely';
import { IMPORT_JOB, importJobHandler } from '../imports/imports.ts';
import { advanceDueEnrolments, enrolDueDates, processJourneyInbox } from '../journeys/runtime.ts';
import { drainDueHandoffs, recycleDueHandoffs } from '../lifecycle/handoff.ts';
import { sendDueOwnerNotifications } from '../lifecycle/send-owner-notifications.ts';
import { advanceDueCampaigns } from '../messaging/campaigns/campaigns.ts';
import type { DeliveryPipeline } from '../messaging/deliveries/pipeline.ts';
import type { MailTransport } from '../messaging/smtp/transport.ts';
import type { Clock } from '../platform/clock.ts';
import type { Engine } from '../platform/db/database.ts';
import { statisticsTick } from '../platform/db/refresh-statistics.ts';
import type { DB } from '../platform/db/schema.ts';
import type { JobHandler } from '../platform/jobs/worker.ts';
import type { Logger } from '../platform/logger.ts';
import { createOutboundPolicy, type OutboundPolicy } from '../platform/net/outbound.ts';
import { drainDueScoreChecks } from '../scoring/checks.ts';
import { SCORE_REBUILD_JOB, scoreRebuildHandler } from '../scoring/models.ts';
import { drainDueSegmentChecks } from '../segments/membership.ts';
import { SEGMENT_REBUILD_JOB, segmentRebuildHandler } from '../segments/segments.ts';
import { drainDueWebhooks } from '../webhooks/deliver.ts';

/**
 * The background work of a worker process (`kizuna start`, `kizuna worker`) and of the test app:
 * queued jobs by kind, and the due-row ticks run on every poll. One list, so tests drive exactly
 * what production runs.
 */
export function backgroundWork({
  db,
  clock,
  logger,
  pipeline,
  mailer,
  publicUrl,
  engine,
  outbound = createOutboundPolicy(),
}: {
  db: Kysely<DB>;
  clock: Clock;
  logger?: Logger;
  /** Absent in a process that sends no messages: queued deliveries wait for one that does. */
  pipeline?: DeliveryPipeline;
  /** Absent in a process that sends no mail: queued owner emails wait for one that does. */
  mailer?: MailTransport;
  /** The server's public URL (config.publicUrl): owner emails link the contact under it. */
  publicUrl?: string;
  /** On PGlite, which has no autovacuum, the worker keeps the planner's statistics fresh. */
  engine?: Engine;
  /** Where webhook requests may go (config.outboundAllow); default: public addresses only. */
  outbound?: OutboundPolicy;
}): { handlers: Record<string, JobHandler>; ticks: (() => Promise<number>)[] } {
  return {
    handlers: {
      [IMPORT_JOB]: importJobHandler({ db, clock, logger }),
      [SEGMENT_REBUILD_JOB]: segmentRebuildHandler({ db, clock, logger }),
      [SCORE_REBUILD_JOB]: scoreRebuildHandler({ db, clock, logger }),
    },
    ticks: [
      () => drainDueScoreChecks(db, clock),
      () => drainDueSegmentChecks(db, clock),
      () => drainDueHandoffs(db, clock),
      () => drainDueWebhooks(db, clock, outbound),
      () => recycleDueHandoffs(db, clock),
      () => advanceDueCampaigns(db, clock),
      () => processJourneyInbox(db, clock),
      () => enrolDueDates(db, clock),
      () => advanceDueEnrolments(db, clock),
      ...(pipeline ? [() => pipeline.drain()] : []),
      ...(mailer ? [() => sendDueOwnerNotifications({ db, clock, mailer, publicUrl })] : []),
      ...(engine === 'pglite' ? [statisticsTick(db, clock)] : []),
    ],
  };
}

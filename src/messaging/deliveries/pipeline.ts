import { type Kysely, type Selectable, sql } from 'kysely';
import type { Template } from 'liquidjs';
import type { Company } from '../../companies/company-schema.ts';
import type { Contact } from '../../contacts/contact-schema.ts';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { signTrackingToken, TRACKING_SECRET } from '../../events/tracking-token.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Config } from '../../platform/config.ts';
import type { DB, DeliveriesTable, Frequency } from '../../platform/db/schema.ts';
import { KizunaError } from '../../platform/errors.ts';
import { instanceSecret } from '../../platform/instance-secret.ts';
import type { Logger } from '../../platform/logger.ts';
import { createOutboundPolicy, type OutboundPolicy, OutboundRefusedError, outboundError } from '../../platform/net/outbound.ts';
import { postSignedWebhook } from '../../webhooks/deliver.ts';
import { classifyBounce } from '../bounces/classify.ts';
import { recordBounce } from '../bounces/record-feedback.ts';
import { BOUNCE_SECRET, returnPath } from '../bounces/verp.ts';
import { type CampaignDefinition, ZCampaignDefinition } from '../campaigns/campaign-schema.ts';
import { mailDomainOf, unsubscribeLinks } from '../compliance/list-unsubscribe.ts';
import { checkSendPolicy, type SendDecision, type SendKind } from '../compliance/suppression.ts';
import { COMPLIANCE_SECRET } from '../compliance/unsubscribe-token.ts';
import type { SmsProvider } from '../sms/provider.ts';
import { type SmsItem, sendSmsBatch } from '../sms/send-sms.ts';
import { smsWebhookUrls } from '../sms/status-callback.ts';
import type { MailTransport, OutgoingMail } from '../smtp/transport.ts';
import { chooseBlocks, loadRecipients, loadWorkspaceData, type WorkspaceData } from '../templates/recipients.ts';
import {
  createTemplateRenderer,
  type PreparedTemplate,
  type RenderedMessage,
  type TemplateRenderer,
  versionKey,
} from '../templates/render.ts';
import { loadPreparedTemplate } from '../templates/templates.ts';
import type { InlineEmail } from './deliveries.ts';
import { createHandOff, type HandOff } from './hand-off.ts';
import { claimDue, type Outcome, recordOutcomes, recoverExpiredLeases, settle } from './leases.ts';
import { insertOpenPixel, rewriteLinks } from './links.ts';
import { getSendingSettings, nextAllowedTime, type SendingSettings } from './sending-settings.ts';

/** Waits after the nth transient failure (SMTP 4xx, connection lost); after the last, the message has failed. */
export const RETRY_DELAYS_MS: readonly number[] = [60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 4 * 3_600_000, 12 * 3_600_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** nodemailer's names of the SMTP stages before the message is handed over: a failure there sent nothing. */
const BEFORE_DATA: ReadonlySet<string> = new Set([
  'CONN',
  'EHLO',
  'HELO',
  'LHLO',
  'STARTTLS',
  'AUTH PLAIN',
  'AUTH LOGIN',
  'AUTH XOAUTH2',
  'AUTH CRAM-MD5',
  'MAIL FROM',
  'RCPT TO',
]);
const DAY_MS = 86_400_000;

type Claimed = Selectable<DeliveriesTable>;

/** One claimed batch as its channels see it. */
interface Batch {
  /** Every row of the claim: being sent by this worker (frequency caps count only other workers'). */
  ids: ReadonlySet<string>;
  now: Date;
  /**
   * Records `outcomes` now rather than with the rest of the batch, and marks rows as being handed
   * over, in one statement (settle). @returns the ids still held by this claim: only these may go.
   */
  hand(ids: string[], outcomes?: Outcome[]): Promise<ReadonlySet<string>>;
}

export interface PipelineDeps {
  db: Kysely<DB>;
  clock: Clock;
  /** `outboundAllow`: where journey webhook steps may go besides public addresses. */
  config: Pick<Config, 'publicUrl' | 'mailFrom' | 'bounceDomain' | 'outboundAllow'>;
  mailer: MailTransport;
  /** Undefined when SMS is not configured: SMS deliveries fail saying so. */
  sms?: SmsProvider;
  renderer?: TemplateRenderer;
  logger?: Logger;
}

export interface DeliveryPipeline {
  /**
   * Sends what is due: claims up to `limit` deliveries (FOR UPDATE SKIP LOCKED; any number of
   * workers may drain at once), checks each against the send policy, caps and quiet hours at
   * this moment, renders, tracks and sends them, and records every outcome.
   * @returns how many deliveries were claimed (0: nothing was due).
   */
  drain(options?: { workspaceId?: string; limit?: number }): Promise<number>;
  readonly renderer: TemplateRenderer;
}

interface Secrets {
  tracking: Buffer;
  compliance: Buffer;
  bounce: Buffer;
}

/**
 * The email sending pipeline: queued rows → policy → governance → render → link tracking → SMTP.
 * @example const pipeline = createDeliveryPipeline({ db, clock, config, mailer }); while (await pipeline.drain()) {}
 */
export function createDeliveryPipeline(deps: PipelineDeps): DeliveryPipeline {
  const { db, clock, config, mailer } = deps;
  const renderer = deps.renderer ?? createTemplateRenderer();
  const outbound = createOutboundPolicy(config.outboundAllow);
  const mailDomain = mailDomainOf(config.mailFrom);
  // Every message's return path names its delivery (VERP): a bounce finds its delivery without parsing guesses.
  const bounceDomain = config.bounceDomain ?? mailDomain;
  const partitions = createPartitionCache();
  let secrets: Promise<Secrets> | undefined;
  const subjects = new Map<string, Template[]>();

  const smsBodies = new Map<string, Template[]>();

  /**
   * Quiet hours and send windows (defer) for marketing messages, in each contact's time zone.
   * @returns the rows that may go now; the rest are pushed to `outcomes`.
   */
  const timing = (
    rows: Claimed[],
    ctx: {
      recipients: Map<string, { contact: Contact }>;
      workspace: WorkspaceData;
      settings: SendingSettings;
      campaigns: Map<string, CampaignDefinition>;
    },
    outcomes: Outcome[],
    now: Date,
  ): Claimed[] => {
    const timed: Claimed[] = [];
    for (const r of rows) {
      if (r.kind !== 'marketing') {
        timed.push(r);
        continue;
      }
      const contact = ctx.recipients.get(r.contact_id!)!.contact;
      const timeZone = contact.timezone ?? ctx.workspace.timezone;
      const window = r.campaign_id ? ctx.campaigns.get(r.campaign_id)?.sendWindow : undefined;
      const next = nextAllowedTime(now, timeZone, { quietHours: ctx.settings.quietHours, window });
      if (next === null) outcomes.push({ id: r.id, status: 'skipped', reason: 'no_send_time' });
      else if (next > now) {
        const quiet = nextAllowedTime(now, timeZone, { quietHours: ctx.settings.quietHours }) ?? now;
        outcomes.push({ id: r.id, status: 'deferred', reason: quiet > now ? 'quiet_hours' : 'send_window', dueAt: next, attempt: false });
      } else timed.push(r);
    }
    return timed;
  };

  /** SMS: quiet hours and caps as for email, then the SMS policy and the provider (sendSmsBatch). */
  async function sendTexts(workspaceId: string, rows: Claimed[], batch: Batch): Promise<Outcome[]> {
    const { now } = batch;
    const outcomes: Outcome[] = [];
    if (rows.length === 0) return outcomes;
    const [settings, workspace, recipients, campaigns] = await Promise.all([
      getSendingSettings(db, workspaceId),
      loadWorkspaceData(db, workspaceId),
      loadRecipients(db, workspaceId, unique(rows.flatMap((r) => (r.contact_id ? [r.contact_id] : [])))),
      loadCampaigns(db, workspaceId, unique(rows.flatMap((r) => (r.campaign_id ? [r.campaign_id] : [])))),
    ]);
    const live = rows.filter((r) => {
      if (r.contact_id && recipients.has(r.contact_id)) return true;
      outcomes.push({ id: r.id, status: 'skipped', reason: 'contact_deleted' });
      return false;
    });
    const timed = timing(live, { recipients, workspace, settings, campaigns }, outcomes, now);
    const capped = await applyFrequencyCaps(
      db,
      timed,
      new Map(timed.map((r) => [r.id, { frequency: 'all' as const }])),
      settings,
      now,
      batch.ids,
    );
    for (const r of capped.skipped) outcomes.push({ id: r.id, status: 'skipped', reason: 'frequency_cap' });
    const items: SmsItem[] = [];
    for (const r of capped.sendable) {
      const content = (r.content ?? {}) as { body?: unknown };
      if (typeof content.body !== 'string' || !content.body) {
        outcomes.push({ id: r.id, status: 'failed', error: 'an SMS delivery needs content.body (Liquid text)' });
        continue;
      }
      try {
        let template = smsBodies.get(content.body);
        if (!template) {
          template = renderer.engines.text.parse(content.body);
          smsBodies.set(content.body, template);
        }
        const { contact, company } = recipients.get(r.contact_id!)!;
        const context = (r.context ?? {}) as { event?: Record<string, unknown>; journey?: Record<string, unknown> };
        const body = (
          renderer.engines.text.renderSync(template, {
            contact,
            company,
            workspace,
            event: context.event ?? {},
            journey: context.journey ?? {},
          }) as string
        ).trim();
        items.push({ deliveryId: r.id, contactId: r.contact_id, kind: r.kind, body });
      } catch (error) {
        outcomes.push({ id: r.id, status: 'failed', error: `render: ${(error as Error).message}` });
      }
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    const held = await batch.hand(items.map((i) => i.deliveryId));
    const results = await sendSmsBatch({
      db,
      provider: deps.sms,
      workspaceId,
      items: items.filter((i) => held.has(i.deliveryId)),
      statusCallbackBase: smsWebhookUrls(config.publicUrl, workspaceId).status,
      now,
      partitions,
    });
    for (const o of results) {
      if (o.outcome === 'sent')
        outcomes.push({
          id: o.deliveryId,
          status: 'sent',
          to: o.to,
          messageId: o.sid,
          response: `${o.providerStatus} ${o.sid}`,
          sentAt: now,
        });
      else if (o.outcome === 'skipped') outcomes.push({ id: o.deliveryId, status: 'skipped', reason: o.reason });
      else if (o.outcome === 'failed') outcomes.push({ id: o.deliveryId, status: 'failed', error: o.error, to: o.to ?? null });
      // The request may have reached the provider: a retry could text the person twice, so it fails instead.
      else if (o.maybeSent)
        outcomes.push({ id: o.deliveryId, status: 'failed', error: `${o.error} (may have been sent; not retried)`, to: o.to ?? null });
      else outcomes.push(retryOrFail(o.deliveryId, byId.get(o.deliveryId)!.attempts, now, o.error, o.to ?? null));
    }
    return outcomes;
  }

  const variantSubject = (campaignId: string, key: string, subject: string) => {
    const cacheKey = `${campaignId}:${key}:${subject}`;
    let parsed = subjects.get(cacheKey);
    if (!parsed) {
      parsed = renderer.engines.text.parse(subject);
      subjects.set(cacheKey, parsed);
    }
    return parsed;
  };

  async function sendEmails(workspaceId: string, rows: Claimed[], batch: Batch): Promise<Outcome[]> {
    const { now } = batch;
    const outcomes: Outcome[] = [];
    if (rows.length === 0) return outcomes;
    secrets ??= loadSecrets(db, clock);
    const { tracking, compliance, bounce } = await secrets;
    const [settings, workspace, recipients, campaigns] = await Promise.all([
      getSendingSettings(db, workspaceId),
      loadWorkspaceData(db, workspaceId),
      loadRecipients(db, workspaceId, unique(rows.flatMap((r) => (r.contact_id ? [r.contact_id] : [])))),
      loadCampaigns(db, workspaceId, unique(rows.flatMap((r) => (r.campaign_id ? [r.campaign_id] : [])))),
    ]);

    // 1. The send policy (suppressions, topic opt-outs), asked now, for each kind and topic.
    const live = rows.filter((r) => {
      if (r.contact_id && recipients.has(r.contact_id)) return true;
      outcomes.push({ id: r.id, status: 'skipped', reason: 'contact_deleted' });
      return false;
    });
    const decisions = new Map<string, Extract<SendDecision, { allowed: true }>>();
    for (const group of groupBy(live, (r) => `${r.kind}\u0000${r.topic ?? ''}`).values()) {
      const { kind, topic } = group[0]!;
      let answers: SendDecision[];
      try {
        answers = await checkSendPolicy(
          db,
          workspaceId,
          group.map((r) => ({ contactId: r.contact_id!, email: recipients.get(r.contact_id!)!.contact.email })),
          { kind: kind as SendKind, topic: topic ?? undefined },
        );
      } catch (error) {
        // A topic deleted after the message was queued: a configuration fault of these rows only.
        const message = error instanceof KizunaError ? error.message : String(error);
        for (const r of group) outcomes.push({ id: r.id, status: 'failed', error: message });
        continue;
      }
      group.forEach((r, i) => {
        const answer = answers[i]!;
        if (answer.allowed) decisions.set(r.id, answer);
        else outcomes.push({ id: r.id, status: 'skipped', reason: answer.reason, to: answer.email });
      });
    }

    // 2. Governance, marketing only: quiet hours and send windows defer; frequency caps skip.
    const allowed = live.filter((r) => decisions.has(r.id));
    const timed = timing(allowed, { recipients, workspace, settings, campaigns }, outcomes, now);
    const capped = await applyFrequencyCaps(db, timed, decisions, settings, now, batch.ids);
    for (const r of capped.skipped) outcomes.push({ id: r.id, status: 'skipped', reason: 'frequency_cap', to: decisions.get(r.id)!.email });

    // 3. Render, track and send.
    const templates = new Map<string, { prepared: PreparedTemplate; blocks: Map<string, Record<string, number>> }>();
    for (const group of groupBy(
      capped.sendable.filter((r) => r.template_id),
      (r) => `${r.template_id}:${r.template_version ?? ''}`,
    ).values()) {
      const { template_id: templateId, template_version: version } = group[0]!;
      try {
        // A published version never changes: once prepared, this process renders it without a query.
        const prepared =
          (version !== null && renderer.cached(versionKey(templateId!, version))) ||
          (await loadPreparedTemplate(db, workspaceId, templateId!, { renderer, version: version ?? undefined }));
        const blocks = await chooseBlocks(db, prepared, {
          workspaceId,
          timeZone: workspace.timezone,
          contactIds: group.map((r) => r.contact_id!),
          now,
        });
        templates.set(`${templateId}:${version ?? ''}`, { prepared, blocks });
      } catch (error) {
        for (const r of group) outcomes.push({ id: r.id, status: 'failed', error: `template: ${(error as Error).message}` });
      }
    }
    const ready: { r: Claimed; email: string; mail: OutgoingMail }[] = [];
    for (const r of capped.sendable) {
      const template = r.template_id ? templates.get(`${r.template_id}:${r.template_version ?? ''}`) : undefined;
      if (r.template_id && !template) continue;
      const email = decisions.get(r.id)!.email;
      try {
        ready.push({ r, email, mail: buildMail(r, email, template) });
      } catch (error) {
        // A render failure (e.g. a filter throwing on this contact's data) fails this message only.
        outcomes.push({ id: r.id, status: 'failed', error: `render: ${(error as Error).message}`, to: email });
      }
    }
    // Every message goes to the pool at once; each is marked handed when a connection takes it,
    // and the server cannot accept it before that mark is written (see onHandOver).
    const handOff = createHandOff({ write: batch.hand });
    const sends = ready.map(async ({ r, email, mail }) => {
      const outcome = await send(r, email, { ...mail, onHandOver: () => handOff.mark(r.id) }, now, handOff);
      if (outcome) handOff.record(outcome);
      return outcome;
    });
    for (const outcome of await Promise.all(sends)) if (outcome) outcomes.push(outcome);
    await handOff.flush();
    return outcomes;

    function buildMail(
      r: Claimed,
      email: string,
      template: { prepared: PreparedTemplate; blocks: Map<string, Record<string, number>> } | undefined,
    ): OutgoingMail {
      const { contact, company } = recipients.get(r.contact_id!)!;
      const campaign = r.campaign_id ? campaigns.get(r.campaign_id) : undefined;
      const variant = r.variant ? campaign?.abTest?.variants.find((v) => v.key === r.variant) : undefined;
      const links = unsubscribeLinks({
        publicUrl: config.publicUrl,
        mailDomain,
        secret: compliance,
        recipient: { workspaceId, contactId: contact.id, email, deliveryId: r.id, ...(r.topic ? { topic: r.topic } : {}) },
      });
      const message = template
        ? renderTemplate(template, r, contact, company, workspace, links, variant?.subject)
        : inlineMessage(r.content as unknown as InlineEmail | null);
      const sentAt = now.getTime();
      // System mail (a double opt-in confirmation) is not tracked: its link must work as written.
      if (r.source.startsWith('system:'))
        return {
          workspaceId,
          to: email,
          from: config.mailFrom,
          subject: message.subject,
          html: message.html,
          text: message.text,
          headers: { 'X-Kizuna-Delivery': r.id },
          messageId: `<${r.id}@${mailDomain}>`,
          envelope: { from: returnPath({ deliveryId: r.id, domain: bounceDomain, secret: bounce }), to: [email] },
        };
      const track = (url: string, linkIndex: number) =>
        `${config.publicUrl}/c/${signTrackingToken({ workspaceId, contactId: contact.id, deliveryId: r.id, linkIndex, url, sentAt }, tracking)}`;
      const rewritten = rewriteLinks(message.html, {
        track,
        keep: new Set([links.unsubscribeUrl, links.preferencesUrl]),
        utm: campaign?.utm,
      });
      const pixel = `${config.publicUrl}/o/${signTrackingToken({ workspaceId, contactId: contact.id, deliveryId: r.id, sentAt }, tracking)}.gif`;
      const headers: Record<string, string> = {
        'X-Kizuna-Delivery': r.id,
        // Gmail's feedback loop aggregates complaints by these fields.
        'Feedback-ID': `${r.campaign_id ?? r.source.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}:${r.kind}:kizuna`,
      };
      if (r.kind === 'marketing') Object.assign(headers, links.headers);
      const from = variant?.from ?? campaign?.from ?? config.mailFrom;
      return {
        workspaceId,
        to: email,
        from,
        replyTo: campaign?.replyTo,
        subject: message.subject,
        html: insertOpenPixel(rewritten.html, pixel),
        text: message.text,
        headers,
        messageId: `<${r.id}@${mailDomain}>`,
        envelope: { from: returnPath({ deliveryId: r.id, domain: bounceDomain, secret: bounce }), to: [email] },
      };
    }

    function renderTemplate(
      template: { prepared: PreparedTemplate; blocks: Map<string, Record<string, number>> },
      r: Claimed,
      contact: Contact,
      company: Company | null,
      ws: WorkspaceData,
      links: { unsubscribeUrl: string; preferencesUrl: string },
      subject: string | undefined,
    ): RenderedMessage {
      const context = (r.context ?? {}) as { event?: Record<string, unknown>; journey?: Record<string, unknown> };
      return renderer.render(
        template.prepared,
        {
          contact,
          company,
          workspace: ws,
          unsubscribeUrl: links.unsubscribeUrl,
          preferencesUrl: links.preferencesUrl,
          event: context.event,
          journey: context.journey,
          blockChoice: template.blocks.get(contact.id),
        },
        subject && r.campaign_id ? { subject: variantSubject(r.campaign_id, r.variant ?? '', subject) } : {},
      );
    }
  }

  /** @returns undefined when the claim no longer holds the row (another worker has it now). */
  async function send(r: Claimed, email: string, mail: OutgoingMail, now: Date, handOff: HandOff): Promise<Outcome | undefined> {
    const attempts = r.attempts; // this attempt included (the claim counted it)
    try {
      const result = await mailer.sendMail(mail);
      if (result.accepted.length > 0)
        return { id: r.id, status: 'sent', to: email, messageId: result.messageId, response: result.response, sentAt: now };
      // Refused at RCPT: 5xx is a bounce now rather than a DSN later; 4xx is worth another try.
      const code = Number(/^\d{3}/.exec(result.response)?.[0] ?? 0);
      if (code >= 500) return { id: r.id, status: 'bounced', error: result.response || 'recipient refused', to: email };
      return retryOrFail(r.id, attempts, now, `recipient refused: ${result.response || 'no reply'}`, email);
    } catch (error) {
      const failure = error as { responseCode?: number; response?: string; code?: string; command?: string; message: string };
      const text = failure.response ?? `${failure.code ?? 'error'}: ${failure.message}`;
      // Stopped by its hand-over mark, before the end of DATA: the server discarded it.
      const handOver = handOff.state(r.id);
      if (handOver === 'not_held') return undefined;
      if (handOver === 'write_failed') return retryOrFail(r.id, attempts, now, `system: ${failure.message}`, email);
      // A 5xx to the message itself (content rejected, too large) will not change by retrying.
      if (failure.responseCode && failure.responseCode >= 500) return { id: r.id, status: 'failed', error: text, to: email };
      // Lost during or after DATA without an answer: the server may have taken it, so no retry.
      if (!failure.responseCode && !BEFORE_DATA.has(failure.command ?? 'CONN'))
        return {
          id: r.id,
          status: 'failed',
          error: `${text} (during ${failure.command}; may have been delivered, not retried)`,
          to: email,
        };
      return retryOrFail(r.id, attempts, now, text, email);
    }
  }

  return {
    renderer,
    async drain({ workspaceId, limit = 200 } = {}) {
      const now = clock.now();
      const recovered = await recoverExpiredLeases(db, now, workspaceId);
      if (recovered.requeued + recovered.interrupted > 0)
        deps.logger?.warn(recovered, 'recovered the deliveries of a stopped worker: never handed ones requeued, handed ones failed');
      const { rows: claimed, lease } = await claimDue(db, now, { workspaceId, limit });
      const handed = new Set<string>();
      const recorded = new Set<string>();
      const batch: Batch = {
        ids: new Set(claimed.map((r) => r.id)),
        now,
        hand: async (ids, outcomes = []) => {
          const held = await settle(db, { outcomes, hand: ids, lease, now: clock.now() });
          for (const id of held) handed.add(id);
          for (const o of outcomes) recorded.add(o.id);
          return held;
        },
      };
      for (const [ws, rows] of groupBy(claimed, (r) => r.workspace_id)) {
        // Each channel on its own: a fault in one never turns another's sent messages into retries.
        const outcomes: Outcome[] = [];
        for (const [channel, send] of [
          ['email', sendEmails],
          ['sms', sendTexts],
          ['webhook', (_ws: string, mine: Claimed[], b: Batch) => sendWebhooks(outbound, mine, b)],
        ] as const) {
          const mine = rows.filter((r) => r.channel === channel);
          if (mine.length === 0) continue;
          try {
            outcomes.push(...(await send(ws, mine, batch)));
          } catch (error) {
            // A system fault (the database went away mid-batch): this channel's rows wait and retry,
            // except those already handed over (they may have gone; recovery decides after the lease).
            deps.logger?.error({ err: error, workspaceId: ws, channel }, 'delivery batch failed; retrying later');
            for (const r of mine)
              if (!handed.has(r.id)) outcomes.push(retryOrFail(r.id, r.attempts, now, `system: ${(error as Error).message}`, null));
          }
        }
        await recordOutcomes(
          db,
          outcomes.filter((o) => !recorded.has(o.id)),
          { now, lease },
        );
        // A refusal at RCPT is a bounce now rather than a DSN later: classified and suppressed the same way.
        for (const o of outcomes)
          if (o.status === 'bounced')
            await recordBounce(
              db,
              { clock, partitions },
              { deliveryId: o.id, bounce: classifyBounce({ diagnostic: o.error }), source: 'smtp' },
            );
      }
      return claimed.length;
    },
  };
}

/** A webhook message: a signed POST (Standard Webhooks) of `payload` to `url` with `secret` (whsec_…). */
export interface WebhookContent {
  url: string;
  secret: string;
  payload: Record<string, unknown>;
}

/**
 * The webhook channel: each delivery is one signed POST whose webhook-id is the delivery id (the
 * receiver dedupes retries on it). 2xx: sent; 4xx: failed; 5xx, timeouts, network errors: retried
 * with backoff. A redirect is an answer, not followed (it could carry the signed body elsewhere).
 */
async function sendWebhooks(outbound: OutboundPolicy, claimed: Claimed[], batch: Batch): Promise<Outcome[]> {
  const { now } = batch;
  const held = await batch.hand(claimed.map((r) => r.id));
  const rows = claimed.filter((r) => held.has(r.id));
  return Promise.all(
    rows.map(async (r): Promise<Outcome> => {
      const content = (r.content ?? {}) as Partial<WebhookContent>;
      if (typeof content.url !== 'string' || !/^https?:\/\//.test(content.url) || typeof content.secret !== 'string')
        return { id: r.id, status: 'failed', error: 'a webhook delivery needs content.url (http or https) and content.secret (whsec_…)' };
      const body = JSON.stringify({
        type: 'kizuna.message',
        timestamp: now.toISOString(),
        data: { deliveryId: r.id, contactId: r.contact_id, source: r.source, ...content.payload },
      });
      try {
        const { status } = await postSignedWebhook(outbound, content.url, { id: r.id, now, body, secrets: [content.secret] });
        if (status >= 200 && status < 300)
          return { id: r.id, status: 'sent', to: content.url, messageId: r.id, response: `HTTP ${status}`, sentAt: now };
        if (status >= 400 && status < 500 && status !== 408 && status !== 429)
          return { id: r.id, status: 'failed', error: `HTTP ${status}`, to: content.url };
        return retryOrFail(r.id, r.attempts, now, `HTTP ${status}`, content.url);
      } catch (error) {
        // A refused address fails at once: retrying cannot make it allowed.
        if (error instanceof OutboundRefusedError) return { id: r.id, status: 'failed', error: error.message, to: content.url };
        return retryOrFail(r.id, r.attempts, now, outboundError(error), content.url);
      }
    }),
  );
}

function retryOrFail(id: string, attempts: number, now: Date, error: string, to: string | null): Outcome {
  if (attempts >= MAX_ATTEMPTS) return { id, status: 'failed', error: `${error} (gave up after ${attempts} attempts)`, to };
  return { id, status: 'deferred', reason: 'retry', error, dueAt: new Date(now.getTime() + RETRY_DELAYS_MS[attempts - 1]!), attempt: true };
}

async function loadSecrets(db: Kysely<DB>, clock: Clock): Promise<Secrets> {
  const [tracking, compliance, bounce] = await Promise.all([
    instanceSecret(db, TRACKING_SECRET, clock),
    instanceSecret(db, COMPLIANCE_SECRET, clock),
    instanceSecret(db, BOUNCE_SECRET, clock),
  ]);
  return { tracking, compliance, bounce };
}

/**
 * Frequency caps over marketing messages already sent (any channel) and those of this batch,
 * highest priority first: per day and per week from the settings, and the contact's own choice
 * of frequency (weekly: one a week, monthly: one in 30 days). Transactional messages pass.
 */
async function applyFrequencyCaps(
  db: Kysely<DB>,
  rows: Claimed[],
  decisions: Map<string, { frequency: Frequency }>,
  settings: SendingSettings,
  now: Date,
  /** Every row of the claimed batch: being sent by this worker, not by another. */
  batch: ReadonlySet<string>,
): Promise<{ sendable: Claimed[]; skipped: Claimed[] }> {
  const marketing = rows.filter((r) => r.kind === 'marketing');
  const { perDay, perWeek } = settings.frequencyCaps;
  const anyCap = perDay !== null || perWeek !== null || marketing.some((r) => decisions.get(r.id)!.frequency !== 'all');
  if (marketing.length === 0 || !anyCap) return { sendable: rows, skipped: [] };
  const ids = unique(marketing.map((r) => r.contact_id!));
  const { rows: counts } = await sql<{ contact_id: string; day: number; week: number; month: number }>`
    SELECT contact_id,
      count(*) FILTER (WHERE status = 'sending' OR sent_at > ${new Date(now.getTime() - DAY_MS)})::int AS day,
      count(*) FILTER (WHERE status = 'sending' OR sent_at > ${new Date(now.getTime() - 7 * DAY_MS)})::int AS week,
      count(*)::int AS month
    FROM deliveries
    WHERE contact_id = ANY(${ids}::uuid[]) AND kind = 'marketing'
      -- Also what other workers are sending right now (claimed, not yet recorded); not this batch.
      AND (sent_at > ${new Date(now.getTime() - 30 * DAY_MS)} OR (status = 'sending' AND NOT id = ANY(${[...batch]}::uuid[])))
    GROUP BY contact_id`.execute(db);
  const used = new Map(counts.map((c) => [c.contact_id, { ...c }]));
  const skipped = new Set<Claimed>();
  const ordered = [...marketing].sort((a, b) => b.priority - a.priority || a.created_at.getTime() - b.created_at.getTime());
  for (const r of ordered) {
    const count = used.get(r.contact_id!) ?? { contact_id: r.contact_id!, day: 0, week: 0, month: 0 };
    const frequency = decisions.get(r.id)!.frequency;
    const over =
      (perDay !== null && count.day >= perDay) ||
      (perWeek !== null && count.week >= perWeek) ||
      (frequency === 'weekly' && count.week >= 1) ||
      (frequency === 'monthly' && count.month >= 1);
    if (over) skipped.add(r);
    else used.set(r.contact_id!, { ...count, day: count.day + 1, week: count.week + 1, month: count.month + 1 });
  }
  return { sendable: rows.filter((r) => !skipped.has(r)), skipped: [...skipped] };
}

async function loadCampaigns(db: Kysely<DB>, workspaceId: string, ids: string[]): Promise<Map<string, CampaignDefinition>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('campaigns')
    .select(['id', 'definition'])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, ZCampaignDefinition.parse(r.definition)]));
}

function inlineMessage(content: InlineEmail | null): RenderedMessage {
  if (!content?.subject || content.html === undefined)
    throw new Error('a delivery without a template needs inline content: subject, html and text');
  return { locale: '', subject: content.subject, preheader: null, html: content.html, text: content.text ?? '' };
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

import { OpenAPIHono, z } from '@hono/zod-openapi';
import {
  cancelCampaign,
  createCampaign,
  deleteCampaign,
  getCampaign,
  listCampaigns,
  scheduleCampaign,
  updateCampaign,
  ZCampaign,
  ZCampaignInput,
  ZCampaignPatch,
  ZScheduleInput,
} from '../../messaging/campaigns/campaigns.ts';
import { campaignReport, ZCampaignReport } from '../../messaging/campaigns/report.ts';
import { getDelivery, listDeliveries, ZDelivery, ZDeliveryQuery } from '../../messaging/deliveries/deliveries.ts';
import { getSendingSettings, putSendingSettings, ZSendingSettings } from '../../messaging/deliveries/sending-settings.ts';
import { pageSchema } from '../../platform/pagination.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const tags = ['Campaigns'];

/** /api/campaigns: one-off broadcasts to a segment or list, with A/B tests and a report. */
export function campaignRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List campaigns, newest first',
      tags,
      responses: { 200: jsonResponse(z.object({ items: z.array(ZCampaign) }), 'The campaigns') },
    }),
    async (c) => c.json({ items: await listCampaigns(deps.db, ws(c)) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create a draft campaign (template, audience, topic, sender, UTM, throttle, send window, A/B test)',
      tags,
      request: jsonBody(ZCampaignInput),
      responses: { 201: jsonResponse(ZCampaign, 'The draft') },
    }),
    async (c) => c.json(await createCampaign(deps.db, ws(c), c.req.valid('json'), deps.clock), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a campaign (with its A/B result once decided)',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZCampaign, 'The campaign') },
    }),
    async (c) => c.json(await getCampaign(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Edit a draft or scheduled campaign',
      tags,
      request: { params: ZId, ...jsonBody(ZCampaignPatch) },
      responses: { 200: jsonResponse(ZCampaign, 'The campaign') },
    }),
    async (c) => c.json(await updateCampaign(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a draft (a scheduled or started campaign is cancelled instead)',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deleteCampaign(deps.db, ws(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/schedule',
      summary: 'Schedule the campaign to start at a time (default now); template, audience and topic are checked',
      tags,
      request: { params: ZId, ...jsonBody(ZScheduleInput) },
      responses: { 200: jsonResponse(ZCampaign, 'The scheduled campaign') },
    }),
    async (c) => {
      const campaign = await scheduleCampaign(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock);
      deps.notifyWork?.();
      return c.json(campaign, 200);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/cancel',
      summary: 'Cancel the campaign: messages not yet sent are skipped; the report keeps what was sent',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZCampaign, 'The cancelled campaign') },
    }),
    async (c) => c.json(await cancelCampaign(deps.db, ws(c), c.req.valid('param').id, deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/report',
      summary:
        'Sent, delivered, unique opens and clicks (machine activity left out), bounces, unsubscribes, complaints, conversions; per A/B variant',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZCampaignReport, 'The report') },
    }),
    async (c) => c.json(await campaignReport(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  return app;
}

/** /api/deliveries: every message queued or sent, on every channel. */
export function deliveryRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List deliveries, newest first (filter by contact, campaign, status, channel)',
      tags,
      request: { query: ZDeliveryQuery },
      responses: { 200: jsonResponse(pageSchema(ZDelivery, 'DeliveryPage'), 'A page of deliveries') },
    }),
    async (c) => c.json(await listDeliveries(deps.db, ws(c), c.req.valid('query')), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a delivery: status, why it was skipped or deferred, provider answer, opens and clicks',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZDelivery, 'The delivery') },
    }),
    async (c) => c.json(await getDelivery(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  return app;
}

/** /api/sending-settings: frequency caps, quiet hours, the send-time fallback hour, soft-bounce limit. */
export function sendingSettingsRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'Get the workspace’s sending settings (defaults when never set)',
      tags,
      responses: { 200: jsonResponse(ZSendingSettings, 'The settings') },
    }),
    async (c) => c.json(await getSendingSettings(deps.db, ws(c)), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'put',
      path: '/',
      summary: 'Replace the sending settings (omitted keys take their defaults)',
      tags,
      request: jsonBody(ZSendingSettings),
      responses: { 200: jsonResponse(ZSendingSettings, 'The settings') },
    }),
    async (c) => c.json(await putSendingSettings(deps.db, ws(c), c.req.valid('json'), deps.clock), 200),
  );
  return app;
}

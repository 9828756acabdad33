import { OpenAPIHono, z } from '@hono/zod-openapi';
import { createOutboundPolicy } from '../../platform/net/outbound.ts';
import { pageSchema, ZPageQuery } from '../../platform/pagination.ts';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhookDeliveries,
  listWebhooks,
  rotateWebhookSecret,
  sendTestWebhook,
  updateWebhook,
  ZWebhook,
  ZWebhookDelivery,
  ZWebhookInput,
  ZWebhookPatch,
  ZWebhookWithSecret,
} from '../../webhooks/webhooks.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const tags = ['Webhooks'];

export function webhookRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const outbound = createOutboundPolicy(deps.config.outboundAllow);
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List webhook endpoints (without their secrets)',
      tags,
      responses: { 200: jsonResponse(z.object({ items: z.array(ZWebhook) }), 'The endpoints, oldest first') },
    }),
    async (c) => c.json({ items: await listWebhooks(deps.db, ws(c)) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Register an endpoint for signal kinds (e.g. handoff.assigned); the signing secret is shown once',
      tags,
      request: jsonBody(ZWebhookInput),
      responses: { 201: jsonResponse(ZWebhookWithSecret, 'The endpoint and its secret') },
    }),
    async (c) => c.json(await createWebhook(deps.db, ws(c), c.req.valid('json'), deps.clock), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a webhook endpoint (without its secret)',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZWebhook, 'The endpoint') },
    }),
    async (c) => c.json(await getWebhook(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Change an endpoint’s url, description, kinds or active flag (deactivating drops its pending deliveries)',
      tags,
      request: { params: ZId, ...jsonBody(ZWebhookPatch) },
      responses: { 200: jsonResponse(ZWebhook, 'The endpoint') },
    }),
    async (c) => c.json(await updateWebhook(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete an endpoint and its deliveries',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deleteWebhook(deps.db, ws(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/rotate-secret',
      summary:
        'Replace the signing secret; the new one is shown once and signs every attempt from now on, the old one beside it for graceHours (24 by default)',
      tags,
      request: {
        params: ZId,
        query: z.object({
          graceHours: z.coerce
            .number()
            .int()
            .min(0)
            .max(168)
            .default(24)
            .openapi({ description: 'How long the old secret still signs beside the new one; 0 stops it now.' }),
        }),
      },
      responses: { 200: jsonResponse(ZWebhookWithSecret, 'The endpoint and its new secret') },
    }),
    async (c) =>
      c.json(
        await rotateWebhookSecret(deps.db, ws(c), c.req.valid('param').id, deps.clock, { graceHours: c.req.valid('query').graceHours }),
        200,
      ),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/test',
      summary:
        'Send a signed test event (webhook.test) to the endpoint now and return the receiver’s answer; tried once, listed with its deliveries. An address that is not public (loopback, private, link-local) fails as refused unless KIZUNA_OUTBOUND_ALLOW allows it',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZWebhookDelivery, 'The test delivery: delivered, or failed with the status or error') },
    }),
    async (c) => c.json(await sendTestWebhook(deps.db, ws(c), c.req.valid('param').id, deps.clock, outbound), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/deliveries',
      summary: 'An endpoint’s deliveries, newest first: status, attempts, next attempt, last answer or error',
      tags,
      request: { params: ZId, query: ZPageQuery },
      responses: { 200: jsonResponse(pageSchema(ZWebhookDelivery, 'WebhookDeliveryPage'), 'A page of deliveries') },
    }),
    async (c) => c.json(await listWebhookDeliveries(deps.db, ws(c), c.req.valid('param').id, c.req.valid('query')), 200),
  );
  return app;
}

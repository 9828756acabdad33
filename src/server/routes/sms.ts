import { OpenAPIHono, z } from '@hono/zod-openapi';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createPartitionCache } from '../../events/event-partitions.ts';
import type { ComplianceDeps } from '../../messaging/compliance/compliance-event.ts';
import { handleInboundSms } from '../../messaging/sms/inbound.ts';
import {
  createSmsOptOut,
  deleteSmsOptOut,
  listSmsOptOuts,
  ZSmsOptOut,
  ZSmsOptOutInput,
  ZSmsOptOutQuery,
} from '../../messaging/sms/opt-out.ts';
import { handleSmsStatus } from '../../messaging/sms/status-callback.ts';
import { signedWebhookParams } from '../../messaging/sms/webhook-params.ts';
import { KizunaError, notFound } from '../../platform/errors.ts';
import { pageSchema } from '../../platform/pagination.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws } from '../openapi-helpers.ts';
import { problemResponse } from '../problem.ts';

const tags = ['SMS'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The provider's webhooks, no API key: `/sms/{workspaceId}/inbound` (texts people send to our
 * number: STOP, START, HELP) and `/sms/{workspaceId}/status` (delivery reports). Each request must
 * carry the provider's X-Twilio-Signature over the public URL and the form; anything else is 403.
 */
export function publicSmsRoutes(deps: ServerDeps) {
  const app = new Hono();
  const compliance: ComplianceDeps = { clock: deps.clock, partitions: createPartitionCache() };
  // A text is at most 1,600 characters; percent-encoded UTF-8 and the other fields stay far below this.
  app.use(
    '/sms/*',
    bodyLimit({ maxSize: 64 * 1024, onError: (c) => problemResponse(c, 'payload_too_large', 'an SMS webhook may be at most 64 KB') }),
  );

  const verified = async (c: Context) => {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/x-www-form-urlencoded\b/i.test(type))
      throw new KizunaError(
        'unsupported_media_type',
        `an SMS webhook is a form post (application/x-www-form-urlencoded), got "${type || 'none'}"`,
      );
    // What the provider signed is the address it was given, not the one a reverse proxy forwards to.
    const { pathname, search } = new URL(c.req.url);
    const params = signedWebhookParams({
      authToken: deps.config.smsAuthToken,
      url: `${deps.config.publicUrl}${pathname}${search}`,
      body: await c.req.text(),
      signature: c.req.header('x-twilio-signature'),
    });
    const workspaceId = c.req.param('workspaceId') ?? '';
    if (!UUID.test(workspaceId)) throw notFound('workspace', workspaceId);
    return { workspaceId, params };
  };

  app.post('/sms/:workspaceId/inbound', async (c) => {
    const result = await handleInboundSms(deps.db, await verified(c), compliance);
    return c.body(result.twiml, 200, { 'content-type': 'text/xml; charset=utf-8' });
  });

  app.post('/sms/:workspaceId/status', async (c) => {
    await handleSmsStatus(deps.db, { ...(await verified(c)), deliveryId: c.req.query('delivery') }, compliance);
    return c.body(null, 204);
  });
  return app;
}

/** Lists the provider webhooks in the OpenAPI document (they are plain routes: the signature is checked before any field). */
export function documentSmsWebhooks(app: OpenAPIHono<AppEnv>): void {
  const params = z.object({ workspaceId: z.uuid().openapi({ param: { name: 'workspaceId', in: 'path' } }) });
  const errors = {
    400: { description: 'A required field is missing or malformed: errors name it (From, MessageSid, MessageStatus, ErrorCode)' },
    403: { description: 'Missing or wrong X-Twilio-Signature, or KIZUNA_SMS_AUTH_TOKEN not set; nothing was changed' },
    404: { description: 'No such workspace' },
    413: { description: 'A body over 64 KB' },
    415: { description: 'Not application/x-www-form-urlencoded' },
  };
  const form = (properties: Record<string, { type: 'string'; description: string }>, required: string[]) => ({
    required: true,
    content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' as const, properties, required } } },
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/sms/{workspaceId}/inbound',
    tags,
    summary:
      'Provider webhook for texts to our number: STOP/停止/配信停止/ストップ… opt the number out of every SMS, START/再開 opt it back in, HELP/ヘルプ is answered; the reply is TwiML',
    security: [{ twilioSignature: [] }],
    request: {
      params,
      body: form(
        {
          From: { type: 'string', description: 'The sender, E.164' },
          To: { type: 'string', description: 'Our number' },
          Body: { type: 'string', description: 'The text' },
          MessageSid: { type: 'string', description: 'The provider’s id of the inbound message' },
          AccountSid: { type: 'string', description: 'The provider account' },
        },
        ['From'],
      ),
    },
    responses: {
      200: {
        description: 'TwiML: a <Message> reply to a keyword, else an empty <Response/>',
        content: { 'text/xml': { schema: { type: 'string' } } },
      },
      ...errors,
    },
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/sms/{workspaceId}/status',
    tags,
    summary: 'Provider status callback: failed or undelivered marks the SMS delivery failed with the error; delivered is noted',
    security: [{ twilioSignature: [] }],
    request: {
      params,
      query: z.object({ delivery: z.uuid().optional().openapi({ description: 'The delivery the callback URL was made for' }) }),
      body: form(
        {
          MessageSid: { type: 'string', description: 'The id the send was answered with' },
          MessageStatus: { type: 'string', description: 'queued, sent, delivered, undelivered, failed…' },
          ErrorCode: { type: 'string', description: 'Why it was not delivered (30003…)' },
          To: { type: 'string', description: 'The recipient, E.164' },
        },
        ['MessageSid', 'MessageStatus'],
      ),
    },
    responses: {
      204: { description: 'Applied, or nothing to apply (an intermediate status, an unknown or already final message)' },
      ...errors,
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'twilioSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Twilio-Signature',
    description:
      'base64 HMAC-SHA1, keyed with KIZUNA_SMS_AUTH_TOKEN, of the full public URL followed by each form field name and value, sorted by name',
  });
}

const ZPhoneParam = z.object({
  phone: z
    .string()
    .min(1)
    .max(50)
    .openapi({ param: { name: 'phone', in: 'path' }, description: 'E.164 (%2B or + for the plus) or national', example: '+819012345678' }),
});

/** /api/sms/opt-outs: the numbers that texted STOP (or were opted out by an admin or the provider). */
export function smsOptOutRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const compliance: ComplianceDeps = { clock: deps.clock, partitions: createPartitionCache() };
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List SMS opt-outs, newest first (filter by phone, active)',
      tags,
      request: { query: ZSmsOptOutQuery },
      responses: { 200: jsonResponse(pageSchema(ZSmsOptOut, 'SmsOptOutPage'), 'A page of SMS opt-outs') },
    }),
    async (c) => c.json(await listSmsOptOuts(deps.db, ws(c), c.req.valid('query')), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Opt a number out of every SMS, marketing and transactional (an active opt-out is returned as is)',
      tags,
      request: jsonBody(ZSmsOptOutInput),
      responses: { 201: jsonResponse(ZSmsOptOut, 'The opt-out') },
    }),
    async (c) => c.json(await createSmsOptOut(deps.db, ws(c), c.req.valid('json'), compliance), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{phone}',
      summary: 'Lift a number’s SMS opt-out (kept in the list with liftedAt); only with the person’s consent',
      tags,
      request: { params: ZPhoneParam },
      responses: { 200: jsonResponse(ZSmsOptOut, 'The lifted opt-out') },
    }),
    async (c) =>
      c.json(
        await deleteSmsOptOut(
          deps.db,
          { workspaceId: ws(c), phone: c.req.valid('param').phone, by: `api:${c.get('principal').keyId}` },
          compliance,
        ),
        200,
      ),
  );
  return app;
}

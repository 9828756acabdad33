import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { sql } from 'kysely';
import { issuesFromZod, KizunaError } from '../platform/errors.ts';
import { requireApiKey } from './auth.ts';
import type { AppEnv, ServerDeps } from './deps.ts';
import { handleError, problemResponse } from './problem.ts';
import { apiDocsRoutes } from './routes/api-docs.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { campaignRoutes, deliveryRoutes, sendingSettingsRoutes } from './routes/campaigns.ts';
import { companyRoutes } from './routes/companies.ts';
import { contactPreferenceRoutes, suppressionRoutes, topicRoutes } from './routes/compliance.ts';
import { contactTimelineRoutes } from './routes/contact-timeline.ts';
import { contactRoutes } from './routes/contacts.ts';
import { customFieldRoutes } from './routes/custom-fields.ts';
import { devMailRoutes } from './routes/dev-mail.ts';
import { emailTrackingRoutes } from './routes/email-tracking.ts';
import { formRoutes } from './routes/forms.ts';
import { importRoutes, importUploadLimit } from './routes/imports.ts';
import { documentIngestRoutes, ingestRoutes } from './routes/ingest.ts';
import { contactJourneyRoutes, journeyRuntimeRoutes } from './routes/journey-runtime.ts';
import { journeyTemplateRoutes } from './routes/journey-templates.ts';
import { journeyRoutes } from './routes/journeys.ts';
import { contactStageRoutes, lifecycleRoutes, reportRoutes } from './routes/lifecycle.ts';
import { LIST_MEMBERS_CSV_PATH, listRoutes } from './routes/lists.ts';
import { ownerNotificationRoutes } from './routes/owner-notifications.ts';
import { publicComplianceRoutes } from './routes/public-compliance.ts';
import { publicFormRoutes } from './routes/public-forms.ts';
import { contactScoreRoutes, scoringModelRoutes } from './routes/scoring.ts';
import { contactMembershipRoutes, segmentRoutes } from './routes/segments.ts';
import { documentSmsWebhooks, publicSmsRoutes, smsOptOutRoutes } from './routes/sms.ts';
import { taskRoutes } from './routes/tasks.ts';
import { templateRoutes } from './routes/templates.ts';
import { webSnippetRoutes } from './routes/web-snippet.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { workspaceRoutes } from './routes/workspace.ts';

/** Validation failures from any route become one invalid_input problem naming each field. */
export function validationHook(result: { success: boolean; error?: unknown; target?: string }): void {
  if (result.success) return;
  const error = result.error as { issues: { path: PropertyKey[]; message: string }[] };
  const prefix = result.target === 'json' ? '' : result.target === 'param' ? 'path' : (result.target ?? '');
  throw new KizunaError('invalid_input', 'the request is invalid; see errors for each field', { issues: issuesFromZod(error, prefix) });
}

/** Builds the HTTP application; nothing listens until the caller serves it. */
export function createApp(deps: ServerDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(handleError(deps.logger));
  app.notFound((c) => problemResponse(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`));

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    deps.logger.debug(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  });

  app.get('/health', async (c) => {
    try {
      await sql`SELECT 1`.execute(deps.db);
      return c.json({ status: 'ok', database: deps.engine });
    } catch (error) {
      deps.logger.error({ err: error }, 'health check failed');
      return c.json({ status: 'unavailable', database: deps.engine }, 503);
    }
  });
  app.route('/api', apiDocsRoutes(app));
  app.route('/v1', ingestRoutes(deps));
  app.route('/', emailTrackingRoutes(deps));
  app.use(
    '/f/*',
    bodyLimit({ maxSize: 64 * 1024, onError: (c) => problemResponse(c, 'payload_too_large', 'a form submission may be at most 64 KB') }),
  );
  app.route('/', publicFormRoutes(deps));
  app.route('/', publicComplianceRoutes(deps));
  app.route('/', publicSmsRoutes(deps));
  documentSmsWebhooks(app);
  app.route('/', webSnippetRoutes());
  documentIngestRoutes(app);

  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  api.use('*', requireApiKey(deps));
  // CSV uploads (imports, list members, journey enrolments) are files, not JSON: their routes check the content type.
  const JOURNEY_ENROLMENTS_PATH = /^\/api\/journeys\/[^/]+\/enrolments$/;
  const isCsvUpload = (c: Context<AppEnv>) =>
    c.req.method === 'POST' &&
    (c.req.path === '/api/imports' ||
      LIST_MEMBERS_CSV_PATH.test(c.req.path) ||
      (JOURNEY_ENROLMENTS_PATH.test(c.req.path) && (c.req.header('content-type') ?? '').startsWith('text/csv')));
  // An action without a body (POST /api/segments/{id}/publish) needs no Content-Type. Over HTTP a
  // request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 §6.3); a body
  // that slips past this without a type still meets the route validator's own media-type gate.
  const isBodyless = (c: Context<AppEnv>) =>
    !c.req.header('content-type') &&
    (c.req.raw.body === null || ((c.req.header('content-length') ?? '0') === '0' && !c.req.header('transfer-encoding')));
  api.use('*', async (c, next) => {
    if (!isCsvUpload(c) && !isBodyless(c) && ['POST', 'PATCH', 'PUT'].includes(c.req.method)) {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
        throw new KizunaError(
          'unsupported_media_type',
          `send the body as JSON with "Content-Type: application/json" (got "${type || 'none'}")`,
        );
      }
    }
    await next();
  });
  api.use('*', async (c, next) => {
    // A list's members CSV is a file people export from elsewhere (an event's attendees, say) and
    // easily passes the 1 MB JSON limit at 30,000 addresses, so it gets the import limit too.
    if (isCsvUpload(c)) return importUploadLimit(deps.config.maxImportBytes)(c, next);
    return bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: () => {
        throw new KizunaError(
          'payload_too_large',
          `the request body is larger than ${deps.config.maxBodyBytes} bytes (KIZUNA_MAX_BODY_BYTES)`,
          {
            issues: [{ path: 'body', message: `at most ${deps.config.maxBodyBytes} bytes` }],
          },
        );
      },
    })(c, next);
  });
  api.route('/contacts', contactRoutes(deps));
  api.route('/contacts', contactTimelineRoutes(deps));
  api.route('/companies', companyRoutes(deps));
  api.route('/custom-fields', customFieldRoutes(deps));
  api.route('/keys', apiKeyRoutes(deps));
  api.route('/imports', importRoutes(deps));
  api.route('/forms', formRoutes(deps));
  api.route('/segments', segmentRoutes(deps));
  api.route('/contacts', contactMembershipRoutes(deps));
  api.route('/lists', listRoutes(deps));
  api.route('/scoring-models', scoringModelRoutes(deps));
  api.route('/contacts', contactScoreRoutes(deps));
  api.route('/lifecycle', lifecycleRoutes(deps));
  api.route('/contacts', contactStageRoutes(deps));
  api.route('/reports', reportRoutes(deps));
  api.route('/tasks', taskRoutes(deps));
  api.route('/owner-notifications', ownerNotificationRoutes(deps));
  api.route('/webhooks', webhookRoutes(deps));
  api.route('/templates', templateRoutes(deps));
  api.route('/suppressions', suppressionRoutes(deps));
  api.route('/sms/opt-outs', smsOptOutRoutes(deps));
  api.route('/topics', topicRoutes(deps));
  api.route('/contacts', contactPreferenceRoutes(deps));
  api.route('/journeys', journeyRuntimeRoutes(deps));
  api.route('/contacts', contactJourneyRoutes(deps));
  api.route('/journeys', journeyRoutes(deps));
  api.route('/journey-templates', journeyTemplateRoutes(deps));
  api.route('/campaigns', campaignRoutes(deps));
  api.route('/deliveries', deliveryRoutes(deps));
  api.route('/sending-settings', sendingSettingsRoutes(deps));
  api.route('/dev/mail', devMailRoutes(deps));
  api.route('/workspace', workspaceRoutes(deps));
  app.route('/api', api);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: Authorization: Bearer kz_…',
  });
  return app;
}

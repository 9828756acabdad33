import { OpenAPIHono, z } from '@hono/zod-openapi';
import { listJourneyTemplates, ZJourneyTemplateSummary } from '../../journeys/templates/catalog.ts';
import {
  installJourneyTemplate,
  ZInstalledJourneyTemplate,
  ZJourneyTemplateInstall,
} from '../../journeys/templates/install-journey-template.ts';
import { JOURNEY_TEMPLATE_KEYS } from '../../journeys/templates/journey-template.ts';
import { createTemplateRenderer } from '../../messaging/templates/render.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws } from '../openapi-helpers.ts';

const ZKey = z.object({ key: z.enum(JOURNEY_TEMPLATE_KEYS).openapi({ param: { name: 'key', in: 'path' }, example: 'cart_abandonment' }) });
const tags = ['Journeys'];

/** The seed journey templates: the catalog, and installing one (its emails and the journey) into the workspace. */
export function journeyTemplateRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  // One renderer per app: the templates' MJML is compiled once per process.
  const renderer = createTemplateRenderer();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List the journey templates from the seeds, with the options each needs',
      tags,
      responses: { 200: jsonResponse(z.object({ items: z.array(ZJourneyTemplateSummary) }), 'The templates') },
    }),
    (c) => c.json({ items: listJourneyTemplates() }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{key}/install',
      summary:
        'Install a journey template: its email templates (published) and the journey (a draft, or published with publish: true) in one transaction; a 400 names each missing or invalid option',
      tags,
      request: { params: ZKey, ...jsonBody(ZJourneyTemplateInstall) },
      responses: { 201: jsonResponse(ZInstalledJourneyTemplate, 'The journey and template ids') },
    }),
    async (c) =>
      c.json(await installJourneyTemplate(deps.db, ws(c), c.req.valid('param').key, deps.clock, c.req.valid('json'), renderer), 201),
  );
  return app;
}

import { OpenAPIHono, z } from '@hono/zod-openapi';
import {
  archiveJourney,
  createJourney,
  getJourney,
  listJourneys,
  pauseJourney,
  publishJourney,
  resumeJourney,
  updateJourney,
  validateJourney,
  ZJourney,
  ZJourneyInput,
  ZJourneyPublishInput,
  ZJourneyValidateInput,
  ZJourneyValidation,
} from '../../journeys/journeys.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const ZListQuery = z.object({
  archived: z.stringbool().default(false).openapi({ type: 'boolean', description: 'true: archived journeys too.' }),
});
const tags = ['Journeys'];

export function journeyRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const action = (path: string, summary: string, run: typeof pauseJourney) =>
    app.openapi(
      jsonRoute({
        method: 'post',
        path,
        summary,
        tags,
        request: { params: ZId },
        responses: { 200: jsonResponse(ZJourney, 'The journey') },
      }),
      async (c) => c.json(await run(deps.db, ws(c), c.req.valid('param').id, deps.clock), 200),
    );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List journeys (archived ones with ?archived=true)',
      tags,
      request: { query: ZListQuery },
      responses: { 200: jsonResponse(z.object({ items: z.array(ZJourney) }), 'The journeys, oldest first') },
    }),
    async (c) => c.json({ items: await listJourneys(deps.db, ws(c), c.req.valid('query')) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create a journey as a draft (well-formed, possibly unfinished; publish checks it completely)',
      tags,
      request: jsonBody(ZJourneyInput),
      responses: { 201: jsonResponse(ZJourney, 'The journey') },
    }),
    async (c) => c.json(await createJourney(deps.db, ws(c), c.req.valid('json'), deps.clock), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a journey with its draft',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZJourney, 'The journey') },
    }),
    async (c) => c.json(await getJourney(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'put',
      path: '/{id}',
      summary: 'Replace a journey’s draft, name and description (people in flight keep the version they entered)',
      tags,
      request: { params: ZId, ...jsonBody(ZJourneyInput) },
      responses: { 200: jsonResponse(ZJourney, 'The journey') },
    }),
    async (c) => c.json(await updateJourney(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Archive a journey: it reacts to no event any more; versions, enrolments and steps are kept',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Archived' } },
    }),
    async (c) => {
      await archiveJourney(deps.db, ws(c), c.req.valid('param').id, deps.clock);
      return c.body(null, 204);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/validate',
      summary: 'Check the draft (or a given definition) against this workspace without saving; each problem is named',
      tags,
      request: {
        params: ZId,
        body: { required: false, content: { 'application/json': { schema: ZJourneyValidateInput } } },
      },
      responses: { 200: jsonResponse(ZJourneyValidation, 'Whether it is valid, and every problem') },
    }),
    async (c) => {
      const input = (c.req.valid('json') ?? {}) as z.infer<typeof ZJourneyValidateInput>;
      return c.json(await validateJourney(deps.db, ws(c), c.req.valid('param').id, input.definition), 200);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/publish',
      summary:
        'Publish the draft as the next version and make the journey active; a 400 names each problem. Contacts in flight stay on their version unless nodeMap moves them',
      tags,
      request: {
        params: ZId,
        body: { required: false, content: { 'application/json': { schema: ZJourneyPublishInput } } },
      },
      responses: { 200: jsonResponse(ZJourney, 'The journey') },
    }),
    async (c) => c.json(await publishJourney(deps.db, ws(c), c.req.valid('param').id, deps.clock, c.req.valid('json') ?? {}), 200),
  );
  action('/{id}/pause', 'Pause: nobody new enrols; people in flight go on, advance on events and leave on goals and exits', pauseJourney);
  action('/{id}/resume', 'Resume a paused journey: it enrols again', resumeJourney);
  return app;
}

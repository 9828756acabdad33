import { OpenAPIHono } from '@hono/zod-openapi';
import { getContactIdentities, listContactEvents, ZEvent, ZEventQuery, ZIdentities } from '../../events/list-events.ts';
import { pageSchema } from '../../platform/pagination.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const tags = ['Contacts'];

/** A contact's behaviour: its event timeline and the identities it is known by. */
export function contactTimelineRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/events',
      summary: 'A contact’s event timeline, newest first',
      tags,
      request: { params: ZId, query: ZEventQuery },
      responses: { 200: jsonResponse(pageSchema(ZEvent, 'EventPage'), 'A page of events') },
    }),
    async (c) => c.json(await listContactEvents(deps.db, ws(c), c.req.valid('param').id, c.req.valid('query')), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/identities',
      summary: 'The identities a contact is known by (email, external ids, anonymous ids) and its merges',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZIdentities, 'The identities') },
    }),
    async (c) => c.json(await getContactIdentities(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  return app;
}

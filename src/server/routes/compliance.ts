import { OpenAPIHono, z } from '@hono/zod-openapi';
import { createPartitionCache } from '../../events/event-partitions.ts';
import type { ComplianceDeps } from '../../messaging/compliance/compliance-event.ts';
import { getPreferences, updatePreferences, ZContactPreferences, ZPreferencesUpdate } from '../../messaging/compliance/preferences.ts';
import {
  createSuppression,
  liftSuppression,
  listSuppressions,
  ZSuppression,
  ZSuppressionInput,
  ZSuppressionQuery,
} from '../../messaging/compliance/suppression.ts';
import { createTopic, deleteTopic, listTopics, updateTopic, ZTopic, ZTopicInput, ZTopicPatch } from '../../messaging/compliance/topics.ts';
import { pageSchema } from '../../platform/pagination.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const tags = ['Compliance'];

/** /api/suppressions: the suppression list checked at every send. */
export function suppressionRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const compliance: ComplianceDeps = { clock: deps.clock, partitions: createPartitionCache() };
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List suppressions, newest first (filter by email, reason, active)',
      tags,
      request: { query: ZSuppressionQuery },
      responses: { 200: jsonResponse(pageSchema(ZSuppression, 'SuppressionPage'), 'A page of suppressions') },
    }),
    async (c) => c.json(await listSuppressions(deps.db, ws(c), c.req.valid('query')), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Suppress an address (default reason manual); an active suppression with the same reason is returned as is',
      tags,
      request: jsonBody(ZSuppressionInput),
      responses: { 201: jsonResponse(ZSuppression, 'The suppression') },
    }),
    async (c) => c.json(await createSuppression(deps.db, ws(c), c.req.valid('json'), compliance), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Lift a suppression, whatever its reason (kept in the list with liftedAt)',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZSuppression, 'The lifted suppression') },
    }),
    async (c) =>
      c.json(
        await liftSuppression(
          deps.db,
          { workspaceId: ws(c), id: c.req.valid('param').id, by: `api:${c.get('principal').keyId}` },
          compliance,
        ),
        200,
      ),
  );
  return app;
}

/** /api/topics: the workspace's subscription topics. */
export function topicRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List subscription topics, oldest first',
      tags,
      responses: { 200: jsonResponse(z.object({ items: z.array(ZTopic) }), 'The topics') },
    }),
    async (c) => c.json({ items: await listTopics(deps.db, ws(c)) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create a subscription topic (names in Japanese and English)',
      tags,
      request: jsonBody(ZTopicInput),
      responses: { 201: jsonResponse(ZTopic, 'The topic') },
    }),
    async (c) => c.json(await createTopic(deps.db, ws(c), c.req.valid('json'), deps.clock), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Change a topic’s names, description or default',
      tags,
      request: { params: ZId, ...jsonBody(ZTopicPatch) },
      responses: { 200: jsonResponse(ZTopic, 'The topic') },
    }),
    async (c) => c.json(await updateTopic(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a topic and the contacts’ choices about it',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deleteTopic(deps.db, ws(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
  return app;
}

/** /api/contacts/{id}/preferences: a contact's topics and frequency. */
export function contactPreferenceRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const compliance: ComplianceDeps = { clock: deps.clock, partitions: createPartitionCache() };
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/preferences',
      summary: 'A contact’s topics, frequency and active suppressions',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZContactPreferences, 'The preferences') },
    }),
    async (c) => c.json(await getPreferences(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'put',
      path: '/{id}/preferences',
      summary: 'Set topic choices and the frequency (an unsubscribe from all is undone only by the contact’s double opt-in)',
      tags,
      request: { params: ZId, ...jsonBody(ZPreferencesUpdate) },
      responses: { 200: jsonResponse(ZContactPreferences, 'The preferences') },
    }),
    async (c) =>
      c.json(
        await updatePreferences(
          deps.db,
          { workspaceId: ws(c), contactId: c.req.valid('param').id, input: c.req.valid('json'), source: 'api' },
          compliance,
        ),
        200,
      ),
  );
  return app;
}

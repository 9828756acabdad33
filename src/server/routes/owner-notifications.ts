import { OpenAPIHono } from '@hono/zod-openapi';
import { listOwnerNotifications, ZOwnerNotification, ZOwnerNotificationQuery } from '../../lifecycle/owner-notifications.ts';
import { pageSchema } from '../../platform/pagination.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonResponse, jsonRoute, ws } from '../openapi-helpers.ts';

export function ownerNotificationRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'Emails to sales owners (handoff assigned, SLA overdue, journey notify_owner), newest first, with their sending state',
      tags: ['Tasks'],
      request: { query: ZOwnerNotificationQuery },
      responses: { 200: jsonResponse(pageSchema(ZOwnerNotification, 'OwnerNotificationPage'), 'A page of owner emails') },
    }),
    async (c) => c.json(await listOwnerNotifications(deps.db, ws(c), c.req.valid('query'), { publicUrl: deps.config.publicUrl }), 200),
  );
  return app;
}

import { OpenAPIHono } from '@hono/zod-openapi';
import { getWorkspace, updateWorkspace, ZWorkspace, ZWorkspacePatch } from '../../workspaces/workspaces.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws } from '../openapi-helpers.ts';

const tags = ['Workspace'];

/** /api/workspace: the settings of the API key's workspace (name, phone region, time zone, language). */
export function workspaceRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'Get the workspace of this key: name, default phone region, time zone, language',
      tags,
      responses: { 200: jsonResponse(ZWorkspace, 'The workspace') },
    }),
    async (c) => c.json(await getWorkspace(deps.db, ws(c)), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'patch',
      path: '/',
      summary:
        'Change the workspace’s name, default phone region, time zone or language (admin key). A new time zone queues a rebuild of every published segment',
      tags,
      request: jsonBody(ZWorkspacePatch),
      responses: { 200: jsonResponse(ZWorkspace, 'The workspace as changed') },
    }),
    async (c) => c.json(await updateWorkspace(deps.db, ws(c), c.req.valid('json'), deps.clock), 200),
  );
  return app;
}

import { OpenAPIHono } from '@hono/zod-openapi';
import { createTask, listTasks, updateTask, ZTask, ZTaskInput, ZTaskQuery, ZTaskUpdate } from '../../lifecycle/tasks.ts';
import { pageSchema } from '../../platform/pagination.ts';
import { unitOfWork } from '../../segments/membership.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const tags = ['Tasks'];

export function taskRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'Sales follow-up tasks, oldest first (filter by owner, status, contact)',
      tags,
      request: { query: ZTaskQuery },
      responses: { 200: jsonResponse(pageSchema(ZTask, 'TaskPage'), 'A page of tasks') },
    }),
    async (c) => c.json(await listTasks(deps.db, ws(c), c.req.valid('query')), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create a follow-up task on a contact for a sales user (raises a task.created signal)',
      tags,
      request: jsonBody(ZTaskInput),
      responses: { 201: jsonResponse(ZTask, 'The task') },
    }),
    async (c) => c.json(await unitOfWork(deps.db, deps.clock, (tx) => createTask(tx, ws(c), c.req.valid('json'), deps.clock)), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Edit a task or set its status; completing a handoff’s task records the first touch',
      tags,
      request: { params: ZId, ...jsonBody(ZTaskUpdate) },
      responses: { 200: jsonResponse(ZTask, 'The task') },
    }),
    async (c) =>
      c.json(
        await unitOfWork(deps.db, deps.clock, (tx) => updateTask(tx, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock)),
        200,
      ),
  );
  return app;
}

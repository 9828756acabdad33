import { OpenAPIHono, z } from '@hono/zod-openapi';
import { ZForm, ZFormDefinition } from '../../forms/form-schema.ts';
import { createForm, deleteForm, getForm, listForms, updateForm } from '../../forms/forms.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

// Bodies are validated by the domain (parseInput), so errors name fields the same way everywhere.
const ZBody = z.looseObject({}).openapi({ description: 'A FormDefinition' });
const tags = ['Forms'];

export function formRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List forms',
      tags,
      responses: { 200: jsonResponse(z.object({ items: z.array(ZForm) }), 'The forms') },
    }),
    async (c) => c.json({ items: await listForms(deps.db, ws(c)) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create a form (live at once at /f/{id}; embed with kizuna.form(id, selector))',
      tags,
      request: jsonBody(ZBody),
      responses: { 201: jsonResponse(ZForm, 'The form') },
    }),
    async (c) => c.json(await createForm(deps.db, ws(c), c.req.valid('json'), deps.clock), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a form',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZForm, 'The form') },
    }),
    async (c) => c.json(await getForm(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'put',
      path: '/{id}',
      summary: 'Replace a form’s definition',
      tags,
      request: { params: ZId, ...jsonBody(ZBody) },
      responses: { 200: jsonResponse(ZForm, 'The form') },
    }),
    async (c) => c.json(await updateForm(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a form and its submissions',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deleteForm(deps.db, ws(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
  app.openAPIRegistry.register('FormDefinitionSchema', ZFormDefinition);
  return app;
}

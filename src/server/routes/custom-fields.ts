import { OpenAPIHono, z } from '@hono/zod-openapi';
import {
  CUSTOM_FIELD_TYPES,
  defineCustomField,
  deleteCustomField,
  listCustomFields,
  ZCustomFieldInput,
} from '../../contacts/custom-fields.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute } from '../openapi-helpers.ts';
import { ZProblem } from '../problem.ts';

const ZCustomField = z
  .object({
    entity: z.enum(['contact', 'company']),
    key: z.string(),
    label: z.string(),
    type: z.enum(CUSTOM_FIELD_TYPES),
    options: z.array(z.string()),
    createdAt: z.string(),
  })
  .openapi('CustomField');
const tags = ['Custom fields'];
const serialize = <T extends { createdAt: Date }>(f: T) => ({ ...f, createdAt: f.createdAt.toISOString() });

export function customFieldRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List declared custom fields',
      tags,
      request: { query: z.object({ entity: z.enum(['contact', 'company']).optional() }) },
      responses: { 200: jsonResponse(z.object({ items: z.array(ZCustomField) }), 'The declared fields') },
    }),
    async (c) =>
      c.json({ items: (await listCustomFields(deps.db, c.get('principal').workspaceId, c.req.valid('query').entity)).map(serialize) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Declare a custom field (text, number, boolean, date, enum, multi_enum)',
      tags,
      request: jsonBody(ZCustomFieldInput),
      responses: { 201: jsonResponse(ZCustomField, 'The declared field') },
    }),
    async (c) => c.json(serialize(await defineCustomField(deps.db, c.get('principal').workspaceId, c.req.valid('json'), deps.clock)), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{entity}/{key}',
      summary: 'Remove a custom field declaration (stored values stay in the raw data)',
      tags,
      request: {
        params: z.object({
          entity: z.enum(['contact', 'company']).openapi({ param: { name: 'entity', in: 'path' } }),
          key: z.string().openapi({ param: { name: 'key', in: 'path' } }),
        }),
      },
      responses: {
        204: { description: 'Removed' },
        409: {
          description:
            'Still read by a live segment, a scoring model’s attribute rule or a stage rule (draft or published), or asked for by a form: the detail names each; change those first',
          content: { 'application/problem+json': { schema: ZProblem } },
        },
      },
    }),
    async (c) => {
      const { entity, key } = c.req.valid('param');
      await deleteCustomField(deps.db, c.get('principal').workspaceId, entity, key);
      return c.body(null, 204);
    },
  );
  return app;
}

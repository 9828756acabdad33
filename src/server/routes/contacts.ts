import { OpenAPIHono, z } from '@hono/zod-openapi';
import { ZContact, ZContactInput } from '../../contacts/contact-schema.ts';
import { bulkUpsertContacts, createContact, deleteContact, getContact, updateContact } from '../../contacts/contacts.ts';
import { listContacts, ZContactQuery } from '../../contacts/list-contacts.ts';
import { pageSchema } from '../../platform/pagination.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const ZBulkResult = z
  .object({
    results: z.array(
      z.object({
        index: z.number(),
        status: z.enum(['created', 'updated', 'unchanged', 'merged', 'rejected']),
        id: z.string().optional(),
        into: z.number().optional().openapi({ description: 'For merged rows: the index of the row this one was merged into.' }),
        conflicts: z.array(z.object({ field: z.string(), previous: z.unknown(), next: z.unknown() })).optional(),
        warnings: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
        errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      }),
    ),
  })
  .openapi('ContactBulkResult');
const tags = ['Contacts'];

export function contactRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'Search, filter and page contacts',
      tags,
      request: { query: ZContactQuery },
      responses: { 200: jsonResponse(pageSchema(ZContact, 'ContactPage'), 'A page of contacts') },
    }),
    async (c) => c.json(await listContacts(deps.db, ws(c), c.req.valid('query')), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create a contact',
      tags,
      request: jsonBody(ZContactInput),
      responses: { 201: jsonResponse(ZContact, 'The created contact') },
    }),
    async (c) => c.json(await createContact(deps.db, ws(c), c.req.valid('json'), deps.clock), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/bulk',
      summary: 'Upsert up to 1000 contacts (matched by email, then external id); a result per row',
      tags,
      // Rows are validated one by one in the domain, so one bad row is reported without failing the rest.
      request: jsonBody(
        z
          .object({
            contacts: z
              .array(z.looseObject({}).openapi({ description: 'A ContactInput' }))
              .min(1)
              .max(1000),
          })
          .openapi('ContactBulkInput'),
      ),
      responses: { 200: jsonResponse(ZBulkResult, 'One result per input row, in order') },
    }),
    async (c) => c.json({ results: await bulkUpsertContacts(deps.db, ws(c), c.req.valid('json').contacts, deps.clock) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a contact',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZContact, 'The contact') },
    }),
    async (c) => c.json(await getContact(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Change a contact (given fields only; null clears)',
      tags,
      request: { params: ZId, ...jsonBody(ZContactInput) },
      responses: { 200: jsonResponse(ZContact, 'The updated contact') },
    }),
    async (c) => c.json(await updateContact(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a contact',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deleteContact(deps.db, ws(c), c.req.valid('param').id, deps.clock);
      return c.body(null, 204);
    },
  );
  return app;
}

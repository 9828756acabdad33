import { OpenAPIHono, z } from '@hono/zod-openapi';
import { invalidInput, KizunaError } from '../../platform/errors.ts';
import { pageSchema, ZPageQuery } from '../../platform/pagination.ts';
import {
  changeListMembers,
  changeListMembersFromCsv,
  createList,
  deleteList,
  getList,
  listListMembers,
  listLists,
  updateList,
  ZList,
  ZListInput,
  ZListMember,
  ZListMembersInput,
  ZListMembersResult,
  ZListPatch,
} from '../../segments/lists.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

/** The path of the CSV upload, which the app lets through with a text/csv body and the upload size limit. */
export const LIST_MEMBERS_CSV_PATH = /^\/api\/lists\/[^/]+\/members\.csv$/;

const ZCsvQuery = z.object({
  action: z.enum(['add', 'remove']).openapi({ description: 'Add the contacts the CSV names to the list, or remove them.' }),
});
const tags = ['Lists'];

export function listRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List static lists',
      tags,
      responses: { 200: jsonResponse(z.object({ items: z.array(ZList) }), 'The lists, oldest first') },
    }),
    async (c) => c.json({ items: await listLists(deps.db, ws(c)) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create a static list (contacts are added by hand, by API or by CSV)',
      tags,
      request: jsonBody(ZListInput),
      responses: { 201: jsonResponse(ZList, 'The list') },
    }),
    async (c) => c.json(await createList(deps.db, ws(c), c.req.valid('json'), deps.clock), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a list with its member count',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZList, 'The list') },
    }),
    async (c) => c.json(await getList(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Rename a list or change its description',
      tags,
      request: { params: ZId, ...jsonBody(ZListPatch) },
      responses: { 200: jsonResponse(ZList, 'The list') },
    }),
    async (c) => c.json(await updateList(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a list (refused with 409 while a segment’s condition names it)',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deleteList(deps.db, ws(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/members',
      summary: 'The list’s members, most recently added first',
      tags,
      request: { params: ZId, query: ZPageQuery },
      responses: { 200: jsonResponse(pageSchema(ZListMember, 'ListMemberPage'), 'A page of members') },
    }),
    async (c) => c.json(await listListMembers(deps.db, ws(c), c.req.valid('param').id, c.req.valid('query')), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/members',
      summary: 'Add contacts by id or email; one unknown name and nothing changes (the 400 names each)',
      tags,
      request: { params: ZId, ...jsonBody(ZListMembersInput) },
      responses: { 200: jsonResponse(ZListMembersResult, 'How many were added') },
    }),
    async (c) => c.json(await changeListMembers(deps.db, ws(c), c.req.valid('param').id, 'add', c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/members/remove',
      summary: 'Remove contacts by id or email; one unknown name and nothing changes (the 400 names each)',
      tags,
      request: { params: ZId, ...jsonBody(ZListMembersInput) },
      responses: { 200: jsonResponse(ZListMembersResult, 'How many were removed') },
    }),
    async (c) => c.json(await changeListMembers(deps.db, ws(c), c.req.valid('param').id, 'remove', c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/members.csv',
      summary:
        'Add or remove the contacts a CSV names (an "email" or "id" column; UTF-8 or Shift_JIS); lines naming no contact are skipped and reported',
      tags,
      request: {
        params: ZId,
        query: ZCsvQuery,
        body: { required: true, content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) } } },
      },
      responses: { 200: jsonResponse(ZListMembersResult, 'How many changed, and the skipped lines') },
    }),
    async (c) => {
      const type = c.req.header('content-type') ?? '';
      if (!/^(text\/csv|text\/plain|application\/octet-stream|application\/vnd\.ms-excel)\b/i.test(type))
        throw new KizunaError('unsupported_media_type', `send the CSV as the body with "Content-Type: text/csv"; got "${type || 'none'}"`);
      const buffer = Buffer.from(await c.req.arrayBuffer());
      if (buffer.length === 0) throw invalidInput([{ path: 'body', message: 'expected a CSV file; the body was empty' }]);
      const { id } = c.req.valid('param');
      return c.json(await changeListMembersFromCsv(deps.db, ws(c), id, c.req.valid('query').action, buffer, deps.clock), 200);
    },
  );
  return app;
}

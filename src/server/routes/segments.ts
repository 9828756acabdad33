import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { stringify } from 'csv-stringify';
import { pageSchema, ZPageQuery } from '../../platform/pagination.ts';
import { parseInput } from '../../platform/parse-input.ts';
import {
  archiveSegment,
  checkDefinition,
  conditionFields,
  contactMemberships,
  createSegment,
  getSegment,
  listSegmentMembers,
  listSegments,
  parseDefinition,
  previewSegment,
  publishSegment,
  requestRebuild,
  segmentMembersCsv,
  updateSegment,
  ZMember,
  ZMemberships,
  ZPreview,
  ZPreviewInput,
  ZSegment,
  ZSegmentInput,
  ZSegmentPatch,
} from '../../segments/segments.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const ZValidateInput = z
  .object({
    definition: z.unknown().openapi({ description: 'A SegmentDefinition (JSON), or YAML text of one' }),
    segmentId: z.uuid().optional().openapi({ description: 'The segment the definition is for, so a reference back to it is caught.' }),
  })
  .strict()
  .openapi('SegmentValidateInput');
const ZListQuery = z.object({
  archived: z.stringbool().default(false).openapi({ type: 'boolean', description: 'true: archived segments too.' }),
});
const tags = ['Segments'];

export function segmentRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  // The fixed paths come before /{id}: GET /fields would otherwise reach /{id} and fail as a bad uuid.
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/fields',
      summary: 'The fields a field condition may name in this workspace (built-in and declared custom fields)',
      tags,
      responses: { 200: jsonResponse(z.object({ fields: z.array(z.string()) }), 'The field names') },
    }),
    async (c) => c.json({ fields: await conditionFields(deps.db, ws(c)) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/validate',
      summary: 'Check a definition against this workspace without saving it; a 400 names each problem',
      tags,
      request: jsonBody(z.looseObject({}).openapi({ description: 'A SegmentValidateInput' })),
      responses: { 200: jsonResponse(z.object({ valid: z.literal(true) }), 'The definition is valid') },
    }),
    async (c) => {
      const input = parseInput(ZValidateInput, c.req.valid('json'));
      if (input.segmentId) await getSegment(deps.db, ws(c), input.segmentId);
      await checkDefinition(deps.db, ws(c), parseDefinition(input.definition), input.segmentId);
      return c.json({ valid: true as const }, 200);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/preview',
      summary: 'How many contacts a definition matches now, with up to 20 of them (nothing is saved)',
      tags,
      request: jsonBody(ZPreviewInput),
      responses: { 200: jsonResponse(ZPreview, 'The count and a sample') },
    }),
    async (c) => c.json(await previewSegment(deps.db, ws(c), c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List segments (archived ones with ?archived=true)',
      tags,
      request: { query: ZListQuery },
      responses: { 200: jsonResponse(z.object({ items: z.array(ZSegment) }), 'The segments, oldest first') },
    }),
    async (c) => c.json({ items: await listSegments(deps.db, ws(c), c.req.valid('query')) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create a segment as a draft; it has no members until published',
      tags,
      request: jsonBody(ZSegmentInput),
      responses: { 201: jsonResponse(ZSegment, 'The segment') },
    }),
    async (c) => c.json(await createSegment(deps.db, ws(c), c.req.valid('json'), deps.clock), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a segment with its draft, build progress and member count',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZSegment, 'The segment') },
    }),
    async (c) => c.json(await getSegment(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Change the name, description or draft; membership keeps following the published version',
      tags,
      request: { params: ZId, ...jsonBody(ZSegmentPatch) },
      responses: { 200: jsonResponse(ZSegment, 'The segment') },
    }),
    async (c) => c.json(await updateSegment(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Archive a segment: its membership stops being kept, its history stays',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Archived' } },
    }),
    async (c) => {
      await archiveSegment(deps.db, ws(c), c.req.valid('param').id, deps.clock);
      return c.body(null, 204);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/publish',
      summary: 'Publish the draft as the next version; members are rebuilt in the background (see build)',
      tags,
      request: { params: ZId },
      responses: { 202: jsonResponse(ZSegment, 'Published; the rebuild is queued') },
    }),
    async (c) => {
      const segment = await publishSegment(deps.db, ws(c), c.req.valid('param').id, deps.clock);
      deps.notifyWork?.();
      return c.json(segment, 202);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/rebuild',
      summary: 'Queue a full rebuild of a published segment',
      tags,
      request: { params: ZId },
      responses: { 202: jsonResponse(ZSegment, 'The rebuild is queued') },
    }),
    async (c) => {
      const segment = await requestRebuild(deps.db, ws(c), c.req.valid('param').id, deps.clock);
      deps.notifyWork?.();
      return c.json(segment, 202);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/members',
      summary: 'Current members, most recent entry first',
      tags,
      request: { params: ZId, query: ZPageQuery },
      responses: { 200: jsonResponse(pageSchema(ZMember, 'SegmentMemberPage'), 'A page of members') },
    }),
    async (c) => c.json(await listSegmentMembers(deps.db, ws(c), c.req.valid('param').id, c.req.valid('query')), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/members.csv',
      summary: 'Every current member as a CSV download (UTF-8 with BOM, for spreadsheets)',
      tags,
      request: { params: ZId },
      responses: { 200: { description: 'The members', content: { 'text/csv': { schema: z.string() } } } },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      // Checked before the first byte: once streaming has begun, a 404 can no longer be sent.
      await getSegment(deps.db, ws(c), id);
      const csv = stringify({ bom: true });
      pipeline(Readable.from(segmentMembersCsv(deps.db, ws(c), id)), csv).catch((error: unknown) =>
        deps.logger.error({ err: error, segmentId: id }, 'segment members CSV failed part way'),
      );
      return c.body(Readable.toWeb(csv) as ReadableStream, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="segment-${id}-members.csv"`,
      });
    },
  );
  return app;
}

/** GET /api/contacts/{id}/memberships: the contact's side of segments and lists. */
export function contactMembershipRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/memberships',
      summary: 'A contact’s current segments and lists, and its last 100 segment entries and exits',
      tags: ['Contacts', 'Segments'],
      request: { params: ZId },
      responses: { 200: jsonResponse(ZMemberships, 'The memberships') },
    }),
    async (c) => c.json(await contactMemberships(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  return app;
}

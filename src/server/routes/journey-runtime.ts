import { OpenAPIHono, z } from '@hono/zod-openapi';
import { enrolContacts } from '../../journeys/runtime.ts';
import { simulateJourney, ZSimulationInput, ZSimulationReport } from '../../journeys/simulate.ts';
import { contactJourneyTrace, journeyStats, ZEnrolmentTrace, ZJourneyStats } from '../../journeys/trace.ts';
import { readDocument } from '../../platform/read-document.ts';
import { contactsNamedInCsv } from '../../segments/lists.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const tags = ['Journeys'];

const ZEnrolInput = z
  .object({ contactIds: z.array(z.uuid()).min(1).max(1000).openapi({ description: 'Contacts to enrol now (manual / API enrolment).' }) })
  .strict()
  .openapi('EnrolInput');
const ZEnrolResult = z
  .object({
    enrolled: z.array(z.object({ contactId: z.string(), enrolmentId: z.string() })),
    skipped: z.array(z.object({ contactId: z.string(), reason: z.string() })),
    unmatched: z
      .array(z.object({ line: z.number(), value: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'CSV rows that name no contact of the workspace.' }),
  })
  .openapi('EnrolResult');

/** /api/journeys/{id}/enrolments and /stats: enrol by hand, see per-node counts. */
export function journeyRuntimeRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/enrolments',
      summary: 'Enrol contacts in an active journey now (its re-entry policy applies)',
      tags,
      description:
        'JSON: `{"contactIds": [...]}` (up to 1,000). CSV (`text/csv`, UTF-8 or Shift_JIS, up to 100,000 rows): a header row with an `email` or `id` column, read as list uploads are; rows naming no contact come back as `unmatched` with their line.',
      request: {
        params: ZId,
        body: {
          // Not required to the validator (which would then check CSV bodies as JSON); a JSON body is still checked whole.
          required: false,
          content: {
            'application/json': { schema: ZEnrolInput },
            'text/csv': { schema: z.string().openapi({ example: 'email\nhanako@example.jp\n' }) },
          },
        },
      },
      responses: { 200: jsonResponse(ZEnrolResult, 'Who was enrolled, and why the others were not') },
    }),
    async (c) => {
      const workspaceId = ws(c);
      const journeyId = c.req.valid('param').id;
      const csv = (c.req.header('content-type') ?? '').startsWith('text/csv');
      const { contactIds, skipped: unmatched } = csv
        ? await contactsNamedInCsv(deps.db, workspaceId, Buffer.from(await c.req.arrayBuffer()))
        : {
            contactIds: readDocument(ZEnrolInput, c.req.valid('json') ?? {}, 'body', '{"contactIds": ["…"]}').contactIds,
            skipped: undefined,
          };
      const now = deps.clock.now();
      const result = await deps.db.transaction().execute(async (tx) => {
        const all: Awaited<ReturnType<typeof enrolContacts>> = { enrolled: [], skipped: [] };
        if (contactIds.length === 0) await enrolContacts(tx, { workspaceId, journeyId, contactIds: [], now, source: 'csv' });
        for (let i = 0; i < contactIds.length; i += 1000) {
          const part = await enrolContacts(tx, {
            workspaceId,
            journeyId,
            contactIds: contactIds.slice(i, i + 1000),
            now,
            source: csv ? 'csv' : 'api',
          });
          all.enrolled.push(...part.enrolled);
          all.skipped.push(...part.skipped);
        }
        return all;
      });
      deps.notifyWork?.();
      return c.json({ ...result, ...(unmatched ? { unmatched } : {}) }, 200);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/simulate',
      summary:
        'What the draft (or a given definition) would have done over a past window: stored events replayed on a virtual clock, nothing kept, nothing sent',
      tags,
      request: { params: ZId, ...jsonBody(ZSimulationInput) },
      responses: {
        200: jsonResponse(ZSimulationReport, 'Entries, per-node counts, conversions and the messages that would have gone out'),
      },
    }),
    async (c) => c.json(await simulateJourney(deps.db, ws(c), { journeyId: c.req.valid('param').id, ...c.req.valid('json') }), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/stats',
      summary: 'Per node: contacts that reached it, are waiting there, and each outcome; enrolments by status',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZJourneyStats, 'The counts') },
    }),
    async (c) => c.json(await journeyStats(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  return app;
}

/** /api/contacts/{id}/journeys: the contact's journey history, step by step. */
export function contactJourneyRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/journeys',
      summary: 'The contact’s journeys: entered, each node with its outcome and reason, the exit cause',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(z.object({ items: z.array(ZEnrolmentTrace) }), 'The enrolments, newest first') },
    }),
    async (c) => c.json({ items: await contactJourneyTrace(deps.db, ws(c), c.req.valid('param').id) }, 200),
  );
  return app;
}

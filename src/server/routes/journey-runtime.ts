import { OpenAPIHono, z } from '@hono/zod-openapi';
import { enrolContacts } from '../../journeys/runtime.ts';
import { simulateJourney, ZSimulationInput, ZSimulationReport } from '../../journeys/simulate.ts';
import { contactJourneyTrace, journeyStats, ZEnrolmentTrace, ZJourneyStats } from '../../journeys/trace.ts';
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
      request: { params: ZId, ...jsonBody(ZEnrolInput) },
      responses: { 200: jsonResponse(ZEnrolResult, 'Who was enrolled, and why the others were not') },
    }),
    async (c) => {
      const { contactIds } = c.req.valid('json');
      const now = deps.clock.now();
      const result = await deps.db
        .transaction()
        .execute((tx) => enrolContacts(tx, { workspaceId: ws(c), journeyId: c.req.valid('param').id, contactIds, now, source: 'api' }));
      deps.notifyWork?.();
      return c.json(result, 200);
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

import { OpenAPIHono, z } from '@hono/zod-openapi';
import {
  decideHandoff,
  listHandoffs,
  recordFirstTouch,
  slaReport,
  ZHandoff,
  ZHandoffDecision,
  ZSlaReport,
} from '../../lifecycle/handoff.ts';
import {
  changeStage,
  getLifecycle,
  listTransitions,
  publishLifecycle,
  saveLifecycleDraft,
  ZLifecycleSettings,
  ZStageChange,
  ZTransition,
} from '../../lifecycle/lifecycle.ts';
import { lifecycleReport, scoreReport, ZLifecycleReport, ZScoreReport } from '../../lifecycle/reports.ts';
import { unitOfWork } from '../../segments/membership.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const tags = ['Lifecycle'];

export function lifecycleRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'The workspace’s lifecycle: stages, stage rules (draft and published)',
      tags,
      responses: { 200: jsonResponse(ZLifecycleSettings, 'The lifecycle') },
    }),
    async (c) => c.json(await getLifecycle(deps.db, ws(c)), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'put',
      path: '/',
      summary: 'Replace the lifecycle draft ({"definition": {stages, offPath, rules}}); publish to apply it',
      tags,
      request: jsonBody(z.object({ definition: z.unknown() }).openapi('LifecycleInput')),
      responses: { 200: jsonResponse(ZLifecycleSettings, 'The lifecycle') },
    }),
    async (c) => c.json(await saveLifecycleDraft(deps.db, ws(c), c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/publish',
      summary: 'Publish the lifecycle draft: from now on its rules move contacts forward as their data changes',
      tags,
      responses: { 200: jsonResponse(ZLifecycleSettings, 'The lifecycle') },
    }),
    async (c) => c.json(await publishLifecycle(deps.db, ws(c), deps.clock), 200),
  );
  return app;
}

export function contactStageRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/stage',
      summary: 'Set a contact’s stage explicitly (backward moves, e.g. sales rejects → Recycled, need a reason)',
      tags,
      request: { params: ZId, ...jsonBody(ZStageChange) },
      responses: { 200: jsonResponse(z.object({ transitions: z.array(ZTransition) }), 'The contact’s transitions') },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      await unitOfWork(deps.db, deps.clock, (tx) => changeStage(tx, ws(c), id, c.req.valid('json'), 'api', deps.clock));
      return c.json({ transitions: await listTransitions(deps.db, ws(c), id) }, 200);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/handoff/touch',
      summary: 'Record the owner’s first touch of a handed-off lead (stops the first-touch SLA timer)',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Recorded' } },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      await unitOfWork(deps.db, deps.clock, (tx) => recordFirstTouch(tx, ws(c), id, deps.clock));
      return c.body(null, 204);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/handoff/decision',
      summary: 'Sales accepts a handed-off lead (→ SQL) or rejects it with a reason code (→ Recycled)',
      tags,
      request: { params: ZId, ...jsonBody(ZHandoffDecision) },
      responses: { 200: jsonResponse(z.object({ transitions: z.array(ZTransition) }), 'The contact’s transitions') },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      await unitOfWork(deps.db, deps.clock, (tx) => decideHandoff(tx, ws(c), id, c.req.valid('json'), deps.clock));
      return c.json({ transitions: await listTransitions(deps.db, ws(c), id) }, 200);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/handoffs',
      summary: 'A contact’s sales handoffs with their SLA state (due times, first touch, decision, breaches)',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(z.object({ items: z.array(ZHandoff) }), 'The handoffs') },
    }),
    async (c) => c.json({ items: await listHandoffs(deps.db, ws(c), c.req.valid('param').id) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/transitions',
      summary: 'A contact’s stage transitions: from, to, cause (rule, user, api), rule or reason, time',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(z.object({ transitions: z.array(ZTransition) }), 'The transitions') },
    }),
    async (c) => c.json({ transitions: await listTransitions(deps.db, ws(c), c.req.valid('param').id) }, 200),
  );
  return app;
}

export function reportRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/lifecycle',
      summary: 'Contacts per stage, the MQL → SQL rate and the median time between consecutive stages',
      tags: ['Reports'],
      responses: { 200: jsonResponse(ZLifecycleReport, 'The lifecycle report') },
    }),
    async (c) => c.json(await lifecycleReport(deps.db, ws(c)), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/sla',
      summary: 'Per sales owner: handoffs, open, accepted, rejected, SLA breaches, median hours to first touch',
      tags: ['Reports'],
      responses: { 200: jsonResponse(ZSlaReport, 'The SLA report') },
    }),
    async (c) => c.json(await slaReport(deps.db, ws(c)), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/scores/{id}',
      summary: 'A scoring model’s contacts per band and score decile, with the share that reached the converted stage',
      tags: ['Reports'],
      request: {
        params: ZId,
        query: z.object({
          convertedStage: z.string().min(1).max(64).default('Customer').openapi({ description: 'The stage that counts as converted.' }),
        }),
      },
      responses: { 200: jsonResponse(ZScoreReport, 'The score report') },
    }),
    async (c) => c.json(await scoreReport(deps.db, ws(c), c.req.valid('param').id, c.req.valid('query').convertedStage), 200),
  );
  return app;
}

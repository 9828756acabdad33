import { OpenAPIHono, z } from '@hono/zod-openapi';
import {
  createScoringModel,
  dryRunScoringModel,
  explainScores,
  getScoringModel,
  listScoringModels,
  publishScoringModel,
  updateScoringModel,
  ZContactScores,
  ZDryRun,
  ZScoringModel,
  ZScoringModelInput,
  ZScoringModelPatch,
} from '../../scoring/models.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const tags = ['Scoring'];

export function scoringModelRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List scoring models',
      tags,
      responses: { 200: jsonResponse(z.object({ items: z.array(ZScoringModel) }), 'The models') },
    }),
    async (c) => c.json({ items: await listScoringModels(deps.db, ws(c)) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create a scoring model (a draft; publish it to score contacts)',
      tags,
      request: jsonBody(ZScoringModelInput),
      responses: { 201: jsonResponse(ZScoringModel, 'The model') },
    }),
    async (c) => c.json(await createScoringModel(deps.db, ws(c), c.req.valid('json'), deps.clock), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a scoring model',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZScoringModel, 'The model') },
    }),
    async (c) => c.json(await getScoringModel(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Edit a scoring model’s draft, name or description',
      tags,
      request: { params: ZId, ...jsonBody(ZScoringModelPatch) },
      responses: { 200: jsonResponse(ZScoringModel, 'The model') },
    }),
    async (c) => c.json(await updateScoringModel(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/publish',
      summary: 'Publish the draft as the next version; every contact is re-scored from its history in the background',
      tags,
      request: { params: ZId },
      responses: { 202: jsonResponse(ZScoringModel, 'Published; re-scoring is queued') },
    }),
    async (c) => {
      const model = await publishScoringModel(deps.db, ws(c), c.req.valid('param').id, deps.clock);
      deps.notifyWork?.();
      return c.json(model, 202);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/dry-run',
      summary: 'What publishing the draft would change: scores changed, averages, contacts per band before and after (nothing is written)',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZDryRun, 'The projected change') },
    }),
    async (c) => c.json(await dryRunScoringModel(deps.db, ws(c), c.req.valid('param').id, deps.clock), 200),
  );
  return app;
}

export function contactScoreRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/scores',
      summary: 'A contact’s scores, each explained as the sum of its ledger grouped by rule',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZContactScores, 'The scores') },
    }),
    async (c) => c.json(await explainScores(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  return app;
}

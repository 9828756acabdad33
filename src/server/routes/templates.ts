import { OpenAPIHono, z } from '@hono/zod-openapi';
import {
  previewTemplate,
  testSendTemplate,
  ZPreview,
  ZPreviewInput,
  ZTestSendInput,
  ZTestSendResult,
} from '../../messaging/templates/preview-template.ts';
import { createTemplateRenderer } from '../../messaging/templates/render.ts';
import { ZTemplateWarning } from '../../messaging/templates/template.ts';
import {
  archiveTemplate,
  createTemplate,
  getTemplate,
  lintStoredTemplate,
  listTemplates,
  publishTemplate,
  updateTemplate,
  ZTemplate,
  ZTemplateInput,
} from '../../messaging/templates/templates.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const tags = ['Templates'];

export function templateRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  // One renderer per app (process): compiled MJML and parsed versions are reused across requests.
  const options = { clock: deps.clock, renderer: createTemplateRenderer() };
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List email templates',
      tags,
      responses: { 200: jsonResponse(z.object({ items: z.array(ZTemplate) }), 'The templates') },
    }),
    async (c) => c.json({ items: await listTemplates(deps.db, ws(c)) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create an email template (a draft; Liquid, variables, MJML and block conditions are checked; lint warnings returned)',
      tags,
      request: jsonBody(ZTemplateInput),
      responses: { 201: jsonResponse(ZTemplate, 'The template, with lint warnings') },
    }),
    async (c) => c.json(await createTemplate(deps.db, ws(c), c.req.valid('json'), options), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get an email template with its versions',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZTemplate, 'The template') },
    }),
    async (c) => c.json(await getTemplate(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'put',
      path: '/{id}',
      summary: 'Replace an email template’s draft, name and description',
      tags,
      request: { params: ZId, ...jsonBody(ZTemplateInput) },
      responses: { 200: jsonResponse(ZTemplate, 'The template, with lint warnings') },
    }),
    async (c) => c.json(await updateTemplate(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), options), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Archive an email template (its versions are kept)',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Archived' } },
    }),
    async (c) => {
      await archiveTemplate(deps.db, ws(c), c.req.valid('param').id, deps.clock);
      return c.body(null, 204);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/publish',
      summary: 'Publish the draft as the next version (MJML is compiled once, here)',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZTemplate, 'The template, with lint warnings') },
    }),
    async (c) => c.json(await publishTemplate(deps.db, ws(c), c.req.valid('param').id, options), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/preview',
      summary: 'Render the draft or a version for a contact (or sample data): subject, preheader, HTML, text',
      tags,
      request: {
        params: ZId,
        body: { required: false, content: { 'application/json': { schema: ZPreviewInput } } },
      },
      responses: { 200: jsonResponse(ZPreview, 'The rendered message; nothing is sent or written') },
    }),
    async (c) => c.json(await previewTemplate(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), options), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/test-send',
      summary: 'Send the rendered draft or version now to up to 10 addresses, subject prefixed [TEST] (no queue, no tracking)',
      tags,
      request: { params: ZId, ...jsonBody(ZTestSendInput) },
      responses: { 200: jsonResponse(ZTestSendResult, 'What the SMTP server answered per address') },
    }),
    async (c) =>
      c.json(
        await testSendTemplate(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), { ...options, mailer: deps.mailer }),
        200,
      ),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/{id}/lint',
      summary: 'Lint the draft: features major mail clients do not support, a missing unsubscribe link',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(z.object({ warnings: z.array(ZTemplateWarning) }), 'The warnings') },
    }),
    async (c) => c.json({ warnings: await lintStoredTemplate(deps.db, ws(c), c.req.valid('param').id) }, 200),
  );
  return app;
}

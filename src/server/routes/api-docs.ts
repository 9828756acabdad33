import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import type { AppEnv } from '../deps.ts';

const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js'] as const;
const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };

/** /api/openapi.json (generated from the route schemas) and a browsable reference at /api/docs, served offline. */
export function apiDocsRoutes(root: OpenAPIHono<AppEnv>) {
  const app = new Hono();
  const assetDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  let document: unknown;
  const assets = new Map<string, string>();
  app.get('/openapi.json', (c) => {
    document ??= root.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Kizuna API',
        version: '0.1.0',
        description:
          'Marketing automation: contacts, companies, imports. Authenticate with Authorization: Bearer <API key>. Errors are RFC 9457 problem+json.',
      },
    });
    return c.json(document);
  });
  app.get('/docs', (c) =>
    c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kizuna API reference</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script><script src="/api/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });</script>
</body></html>`),
  );
  app.get('/docs/assets/:file', (c) => {
    const file = c.req.param('file') as (typeof ASSETS)[number];
    if (!ASSETS.includes(file)) return c.notFound();
    // Read once: the bundle is 1.5 MB and never changes while the process runs.
    if (!assets.has(file)) assets.set(file, readFileSync(join(assetDir, file), 'utf8'));
    return c.body(assets.get(file)!, 200, {
      'content-type': TYPES[file.split('.').pop()!]!,
      'cache-control': 'public, max-age=86400',
    });
  });
  return app;
}

import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

/** Serves the browser snippet at /js/kizuna.js (read once, cached by browsers for an hour). */
export function webSnippetRoutes() {
  const app = new Hono();
  const source = readFileSync(new URL('../../web-snippet/kizuna.js', import.meta.url), 'utf8');
  app.get('/js/kizuna.js', (c) =>
    c.body(source, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600',
      'access-control-allow-origin': '*',
    }),
  );
  return app;
}

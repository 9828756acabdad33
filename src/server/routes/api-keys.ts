import { OpenAPIHono, z } from '@hono/zod-openapi';
import { API_KEY_SCOPES, createApiKey, listApiKeys, revokeApiKey } from '../../workspaces/api-keys.ts';
import { requireAdmin } from '../auth.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute } from '../openapi-helpers.ts';

const ZApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scope: z.enum(API_KEY_SCOPES as ['admin', 'read', 'write']),
    prefix: z.string().openapi({ description: 'The first characters of the key, to tell keys apart.' }),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');
const ZCreatedApiKey = ZApiKey.extend({ key: z.string().openapi({ description: 'The secret: shown this once, never again.' }) }).openapi(
  'CreatedApiKey',
);
const ZApiKeyInput = z
  .object({ name: z.string().trim().min(1).max(200), scope: z.enum(API_KEY_SCOPES as ['admin', 'read', 'write']) })
  .strict()
  .openapi('ApiKeyInput');
const tags = ['API keys'];

const serialize = <T extends { workspaceId: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null }>({
  workspaceId: _,
  ...key
}: T) => ({
  ...key,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  revokedAt: key.revokedAt?.toISOString() ?? null,
});

export function apiKeyRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.use('*', requireAdmin);
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List API keys (admin)',
      tags,
      responses: { 200: jsonResponse(z.object({ items: z.array(ZApiKey) }), 'All keys of the workspace') },
    }),
    async (c) => c.json({ items: (await listApiKeys(deps.db, c.get('principal').workspaceId)).map(serialize) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create an API key (admin); the key is shown once',
      tags,
      request: jsonBody(ZApiKeyInput),
      responses: { 201: jsonResponse(ZCreatedApiKey, 'The new key') },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const key = await createApiKey(deps.db, { workspaceId: c.get('principal').workspaceId, ...input }, deps.clock);
      return c.json(serialize(key), 201);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Revoke an API key (admin)',
      tags,
      request: { params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 200: jsonResponse(ZApiKey, 'The revoked key') },
    }),
    async (c) =>
      c.json(
        serialize(await revokeApiKey(deps.db, { workspaceId: c.get('principal').workspaceId, id: c.req.valid('param').id }, deps.clock)),
        200,
      ),
  );
  return app;
}

import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { HonoRequest } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createImport, getImport, issuesToCsv, listImportIssues, listImports } from '../../imports/imports.ts';
import { invalidInput, KizunaError } from '../../platform/errors.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const ZCounts = z.object({
  total: z.number(),
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  merged: z.number(),
  rejected: z.number(),
  warnings: z.number(),
});
const ZImport = z
  .object({
    id: z.uuid(),
    status: z.enum(['queued', 'running', 'completed', 'failed']),
    filename: z.string(),
    encoding: z.string().nullable(),
    mapping: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'Header → field, once the file has been read.' }),
    counts: ZCounts,
    processed: z.number(),
    error: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi('Import');
const ZIssue = z
  .object({
    line: z.number(),
    kind: z.enum(['rejected', 'warning', 'conflict', 'merged']),
    field: z.string().nullable(),
    message: z.string(),
    value: z.string().nullable(),
  })
  .openapi('ImportIssue');
const ZUploadQuery = z.object({
  filename: z.string().max(255).optional().openapi({ description: 'Name shown in the import list (defaults to upload.csv).' }),
  encoding: z.enum(['auto', 'utf-8', 'shift_jis']).default('auto'),
  mapping: z
    .string()
    .optional()
    .openapi({ description: 'JSON object of header → field overrides, e.g. {"得意先コード":"externalId","備考":"ignore"}.' }),
});
const tags = ['Imports'];

export function importRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Upload a contacts CSV (UTF-8 or Shift_JIS); it is imported in the background — poll GET /api/imports/{id}',
      tags,
      request: {
        query: ZUploadQuery,
        body: {
          required: true,
          content: {
            'text/csv': { schema: z.string().openapi({ format: 'binary' }) },
            // Optional to the validator (which also runs for text/csv bodies); readUpload checks it.
            'multipart/form-data': { schema: z.object({ file: z.any().optional().openapi({ type: 'string', format: 'binary' }) }) },
          },
        },
      },
      responses: { 202: jsonResponse(ZImport, 'Accepted; the import is queued') },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const mapping = parseMapping(query.mapping);
      const { buffer, filename } = await readUpload(c.req, query.filename);
      const created = await createImport(deps.db, ws(c), { buffer, filename, encoding: query.encoding, mapping }, deps.clock);
      deps.notifyWork?.();
      return c.json(created, 202, { location: `/api/imports/${created.id}` });
    },
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'List recent imports',
      tags,
      responses: { 200: jsonResponse(z.object({ items: z.array(ZImport) }), 'Newest first') },
    }),
    async (c) => c.json({ items: await listImports(deps.db, ws(c)) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Import status and counts',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZImport, 'The import') },
    }),
    async (c) => c.json(await getImport(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}/report',
      summary: 'The report: rejected rows, warnings, merged duplicates and replaced values, by line (JSON, or CSV with ?format=csv)',
      tags,
      request: { params: ZId, query: z.object({ format: z.enum(['json', 'csv']).default('json') }) },
      responses: {
        200: {
          description: 'The issues, by line',
          content: { 'application/json': { schema: z.object({ items: z.array(ZIssue) }) }, 'text/csv': { schema: z.string() } },
        },
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const issues = await listImportIssues(deps.db, ws(c), id);
      if (c.req.valid('query').format === 'csv') {
        return c.body(issuesToCsv(issues), 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="import-${id}-report.csv"`,
        });
      }
      return c.json({ items: issues }, 200);
    },
  );
  return app;
}

/** Body limit for uploads (KIZUNA_MAX_IMPORT_BYTES), applied by the app before this router. */
export function importUploadLimit(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new KizunaError('payload_too_large', `the upload is larger than ${maxBytes} bytes (KIZUNA_MAX_IMPORT_BYTES)`, {
        issues: [{ path: 'body', message: `at most ${maxBytes} bytes` }],
      });
    },
  });
}

function parseMapping(raw: string | undefined): Record<string, string> | undefined {
  if (!raw) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string'))
      return value as Record<string, string>;
  } catch {
    // reported below
  }
  throw invalidInput([{ path: 'query.mapping', message: 'expected a JSON object of header → field names' }]);
}

// HonoRequest, not the raw Request: the validator has already read the body, and HonoRequest reuses it.
async function readUpload(request: HonoRequest, filename: string | undefined): Promise<{ buffer: Buffer; filename: string }> {
  const type = request.header('content-type') ?? '';
  if (type.startsWith('multipart/form-data')) {
    const form = await request.formData();
    const file = form.get('file');
    if (!(file instanceof File)) throw invalidInput([{ path: 'file', message: 'expected a CSV file in the form field "file"' }]);
    return { buffer: Buffer.from(await file.arrayBuffer()), filename: filename ?? (file.name || 'upload.csv') };
  }
  if (!/^(text\/csv|text\/plain|application\/octet-stream|application\/vnd\.ms-excel)\b/.test(type)) {
    throw new KizunaError(
      'unsupported_media_type',
      `send the CSV as text/csv (or multipart/form-data with a "file" field); got "${type || 'none'}"`,
    );
  }
  const buffer = Buffer.from(await request.arrayBuffer());
  if (buffer.length === 0) throw invalidInput([{ path: 'body', message: 'expected a CSV file; the body was empty' }]);
  return { buffer, filename: filename ?? 'upload.csv' };
}

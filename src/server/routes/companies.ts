import { OpenAPIHono, z } from '@hono/zod-openapi';
import { createCompany, deleteCompany, getCompany, updateCompany, upsertCompanies } from '../../companies/companies.ts';
import { ZCompany, ZCompanyInput, ZCompanyPatch } from '../../companies/company-schema.ts';
import { listCompanies, ZCompanyQuery } from '../../companies/list-companies.ts';
import { pageSchema } from '../../platform/pagination.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonBody, jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const ZBulkResult = z
  .object({
    results: z.array(
      z.object({
        index: z.number(),
        status: z.enum(['created', 'updated', 'unchanged', 'rejected']),
        id: z.string().optional(),
        errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      }),
    ),
  })
  .openapi('CompanyBulkResult');
const tags = ['Companies'];

export function companyRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'Search, filter and page companies',
      tags,
      request: { query: ZCompanyQuery },
      responses: { 200: jsonResponse(pageSchema(ZCompany, 'CompanyPage'), 'A page of companies') },
    }),
    async (c) => c.json(await listCompanies(deps.db, ws(c), c.req.valid('query')), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/',
      summary: 'Create a company',
      tags,
      request: jsonBody(ZCompanyInput),
      responses: { 201: jsonResponse(ZCompany, 'The created company') },
    }),
    async (c) => c.json(await createCompany(deps.db, ws(c), c.req.valid('json'), deps.clock), 201),
  );
  app.openapi(
    jsonRoute({
      method: 'post',
      path: '/bulk',
      summary: 'Upsert up to 1000 companies (matched by domain, then normalised name); a result per row',
      tags,
      // Rows are validated one by one in the domain, so one bad row is reported without failing the rest.
      request: jsonBody(
        z
          .object({
            companies: z
              .array(z.looseObject({}).openapi({ description: 'A CompanyInput' }))
              .min(1)
              .max(1000),
          })
          .openapi('CompanyBulkInput'),
      ),
      responses: { 200: jsonResponse(ZBulkResult, 'One result per input row, in order') },
    }),
    async (c) => c.json({ results: await upsertCompanies(deps.db, ws(c), c.req.valid('json').companies, deps.clock) }, 200),
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'Get a company',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZCompany, 'The company') },
    }),
    async (c) => c.json(await getCompany(deps.db, ws(c), c.req.valid('param').id), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Change a company (given fields only; null clears)',
      tags,
      request: { params: ZId, ...jsonBody(ZCompanyPatch) },
      responses: { 200: jsonResponse(ZCompany, 'The updated company') },
    }),
    async (c) => c.json(await updateCompany(deps.db, ws(c), c.req.valid('param').id, c.req.valid('json'), deps.clock), 200),
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a company (its contacts stay, unlinked)',
      tags,
      request: { params: ZId },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deleteCompany(deps.db, ws(c), c.req.valid('param').id, deps.clock);
      return c.body(null, 204);
    },
  );
  return app;
}

import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import { ZProblem } from './problem.ts';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ZProblem } } });

/** The error responses every authenticated route can give. */
export const commonErrors = {
  400: problem('Invalid input: the errors list names each failing field'),
  401: problem('Missing, unknown or revoked API key'),
  403: problem('The key’s scope does not allow this'),
  404: problem('Not found in this workspace'),
  409: problem('Conflicts with existing data'),
  413: problem('Request body too large'),
  415: problem('Content-Type must be application/json'),
} as const;

/** A route with our security scheme and the problem responses declared once. */
export function jsonRoute<P extends string, R extends Omit<RouteConfig, 'path'> & { path: P }>(spec: R): R {
  return createRoute({ ...spec, security: [{ bearerAuth: [] }], responses: { ...commonErrors, ...spec.responses } }) as R;
}

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { body: { required: true, description, content: { 'application/json': { schema } } } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** The `{id}` path parameter of every resource route. */
export const ZId = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

/** The workspace of the request's API key. */
export function ws(c: { get: (key: 'principal') => { workspaceId: string } }): string {
  return c.get('principal').workspaceId;
}

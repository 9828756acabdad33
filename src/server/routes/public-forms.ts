import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { getContact } from '../../contacts/contacts.ts';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { contactByAnonymousId } from '../../events/identity.ts';
import { findPublicForm } from '../../forms/forms.ts';
import { renderFormPage, renderThankYouPage } from '../../forms/render-form-page.ts';
import { type Submission, submitForm } from '../../forms/submit-form.ts';
import { knownValues, visibleFields } from '../../forms/visible-fields.ts';
import { KizunaError } from '../../platform/errors.ts';
import { clientIp } from '../client-ip.ts';
import type { ServerDeps } from '../deps.ts';
import { problemResponse } from '../problem.ts';
import { createRateLimiter } from '../rate-limiter.ts';

/**
 * The public side of forms: the hosted page /f/{id} (works without JavaScript), its definition
 * for embedding (/f/{id}/definition.json, progressive fields for a known visitor), and submission.
 */
export function publicFormRoutes(deps: ServerDeps) {
  const app = new Hono();
  const partitions = createPartitionCache();
  // Ten submissions a minute per visitor address and form is generous for people, not for bots.
  const limiter = createRateLimiter({ perSecond: 10 / 60, burst: 10, clock: deps.clock });
  app.use('/f/*', cors({ origin: '*', allowMethods: ['GET', 'POST', 'OPTIONS'], allowHeaders: ['content-type'] }));

  const load = async (id: string) => {
    const found = await findPublicForm(deps.db, id);
    if (!found) throw new KizunaError('not_found', `form ${id} does not exist`);
    return found;
  };

  app.get('/f/:id', async (c) => {
    const { form } = await load(c.req.param('id'));
    return c.html(renderFormPage({ form, fields: form.definition.fields }));
  });

  app.get('/f/:id/definition.json', async (c) => {
    const { workspaceId, form } = await load(c.req.param('id'));
    const known = await knownContact(deps, workspaceId, c.req.query('anonymousId'));
    const d = form.definition;
    return c.json({ id: form.id, name: d.name, fields: visibleFields(d, known), consent: d.consent ?? null, submitLabel: d.submitLabel });
  });

  app.post('/f/:id', async (c) => {
    const id = c.req.param('id');
    const { form } = await load(id);
    const ip = clientIp(c);
    const isJson = (c.req.header('content-type') ?? '').includes('json');
    if (!limiter.take(`${id}:${ip ?? 'unknown'}`, 1).ok) {
      return problemResponse(c, 'rate_limited', 'too many submissions from here; try again in a minute', [], { 'retry-after': '60' });
    }
    const submission = isJson ? await jsonSubmission(c, id) : await formSubmission(c, id);
    const result = await submitForm(deps.db, { ...submission, ip, userAgent: c.req.header('user-agent') }, partitions, deps.clock);
    if (isJson) return c.json(result, result.ok ? 200 : 400);
    if (!result.ok) {
      return c.html(renderFormPage({ form, fields: form.definition.fields, values: submission.values, errors: result.errors }), 400);
    }
    return result.redirectUrl ? c.redirect(result.redirectUrl, 303) : c.html(renderThankYouPage(form, result.message));
  });
  return app;
}

async function knownContact(deps: ServerDeps, workspaceId: string, anonymousId: string | undefined) {
  const contactId = await contactByAnonymousId(deps.db, workspaceId, anonymousId);
  return contactId ? knownValues(await getContact(deps.db, workspaceId, contactId)) : undefined;
}

async function jsonSubmission(c: Context, formId: string): Promise<Submission> {
  const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
  if (!body || typeof body !== 'object')
    throw new KizunaError('invalid_input', 'expected a JSON object', { issues: [{ path: 'body', message: 'expected a JSON object' }] });
  const values = typeof body.values === 'object' && body.values ? (body.values as Record<string, unknown>) : {};
  return {
    formId,
    values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v ?? '')])),
    anonymousId: typeof body.anonymousId === 'string' ? body.anonymousId : undefined,
    consent: body.consent === true,
    honeypot: typeof body._hp === 'string' ? body._hp : undefined,
  };
}

async function formSubmission(c: Context, formId: string): Promise<Submission> {
  const form = await c.req.parseBody();
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) if (typeof value === 'string' && !key.startsWith('_')) values[key] = value;
  return {
    formId,
    values,
    anonymousId: typeof form._aid === 'string' && form._aid ? form._aid : undefined,
    consent: form._consent === 'yes',
    honeypot: typeof form._hp === 'string' ? form._hp : undefined,
  };
}

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueDeliveries } from '../messaging/deliveries/deliveries.ts';
import { createMailSink, type MailSink } from '../messaging/smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../messaging/smtp/transport.ts';
import { loadConfig } from '../platform/config.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestApp, createTestWorkspace } from './test-app.ts';

const database = useTestDatabase();
// A real dev sink, so A has caught mail for B to (not) see.
let sink: MailSink;
let transport: MailTransport;
beforeAll(async () => {
  sink = createMailSink({ port: 0 });
  transport = createMailTransport({ config: loadConfig({ env: {}, flags: { logLevel: 'silent' } }), sink: await sink.start() });
});
afterAll(async () => {
  transport?.close();
  await sink?.stop();
});

interface Case {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** An OpenAPI path template, e.g. /api/contacts/{id}. */
  route: string;
  path: (ids: AIds) => string;
  json?: (ids: AIds) => unknown;
  body?: () => { body: string; headers: Record<string, string> };
  /** Send B's write key instead of its admin key (the tracking API). */
  writeKey?: boolean;
  /** What B must get: 404 for A's ids, 400 for a reference to A's data, a 2xx that shows none of A's data, or 403 (provider webhooks: an API key is no signature). */
  expect: 'not_found' | 'rejected' | 'invisible' | 'forbidden';
}

interface AIds {
  contactId: string;
  companyId: string;
  keyId: string;
  importId: string;
  formId: string;
  segmentId: string;
  listId: string;
  modelId: string;
  taskId: string;
  webhookId: string;
  webhookSecret: string;
  templateId: string;
  mailId: string;
  topicId: string;
  suppressionId: string;
  campaignId: string;
  deliveryId: string;
  journeyId: string;
  workspaceId: string;
}

// Every route of the API, addressed with workspace A's ids and called with workspace B's admin key.
const CASES: Case[] = [
  { method: 'GET', route: '/api/contacts', path: () => '/api/contacts?q=isolation', expect: 'invisible' },
  { method: 'GET', route: '/api/contacts', path: () => '/api/contacts?email=a-secret@example.com', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/contacts',
    path: () => '/api/contacts',
    json: (a) => ({ email: 'b-new@example.com', companyId: a.companyId }),
    expect: 'rejected',
  },
  {
    method: 'POST',
    route: '/api/contacts/bulk',
    path: () => '/api/contacts/bulk',
    json: () => ({ contacts: [{ email: 'a-secret@example.com', firstName: 'Mallory' }] }),
    expect: 'invisible',
  },
  { method: 'GET', route: '/api/contacts/{id}', path: (a) => `/api/contacts/${a.contactId}`, expect: 'not_found' },
  {
    method: 'PATCH',
    route: '/api/contacts/{id}',
    path: (a) => `/api/contacts/${a.contactId}`,
    json: () => ({ firstName: 'Mallory' }),
    expect: 'not_found',
  },
  { method: 'DELETE', route: '/api/contacts/{id}', path: (a) => `/api/contacts/${a.contactId}`, expect: 'not_found' },
  { method: 'GET', route: '/api/companies', path: () => '/api/companies?q=Isolation', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/companies',
    path: () => '/api/companies',
    json: () => ({ name: 'Isolation Corp', domain: 'a-secret.example' }),
    expect: 'invisible',
  },
  {
    method: 'POST',
    route: '/api/companies/bulk',
    path: () => '/api/companies/bulk',
    json: () => ({ companies: [{ name: 'Isolation Corp', domain: 'a-secret.example', industry: 'x' }] }),
    expect: 'invisible',
  },
  { method: 'GET', route: '/api/companies/{id}', path: (a) => `/api/companies/${a.companyId}`, expect: 'not_found' },
  {
    method: 'PATCH',
    route: '/api/companies/{id}',
    path: (a) => `/api/companies/${a.companyId}`,
    json: () => ({ industry: 'Hacked' }),
    expect: 'not_found',
  },
  { method: 'DELETE', route: '/api/companies/{id}', path: (a) => `/api/companies/${a.companyId}`, expect: 'not_found' },
  { method: 'GET', route: '/api/custom-fields', path: () => '/api/custom-fields', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/custom-fields',
    path: () => '/api/custom-fields',
    json: () => ({ key: 'a_secret_field', label: 'x', type: 'text' }),
    expect: 'invisible',
  },
  {
    method: 'DELETE',
    route: '/api/custom-fields/{entity}/{key}',
    path: () => '/api/custom-fields/contact/a_secret_field',
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/keys', path: () => '/api/keys', expect: 'invisible' },
  { method: 'POST', route: '/api/keys', path: () => '/api/keys', json: () => ({ name: 'b key', scope: 'read' }), expect: 'invisible' },
  { method: 'DELETE', route: '/api/keys/{id}', path: (a) => `/api/keys/${a.keyId}`, expect: 'not_found' },
  { method: 'GET', route: '/api/contacts/{id}/events', path: (a) => `/api/contacts/${a.contactId}/events`, expect: 'not_found' },
  { method: 'GET', route: '/api/contacts/{id}/identities', path: (a) => `/api/contacts/${a.contactId}/identities`, expect: 'not_found' },
  ...(['identify', 'track', 'page', 'screen', 'group', 'alias'] as const).map(
    (call): Case => ({
      method: 'POST',
      route: `/v1/${call}`,
      path: () => `/v1/${call}`,
      // A's userId and email, sent with B's write key: B gets its own contact, A's stays untouched.
      json: () => ({
        userId: 'a-user',
        previousId: 'a-anon',
        groupId: 'g',
        event: 'X',
        traits: { email: 'a-secret@example.com', firstName: 'Mallory' },
      }),
      expect: 'invisible',
      writeKey: true,
    }),
  ),
  {
    method: 'POST',
    route: '/v1/batch',
    path: () => '/v1/batch',
    json: () => ({ batch: [{ type: 'identify', userId: 'a-user', traits: { email: 'a-secret@example.com' } }] }),
    expect: 'invisible',
    writeKey: true,
  },
  { method: 'GET', route: '/api/imports', path: () => '/api/imports', expect: 'invisible' },
  { method: 'GET', route: '/api/forms', path: () => '/api/forms', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/forms',
    path: () => '/api/forms',
    json: () => ({ name: 'B form', fields: [{ key: 'email', label: 'E' }] }),
    expect: 'invisible',
  },
  { method: 'GET', route: '/api/forms/{id}', path: (a) => `/api/forms/${a.formId}`, expect: 'not_found' },
  {
    method: 'PUT',
    route: '/api/forms/{id}',
    path: (a) => `/api/forms/${a.formId}`,
    json: () => ({ name: 'Hijacked', fields: [{ key: 'email', label: 'E' }] }),
    expect: 'not_found',
  },
  { method: 'DELETE', route: '/api/forms/{id}', path: (a) => `/api/forms/${a.formId}`, expect: 'not_found' },
  {
    method: 'POST',
    route: '/api/imports',
    path: () => '/api/imports?filename=b.csv',
    body: () => ({ body: 'email\nb-import@example.com\n', headers: { 'content-type': 'text/csv' } }),
    expect: 'invisible',
  },
  { method: 'GET', route: '/api/imports/{id}', path: (a) => `/api/imports/${a.importId}`, expect: 'not_found' },
  { method: 'GET', route: '/api/imports/{id}/report', path: (a) => `/api/imports/${a.importId}/report`, expect: 'not_found' },
  { method: 'GET', route: '/api/segments', path: () => '/api/segments?archived=true', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/segments',
    path: () => '/api/segments',
    json: (a) => ({ name: 'B on A', definition: { condition: { type: 'list', listId: a.listId } } }),
    expect: 'rejected',
  },
  // A's custom field must not be offered to B.
  { method: 'GET', route: '/api/segments/fields', path: () => '/api/segments/fields', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/segments/validate',
    path: () => '/api/segments/validate',
    json: (a) => ({ definition: { condition: { type: 'segment', segmentId: a.segmentId } } }),
    expect: 'rejected',
  },
  {
    method: 'POST',
    route: '/api/segments/preview',
    path: () => '/api/segments/preview',
    json: () => ({ definition: { condition: { type: 'field', field: 'lastName', operator: 'eq', value: 'Isolation' } } }),
    expect: 'invisible',
  },
  { method: 'GET', route: '/api/segments/{id}', path: (a) => `/api/segments/${a.segmentId}`, expect: 'not_found' },
  {
    method: 'PATCH',
    route: '/api/segments/{id}',
    path: (a) => `/api/segments/${a.segmentId}`,
    json: () => ({ name: 'Hijacked' }),
    expect: 'not_found',
  },
  { method: 'DELETE', route: '/api/segments/{id}', path: (a) => `/api/segments/${a.segmentId}`, expect: 'not_found' },
  { method: 'POST', route: '/api/segments/{id}/publish', path: (a) => `/api/segments/${a.segmentId}/publish`, expect: 'not_found' },
  { method: 'POST', route: '/api/segments/{id}/rebuild', path: (a) => `/api/segments/${a.segmentId}/rebuild`, expect: 'not_found' },
  { method: 'GET', route: '/api/segments/{id}/members', path: (a) => `/api/segments/${a.segmentId}/members`, expect: 'not_found' },
  {
    method: 'GET',
    route: '/api/segments/{id}/members.csv',
    path: (a) => `/api/segments/${a.segmentId}/members.csv`,
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/contacts/{id}/memberships', path: (a) => `/api/contacts/${a.contactId}/memberships`, expect: 'not_found' },
  { method: 'GET', route: '/api/scoring-models', path: () => '/api/scoring-models', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/scoring-models',
    path: () => '/api/scoring-models',
    json: (a) => ({
      name: 'B on A',
      definition: {
        rules: [{ id: 'x', label: 'x', kind: 'attribute', condition: { type: 'list', listId: a.listId }, points: 5 }],
        bands: [{ name: 'All', min: 0 }],
      },
    }),
    expect: 'rejected',
  },
  { method: 'GET', route: '/api/scoring-models/{id}', path: (a) => `/api/scoring-models/${a.modelId}`, expect: 'not_found' },
  {
    method: 'PATCH',
    route: '/api/scoring-models/{id}',
    path: (a) => `/api/scoring-models/${a.modelId}`,
    json: () => ({ name: 'Hijacked' }),
    expect: 'not_found',
  },
  {
    method: 'POST',
    route: '/api/scoring-models/{id}/publish',
    path: (a) => `/api/scoring-models/${a.modelId}/publish`,
    expect: 'not_found',
  },
  {
    method: 'POST',
    route: '/api/scoring-models/{id}/dry-run',
    path: (a) => `/api/scoring-models/${a.modelId}/dry-run`,
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/contacts/{id}/scores', path: (a) => `/api/contacts/${a.contactId}/scores`, expect: 'not_found' },
  { method: 'GET', route: '/api/lifecycle', path: () => '/api/lifecycle', expect: 'invisible' },
  {
    method: 'PUT',
    route: '/api/lifecycle',
    path: () => '/api/lifecycle',
    json: (a) => ({ definition: { rules: [{ stage: 'MQL', condition: { type: 'list', listId: a.listId } }] } }),
    expect: 'rejected',
  },
  { method: 'POST', route: '/api/lifecycle/publish', path: () => '/api/lifecycle/publish', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/contacts/{id}/stage',
    path: (a) => `/api/contacts/${a.contactId}/stage`,
    json: () => ({ stage: 'Customer' }),
    expect: 'not_found',
  },
  {
    method: 'POST',
    route: '/api/contacts/{id}/handoff/touch',
    path: (a) => `/api/contacts/${a.contactId}/handoff/touch`,
    expect: 'not_found',
  },
  {
    method: 'POST',
    route: '/api/contacts/{id}/handoff/decision',
    path: (a) => `/api/contacts/${a.contactId}/handoff/decision`,
    json: () => ({ decision: 'accepted' }),
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/contacts/{id}/transitions', path: (a) => `/api/contacts/${a.contactId}/transitions`, expect: 'not_found' },
  { method: 'GET', route: '/api/reports/lifecycle', path: () => '/api/reports/lifecycle', expect: 'invisible' },
  { method: 'GET', route: '/api/reports/sla', path: () => '/api/reports/sla', expect: 'invisible' },
  { method: 'GET', route: '/api/tasks', path: () => '/api/tasks?owner=a-secret-owner@example.com', expect: 'invisible' },
  {
    method: 'GET',
    route: '/api/owner-notifications',
    path: () => '/api/owner-notifications?owner=a-secret-owner@example.com',
    expect: 'invisible',
  },
  {
    method: 'POST',
    route: '/api/tasks',
    path: () => '/api/tasks',
    json: (a) => ({ contactId: a.contactId, owner: 'b@example.com', title: 'B task' }),
    expect: 'not_found',
  },
  {
    method: 'PATCH',
    route: '/api/tasks/{id}',
    path: (a) => `/api/tasks/${a.taskId}`,
    json: () => ({ status: 'done' }),
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/contacts/{id}/handoffs', path: (a) => `/api/contacts/${a.contactId}/handoffs`, expect: 'not_found' },
  { method: 'GET', route: '/api/reports/scores/{id}', path: (a) => `/api/reports/scores/${a.modelId}`, expect: 'not_found' },
  { method: 'GET', route: '/api/webhooks', path: () => '/api/webhooks', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/webhooks',
    path: () => '/api/webhooks',
    json: () => ({ url: 'http://127.0.0.1:9/b-hook', kinds: ['handoff.assigned'] }),
    expect: 'invisible',
  },
  { method: 'GET', route: '/api/webhooks/{id}', path: (a) => `/api/webhooks/${a.webhookId}`, expect: 'not_found' },
  {
    method: 'PATCH',
    route: '/api/webhooks/{id}',
    path: (a) => `/api/webhooks/${a.webhookId}`,
    json: () => ({ url: 'http://127.0.0.1:9/hijacked' }),
    expect: 'not_found',
  },
  { method: 'DELETE', route: '/api/webhooks/{id}', path: (a) => `/api/webhooks/${a.webhookId}`, expect: 'not_found' },
  {
    method: 'POST',
    route: '/api/webhooks/{id}/rotate-secret',
    path: (a) => `/api/webhooks/${a.webhookId}/rotate-secret`,
    expect: 'not_found',
  },
  { method: 'POST', route: '/api/webhooks/{id}/test', path: (a) => `/api/webhooks/${a.webhookId}/test`, expect: 'not_found' },
  {
    method: 'GET',
    route: '/api/webhooks/{id}/deliveries',
    path: (a) => `/api/webhooks/${a.webhookId}/deliveries`,
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/lists', path: () => '/api/lists', expect: 'invisible' },
  { method: 'POST', route: '/api/lists', path: () => '/api/lists', json: () => ({ name: 'B list' }), expect: 'invisible' },
  { method: 'GET', route: '/api/lists/{id}', path: (a) => `/api/lists/${a.listId}`, expect: 'not_found' },
  {
    method: 'PATCH',
    route: '/api/lists/{id}',
    path: (a) => `/api/lists/${a.listId}`,
    json: () => ({ name: 'Hijacked' }),
    expect: 'not_found',
  },
  { method: 'DELETE', route: '/api/lists/{id}', path: (a) => `/api/lists/${a.listId}`, expect: 'not_found' },
  { method: 'GET', route: '/api/lists/{id}/members', path: (a) => `/api/lists/${a.listId}/members`, expect: 'not_found' },
  {
    method: 'POST',
    route: '/api/lists/{id}/members',
    path: (a) => `/api/lists/${a.listId}/members`,
    json: (a) => ({ contactIds: [a.contactId] }),
    expect: 'not_found',
  },
  {
    method: 'POST',
    route: '/api/lists/{id}/members/remove',
    path: (a) => `/api/lists/${a.listId}/members/remove`,
    json: (a) => ({ contactIds: [a.contactId] }),
    expect: 'not_found',
  },
  {
    method: 'POST',
    route: '/api/lists/{id}/members.csv',
    path: (a) => `/api/lists/${a.listId}/members.csv?action=remove`,
    body: () => ({ body: 'email\na-secret@example.com\n', headers: { 'content-type': 'text/csv' } }),
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/dev/mail', path: () => '/api/dev/mail?limit=1000', expect: 'invisible' },
  { method: 'GET', route: '/api/dev/mail/{id}', path: (a) => `/api/dev/mail/${a.mailId}`, expect: 'not_found' },
  { method: 'DELETE', route: '/api/dev/mail', path: () => '/api/dev/mail', expect: 'invisible' },
  { method: 'GET', route: '/api/templates', path: () => '/api/templates', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/templates',
    path: () => '/api/templates',
    json: (a) => ({
      name: 'B on A',
      definition: isolationTemplate([{ name: 'x', variants: [{ condition: { type: 'list', listId: a.listId }, body: 'x' }] }]),
    }),
    expect: 'rejected',
  },
  { method: 'GET', route: '/api/templates/{id}', path: (a) => `/api/templates/${a.templateId}`, expect: 'not_found' },
  {
    method: 'PUT',
    route: '/api/templates/{id}',
    path: (a) => `/api/templates/${a.templateId}`,
    json: () => ({ name: 'Hijacked', definition: isolationTemplate() }),
    expect: 'not_found',
  },
  { method: 'DELETE', route: '/api/templates/{id}', path: (a) => `/api/templates/${a.templateId}`, expect: 'not_found' },
  { method: 'POST', route: '/api/templates/{id}/publish', path: (a) => `/api/templates/${a.templateId}/publish`, expect: 'not_found' },
  {
    method: 'POST',
    route: '/api/templates/{id}/preview',
    path: (a) => `/api/templates/${a.templateId}/preview`,
    json: (a) => ({ contactId: a.contactId }),
    expect: 'not_found',
  },
  { method: 'POST', route: '/api/templates/{id}/lint', path: (a) => `/api/templates/${a.templateId}/lint`, expect: 'not_found' },
  {
    method: 'POST',
    route: '/api/templates/{id}/test-send',
    path: (a) => `/api/templates/${a.templateId}/test-send`,
    json: () => ({ to: ['b-team@example.com'] }),
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/suppressions', path: () => '/api/suppressions?email=a-secret@example.com', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/suppressions',
    path: () => '/api/suppressions',
    json: () => ({ email: 'a-secret@example.com', reason: 'complaint' }),
    expect: 'invisible',
  },
  { method: 'DELETE', route: '/api/suppressions/{id}', path: (a) => `/api/suppressions/${a.suppressionId}`, expect: 'not_found' },
  { method: 'GET', route: '/api/sms/opt-outs', path: () => '/api/sms/opt-outs?phone=%2B819099990000', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/sms/opt-outs',
    path: () => '/api/sms/opt-outs',
    json: () => ({ phone: '+819099990000' }),
    expect: 'invisible',
  },
  { method: 'DELETE', route: '/api/sms/opt-outs/{phone}', path: () => '/api/sms/opt-outs/+819099990000', expect: 'not_found' },
  ...(['inbound', 'status'] as const).map(
    (hook): Case => ({
      method: 'POST',
      route: `/sms/{workspaceId}/${hook}`,
      path: (a) => `/sms/${a.workspaceId}/${hook}`,
      // A START from A's opted-out number and a failure report, unsigned: A's opt-out and deliveries stay.
      body: () => ({
        body: 'From=%2B819099990000&Body=START&MessageSid=SM1&MessageStatus=failed',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      expect: 'forbidden',
    }),
  ),
  { method: 'GET', route: '/api/campaigns', path: () => '/api/campaigns', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/campaigns',
    path: () => '/api/campaigns',
    json: (a) => ({ name: 'B steals', definition: { templateId: a.templateId, audience: { listId: a.listId } } }),
    expect: 'rejected',
  },
  { method: 'GET', route: '/api/campaigns/{id}', path: (a) => `/api/campaigns/${a.campaignId}`, expect: 'not_found' },
  {
    method: 'PATCH',
    route: '/api/campaigns/{id}',
    path: (a) => `/api/campaigns/${a.campaignId}`,
    json: () => ({ name: 'Hijacked' }),
    expect: 'not_found',
  },
  { method: 'DELETE', route: '/api/campaigns/{id}', path: (a) => `/api/campaigns/${a.campaignId}`, expect: 'not_found' },
  {
    method: 'POST',
    route: '/api/campaigns/{id}/schedule',
    path: (a) => `/api/campaigns/${a.campaignId}/schedule`,
    json: () => ({}),
    expect: 'not_found',
  },
  { method: 'POST', route: '/api/campaigns/{id}/cancel', path: (a) => `/api/campaigns/${a.campaignId}/cancel`, expect: 'not_found' },
  { method: 'GET', route: '/api/campaigns/{id}/report', path: (a) => `/api/campaigns/${a.campaignId}/report`, expect: 'not_found' },
  { method: 'GET', route: '/api/deliveries', path: () => '/api/deliveries', expect: 'invisible' },
  { method: 'GET', route: '/api/deliveries/{id}', path: (a) => `/api/deliveries/${a.deliveryId}`, expect: 'not_found' },
  { method: 'GET', route: '/api/sending-settings', path: () => '/api/sending-settings', expect: 'invisible' },
  {
    method: 'PUT',
    route: '/api/sending-settings',
    path: () => '/api/sending-settings',
    json: () => ({ quietHours: null }),
    expect: 'invisible',
  },
  { method: 'GET', route: '/api/workspace', path: () => '/api/workspace', expect: 'invisible' },
  {
    method: 'PATCH',
    route: '/api/workspace',
    path: () => '/api/workspace',
    json: () => ({ name: 'b-renamed', timezone: 'Europe/Berlin' }),
    expect: 'invisible',
  },
  { method: 'GET', route: '/api/topics', path: () => '/api/topics', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/topics',
    path: () => '/api/topics',
    json: () => ({ key: 'a-secret-topic', nameJa: 'B', nameEn: 'B' }),
    expect: 'invisible',
  },
  {
    method: 'PATCH',
    route: '/api/topics/{id}',
    path: (a) => `/api/topics/${a.topicId}`,
    json: () => ({ nameEn: 'Hijacked' }),
    expect: 'not_found',
  },
  { method: 'DELETE', route: '/api/topics/{id}', path: (a) => `/api/topics/${a.topicId}`, expect: 'not_found' },
  { method: 'GET', route: '/api/contacts/{id}/preferences', path: (a) => `/api/contacts/${a.contactId}/preferences`, expect: 'not_found' },
  {
    method: 'PUT',
    route: '/api/contacts/{id}/preferences',
    path: (a) => `/api/contacts/${a.contactId}/preferences`,
    json: () => ({ frequency: 'monthly' }),
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/journeys', path: () => '/api/journeys?archived=true', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/journeys',
    path: () => '/api/journeys',
    json: (a) => ({ name: 'B on A', definition: journeyDefinition(a.templateId, a.formId) }),
    expect: 'invisible',
  },
  { method: 'GET', route: '/api/journeys/{id}', path: (a) => `/api/journeys/${a.journeyId}`, expect: 'not_found' },
  {
    method: 'PUT',
    route: '/api/journeys/{id}',
    path: (a) => `/api/journeys/${a.journeyId}`,
    json: (a) => ({ name: 'Hijacked', definition: journeyDefinition(a.templateId, a.formId) }),
    expect: 'not_found',
  },
  { method: 'DELETE', route: '/api/journeys/{id}', path: (a) => `/api/journeys/${a.journeyId}`, expect: 'not_found' },
  {
    method: 'POST',
    route: '/api/journeys/{id}/enrolments',
    path: (a) => `/api/journeys/${a.journeyId}/enrolments`,
    json: (a) => ({ contactIds: [a.contactId] }),
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/journeys/{id}/stats', path: (a) => `/api/journeys/${a.journeyId}/stats`, expect: 'not_found' },
  { method: 'GET', route: '/api/journey-templates', path: () => '/api/journey-templates', expect: 'invisible' },
  {
    method: 'POST',
    route: '/api/journey-templates/{key}/install',
    path: () => '/api/journey-templates/nurture/install',
    json: (a) => ({ options: { segmentId: a.segmentId, siteUrl: 'https://www.example.jp/' }, publish: true }),
    expect: 'rejected',
  },
  {
    method: 'POST',
    route: '/api/journeys/{id}/simulate',
    path: (a) => `/api/journeys/${a.journeyId}/simulate`,
    json: () => ({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }),
    expect: 'not_found',
  },
  { method: 'GET', route: '/api/contacts/{id}/journeys', path: (a) => `/api/contacts/${a.contactId}/journeys`, expect: 'not_found' },
  { method: 'POST', route: '/api/journeys/{id}/validate', path: (a) => `/api/journeys/${a.journeyId}/validate`, expect: 'not_found' },
  { method: 'POST', route: '/api/journeys/{id}/publish', path: (a) => `/api/journeys/${a.journeyId}/publish`, expect: 'not_found' },
  { method: 'POST', route: '/api/journeys/{id}/pause', path: (a) => `/api/journeys/${a.journeyId}/pause`, expect: 'not_found' },
  { method: 'POST', route: '/api/journeys/{id}/resume', path: (a) => `/api/journeys/${a.journeyId}/resume`, expect: 'not_found' },
];

/** A journey on a form's submissions that sends one email under the a-secret-topic topic. */
function journeyDefinition(templateId: string, formId: string) {
  return {
    trigger: { type: 'form_submitted', formId },
    start: 'hello',
    nodes: [
      { id: 'hello', type: 'send', templateId, topic: 'a-secret-topic', next: 'bye' },
      { id: 'bye', type: 'exit' },
    ],
  };
}

function isolationTemplate(blocks: unknown[] = []) {
  const body = '<p>{{ contact.lastName }} <a href="{{ unsubscribe_url }}">stop</a></p>';
  return { format: 'html', defaultLocale: 'ja', locales: { ja: { subject: 'a-secret-template', body } }, blocks };
}

describe('workspace isolation', () => {
  it('covers every route of the OpenAPI document', async () => {
    const app = createTestApp(database.current);
    const doc = await (await app.request('/api/openapi.json')).json();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const covered = new Set(CASES.map((c) => `${c.method} ${c.route}`));
    expect(documented.filter((route) => !covered.has(route))).toEqual([]);
  });

  // Workspace A is seeded once for every case (seeding is most of a case's time): each case checks
  // A is exactly as it was before B's request, so a case that changed A still fails on its own.
  // Each case gets a new workspace B, so what one case creates in B cannot answer for another.
  let shared: { app: ReturnType<typeof createTestApp>; a: Awaited<ReturnType<typeof createTestWorkspace>>; ids: AIds } | undefined;
  const seededA = async () => {
    if (!shared) {
      const app = createTestApp(database.current, { mail: { mailer: transport, devMailbox: sink.mailbox } });
      const a = await createTestWorkspace(database.current, app.clock, 'A');
      shared = { app, a, ids: await seedWorkspaceA(app, a.adminKey, a.writeKey, a.workspaceId) };
    }
    return shared;
  };

  it.each(CASES)('$method $route: a key of workspace B never reaches workspace A', async (testCase) => {
    const { app, a, ids } = await seededA();
    const b = await createTestWorkspace(database.current, app.clock, 'B');
    const before = await snapshotA(a.workspaceId);

    const body = testCase.body?.();
    const res = await app.request(testCase.path(ids), {
      method: testCase.method,
      key: testCase.writeKey ? b.writeKey : b.adminKey,
      json: testCase.json?.(ids),
      body: body?.body,
      headers: body?.headers,
    });
    const text = await res.text();
    const expected = { not_found: [404], rejected: [400], invisible: [200, 201, 202], forbidden: [403] }[testCase.expect];
    expect(expected, text).toContain(res.status);
    // Nothing of A may come back, except what B itself sent (a 404 may repeat the id it was asked for).
    const sent = `${testCase.path(ids)} ${JSON.stringify(testCase.json?.(ids) ?? '')}`;
    for (const secret of [
      ids.contactId,
      ids.companyId,
      ids.keyId,
      ids.importId,
      'a-secret@example.com',
      'a-imported@example.com',
      'Isolation Inc',
      'a_secret_field',
      ids.segmentId,
      ids.listId,
      'a-secret-segment',
      'a-secret-list',
      ids.modelId,
      'a-secret-model',
      'a-secret-rule',
      ids.taskId,
      'a-secret-task',
      'a-secret-owner@example.com',
      ids.webhookId,
      ids.webhookSecret,
      'a-secret-hook',
      ids.templateId,
      'a-secret-template',
      ids.mailId,
      'a-secret-mail',
      ids.topicId,
      ids.suppressionId,
      'a-secret-topic',
      '+819099990000',
      ids.campaignId,
      'a-secret-campaign',
      ids.deliveryId,
      'a-secret-delivery',
      '22:11',
      ids.journeyId,
      'a-secret-journey',
      ids.workspaceId,
      'a-secret-workspace',
    ]) {
      if (!sent.includes(secret)) expect(text).not.toContain(secret);
    }
    await app.drainJobs();
    expect(await snapshotA(a.workspaceId)).toEqual(before);
  });

  it('B’s own lists and segments cannot take in A’s contacts, lists or segments', async () => {
    const app = createTestApp(database.current);
    const a = await createTestWorkspace(database.current, app.clock, 'A');
    const b = await createTestWorkspace(database.current, app.clock, 'B');
    const ids = await seedWorkspaceA(app, a.adminKey, a.writeKey, a.workspaceId);
    // The seed has something to leak: A's segment and list each hold A's contact.
    expect(await (await app.request(`/api/segments/${ids.segmentId}`, { key: a.adminKey })).json()).toMatchObject({ members: 1 });
    expect(await (await app.request(`/api/lists/${ids.listId}`, { key: a.adminKey })).json()).toMatchObject({ members: 1 });

    const list = await (await app.request('/api/lists', { key: b.adminKey, json: { name: 'B list' } })).json();
    const added = await app.request(`/api/lists/${list.id}/members`, {
      key: b.adminKey,
      json: { contactIds: [ids.contactId], emails: ['a-secret@example.com'] },
    });
    expect(added.status).toBe(400);
    expect((await added.json()).errors.map((e: { path: string }) => e.path)).toEqual(['contactIds.0', 'emails.0']);
    const csv = await app.request(`/api/lists/${list.id}/members.csv?action=add`, {
      key: b.adminKey,
      body: `id\n${ids.contactId}\n`,
      headers: { 'content-type': 'text/csv' },
    });
    expect(await csv.json()).toMatchObject({ changed: 0, skipped: [{ line: 2 }] });

    const definition = { condition: { type: 'list', listId: list.id } };
    const segment = await (await app.request('/api/segments', { key: b.adminKey, json: { name: 'B segment', definition } })).json();
    const patched = await app.request(`/api/segments/${segment.id}`, {
      method: 'PATCH',
      key: b.adminKey,
      json: { definition: { condition: { type: 'segment', segmentId: ids.segmentId } } },
    });
    expect(patched.status).toBe(400);
    expect((await patched.json()).errors.map((e: { path: string }) => e.path)).toEqual(['definition.condition.segmentId']);
  });

  it('B’s journeys cannot send A’s templates, start on A’s forms or name A’s topics', async () => {
    const app = createTestApp(database.current);
    const a = await createTestWorkspace(database.current, app.clock, 'A');
    const b = await createTestWorkspace(database.current, app.clock, 'B');
    const ids = await seedWorkspaceA(app, a.adminKey, a.writeKey, a.workspaceId);
    expect(await (await app.request(`/api/journeys/${ids.journeyId}`, { key: a.adminKey })).json()).toMatchObject({ status: 'active' });

    const definition = journeyDefinition(ids.templateId, ids.formId);
    const journey = await (await app.request('/api/journeys', { key: b.adminKey, json: { name: 'B journey', definition } })).json();
    const published = await app.request(`/api/journeys/${journey.id}/publish`, { key: b.adminKey, method: 'POST' });
    expect(published.status).toBe(400);
    expect((await published.json()).errors.map((e: { path: string }) => e.path)).toEqual([
      'draft.trigger.formId',
      'draft.nodes.0.templateId',
      'draft.nodes.0.topic',
    ]);
  });
});

async function seedWorkspaceA(app: ReturnType<typeof createTestApp>, key: string, writeKey: string, workspaceId: string): Promise<AIds> {
  const company = await (await app.request('/api/companies', { key, json: { name: 'Isolation Inc', domain: 'a-secret.example' } })).json();
  const contact = await (
    await app.request('/api/contacts', { key, json: { email: 'a-secret@example.com', lastName: 'Isolation', companyId: company.id } })
  ).json();
  await app.request('/api/custom-fields', { key, json: { key: 'a_secret_field', label: 'secret', type: 'text' } });
  const apiKey = await (await app.request('/api/keys', { key, json: { name: 'a reader', scope: 'read' } })).json();
  const upload = await (
    await app.request('/api/imports?filename=a.csv', {
      key,
      body: 'email\na-imported@example.com\n',
      headers: { 'content-type': 'text/csv' },
    })
  ).json();
  await app.drainJobs();
  const track = { userId: 'a-user', anonymousId: 'a-anon', event: 'Secret Viewed', traits: { email: 'a-secret@example.com' } };
  await app.request('/v1/identify', { key: writeKey, json: track });
  await app.request('/v1/track', { key: writeKey, json: track });
  const form = await (
    await app.request('/api/forms', { key, json: { name: 'Isolation form', fields: [{ key: 'email', label: 'E' }] } })
  ).json();
  const list = await (await app.request('/api/lists', { key, json: { name: 'a-secret-list' } })).json();
  await app.request(`/api/lists/${list.id}/members`, { key, json: { contactIds: [contact.id] } });
  const definition = { condition: { type: 'field', field: 'lastName', operator: 'eq', value: 'Isolation' } };
  const segment = await (await app.request('/api/segments', { key, json: { name: 'a-secret-segment', definition } })).json();
  await app.request(`/api/segments/${segment.id}/publish`, { key, method: 'POST' });
  const model = await (
    await app.request('/api/scoring-models', {
      key,
      json: {
        name: 'a-secret-model',
        definition: {
          rules: [{ id: 'secret', label: 'a-secret-rule', kind: 'behavior', event: 'Secret Viewed', points: 7 }],
          bands: [{ name: 'All', min: 0 }],
        },
      },
    })
  ).json();
  await app.request(`/api/scoring-models/${model.id}/publish`, { key, method: 'POST' });
  const task = await (
    await app.request('/api/tasks', { key, json: { contactId: contact.id, owner: 'a-secret-owner@example.com', title: 'a-secret-task' } })
  ).json();
  // Subscribed to a kind the seed never raises, at a port that refuses: nothing is ever sent.
  const webhook = await (
    await app.request('/api/webhooks', { key, json: { url: 'http://127.0.0.1:9/a-secret-hook', kinds: ['handoff.sla_breached'] } })
  ).json();
  const template = await (
    await app.request('/api/templates', { key, json: { name: 'a-secret-template', definition: isolationTemplate() } })
  ).json();
  await app.request(`/api/templates/${template.id}/publish`, { key, method: 'POST' });
  const topic = await (await app.request('/api/topics', { key, json: { key: 'a-secret-topic', nameJa: 'a', nameEn: 'a' } })).json();
  await app.request(`/api/contacts/${contact.id}/preferences`, { key, method: 'PUT', json: { topics: { 'a-secret-topic': false } } });
  const suppression = await (await app.request('/api/suppressions', { key, json: { email: 'a-secret@example.com' } })).json();
  await app.request('/api/sms/opt-outs', { key, json: { phone: '+819099990000' } });
  const campaign = await (
    await app.request('/api/campaigns', {
      key,
      json: { name: 'a-secret-campaign', definition: { templateId: template.id, audience: { listId: list.id } } },
    })
  ).json();
  await app.request('/api/sending-settings', { key, method: 'PUT', json: { quietHours: { start: '22:11', end: '07:13' } } });
  await app.request('/api/workspace', { key, method: 'PATCH', json: { name: 'a-secret-workspace' } });
  const journey = await (
    await app.request('/api/journeys', { key, json: { name: 'a-secret-journey', definition: journeyDefinition(template.id, form.id) } })
  ).json();
  await app.request(`/api/journeys/${journey.id}/publish`, { key, method: 'POST' });
  await enqueueDeliveries(
    database.current.db,
    [
      {
        workspaceId,
        contactId: contact.id,
        channel: 'email',
        kind: 'transactional',
        source: 'a-secret-delivery',
        content: { subject: 'a-secret-mail', html: '<p>x</p>', text: 'x' },
        dueAt: new Date('2100-01-01T00:00:00Z'),
      },
    ],
    app.clock.now(),
  );
  const delivery = await database.current.db
    .selectFrom('deliveries')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  await app.drainJobs();
  await transport.sendMail({ workspaceId, to: 'a-secret@example.com', subject: 'a-secret-mail', text: 'a-secret-mail' });
  const [mail] = await sink.waitFor(1, { workspaceId });
  return {
    contactId: contact.id,
    companyId: company.id,
    keyId: apiKey.id,
    importId: upload.id,
    formId: form.id,
    segmentId: segment.id,
    listId: list.id,
    modelId: model.id,
    taskId: task.id,
    webhookId: webhook.id,
    webhookSecret: webhook.secret,
    templateId: template.id,
    mailId: mail!.id,
    topicId: topic.id,
    suppressionId: suppression.id,
    campaignId: campaign.id,
    deliveryId: delivery.id,
    journeyId: journey.id,
    workspaceId,
  };
}

async function snapshotA(workspaceId: string) {
  const { db } = database.current;
  const of = async (
    table:
      | 'contacts'
      | 'companies'
      | 'custom_fields'
      | 'api_keys'
      | 'imports'
      | 'events'
      | 'contact_anonymous_ids'
      | 'forms'
      | 'segments'
      | 'segment_members'
      | 'lists'
      | 'list_members'
      | 'scoring_models'
      | 'contact_scores'
      | 'score_ledger'
      | 'lifecycle_transitions'
      | 'tasks'
      | 'webhook_endpoints'
      | 'webhook_deliveries'
      | 'templates'
      | 'suppressions'
      | 'subscription_topics'
      | 'topic_preferences'
      | 'contact_preferences'
      | 'sms_opt_outs'
      | 'campaigns'
      | 'deliveries'
      | 'sending_settings'
      | 'journeys'
      | 'journey_event_keys'
      | 'journey_enrolments',
  ) => (await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId}`.execute(db)).rows;
  const strip = (rows: Record<string, unknown>[]) =>
    rows.map(({ last_used_at: _, ...row }) => row).sort((x, y) => String(x.id ?? x.key).localeCompare(String(y.id ?? y.key)));
  return {
    contacts: strip(await of('contacts')),
    companies: strip(await of('companies')),
    customFields: strip(await of('custom_fields')),
    keys: strip(await of('api_keys')),
    imports: strip(await of('imports')),
    events: (await of('events')).length,
    anonymousIds: strip(await of('contact_anonymous_ids')),
    forms: strip(await of('forms')),
    segments: strip(await of('segments')),
    segmentMembers: (await of('segment_members')).map((row) => JSON.stringify(row)).sort(),
    lists: strip(await of('lists')),
    listMembers: (await of('list_members')).map((row) => JSON.stringify(row)).sort(),
    scoringModels: strip(await of('scoring_models')),
    contactScores: (await of('contact_scores')).map((row) => JSON.stringify(row)).sort(),
    scoreLedger: (await of('score_ledger')).length,
    transitions: (await of('lifecycle_transitions')).length,
    tasks: strip(await of('tasks')),
    webhooks: strip(await of('webhook_endpoints')),
    webhookDeliveries: strip(await of('webhook_deliveries')),
    templates: strip(await of('templates')),
    suppressions: strip(await of('suppressions')),
    topics: strip(await of('subscription_topics')),
    topicPreferences: (await of('topic_preferences')).map((row) => JSON.stringify(row)).sort(),
    contactPreferences: (await of('contact_preferences')).map((row) => JSON.stringify(row)).sort(),
    smsOptOuts: strip(await of('sms_opt_outs')),
    campaigns: strip(await of('campaigns')),
    deliveries: strip(await of('deliveries')),
    sendingSettings: (await of('sending_settings')).map((row) => JSON.stringify(row)),
    workspace: (await sql<Record<string, unknown>>`SELECT * FROM workspaces WHERE id = ${workspaceId}`.execute(db)).rows,
    journeys: strip(await of('journeys')),
    journeyEventKeys: (await of('journey_event_keys')).map((row) => JSON.stringify(row)).sort(),
    journeyEnrolments: strip(await of('journey_enrolments')),
    mail: sink.list({ workspaceId }).map((m) => m.id),
  };
}

import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { CaughtMail, Mailbox } from '../../messaging/smtp/mailbox.ts';
import { KizunaError, notFound } from '../../platform/errors.ts';
import type { AppEnv, ServerDeps } from '../deps.ts';
import { jsonResponse, jsonRoute, ws, ZId } from '../openapi-helpers.ts';

const tags = ['Dev mail'];

const ZDevMailSummary = z
  .object({
    id: z.uuid(),
    envelope: z.object({ from: z.string().nullable(), to: z.array(z.string()) }),
    messageId: z.string().nullable(),
    from: z.string(),
    to: z.string(),
    subject: z.string(),
    date: z.string().nullable(),
    receivedAt: z.string(),
    sizeBytes: z.number().int(),
  })
  .openapi('DevMailSummary');

const ZDevMail = ZDevMailSummary.extend({
  text: z.string().nullable(),
  html: z.string().nullable(),
  headers: z
    .record(z.string(), z.array(z.string()))
    .openapi({ description: 'Every header line by lower-cased name, unfolded, as sent (encoded words not decoded).' }),
}).openapi('DevMail');

const ZDevMailQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50).openapi({ description: 'At most this many messages (1–1000).' }),
});

/** The dev sink's mailbox, seen through the caller's workspace: mail Kizuna "sent" in sink mode. */
export function devMailRoutes(deps: ServerDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/',
      summary: 'Mail caught by the dev SMTP sink for this workspace, newest first (sink mode only)',
      tags,
      request: { query: ZDevMailQuery },
      responses: { 200: jsonResponse(z.object({ items: z.array(ZDevMailSummary) }), 'The messages, newest first') },
    }),
    (c) => {
      const items = mailboxOf(deps).list({ workspaceId: ws(c), limit: c.req.valid('query').limit });
      return c.json({ items: items.map(summary) }, 200);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'get',
      path: '/{id}',
      summary: 'One caught message with its text, HTML and headers (sink mode only)',
      tags,
      request: { params: ZId },
      responses: { 200: jsonResponse(ZDevMail, 'The message') },
    }),
    (c) => {
      const { id } = c.req.valid('param');
      const mail = mailboxOf(deps).get(id);
      if (!mail || mail.workspaceId !== ws(c)) throw notFound('caught message', id);
      const { workspaceId: _, ...rest } = mail;
      return c.json({ ...rest, headers: { ...rest.headers } }, 200);
    },
  );
  app.openapi(
    jsonRoute({
      method: 'delete',
      path: '/',
      summary: 'Forget this workspace’s caught mail (sink mode only)',
      tags,
      responses: { 200: jsonResponse(z.object({ deleted: z.number().int() }), 'How many messages were forgotten') },
    }),
    (c) => c.json({ deleted: mailboxOf(deps).clear({ workspaceId: ws(c) }) }, 200),
  );
  return app;
}

function mailboxOf(deps: ServerDeps): Mailbox {
  if (deps.devMailbox) return deps.devMailbox;
  throw new KizunaError(
    'not_found',
    deps.config.mailMode === 'smtp'
      ? 'the dev mailbox exists only in sink mode; KIZUNA_MAIL_MODE is smtp, so mail goes to KIZUNA_SMTP_HOST'
      : 'the dev mailbox exists only in sink mode, in the process that runs the sink ("kizuna start")',
  );
}

function summary({ id, envelope, messageId, from, to, subject, date, receivedAt, sizeBytes }: CaughtMail) {
  return { id, envelope, messageId, from, to, subject, date, receivedAt, sizeBytes };
}

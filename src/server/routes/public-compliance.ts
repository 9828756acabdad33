import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createPartitionCache } from '../../events/event-partitions.ts';
import type { ComplianceDeps } from '../../messaging/compliance/compliance-event.ts';
import { confirmOptIn, findConfirmation, resubscribe } from '../../messaging/compliance/opt-in.ts';
import {
  type ContactPreferences,
  getPreferences,
  unsubscribeAll,
  unsubscribeTopic,
  updatePreferences,
} from '../../messaging/compliance/preferences.ts';
import {
  type PageLocale,
  renderConfirmPage,
  renderInvalidLinkPage,
  renderMessagePage,
  renderPreferencePage,
} from '../../messaging/compliance/render-pages.ts';
import { COMPLIANCE_SECRET, type TokenPurpose, verifyUnsubscribeToken } from '../../messaging/compliance/unsubscribe-token.ts';
import { KizunaError } from '../../platform/errors.ts';
import { instanceSecret } from '../../platform/instance-secret.ts';
import { clientIp } from '../client-ip.ts';
import type { ServerDeps } from '../deps.ts';
import { createRateLimiter } from '../rate-limiter.ts';

/**
 * The public side of compliance, no API key or cookie: `/u/{token}` (a GET shows the preference
 * page; a POST is the RFC 8058 one-click unsubscribe), `/u/{token}/preferences` (the page's
 * form) and `/confirm/{token}` (a GET shows the double opt-in's button; only the POST confirms).
 * Link scanners prefetch GETs, so no GET changes anything.
 */
export function publicComplianceRoutes(deps: ServerDeps) {
  const app = new Hono();
  const compliance: ComplianceDeps = { clock: deps.clock, partitions: createPartitionCache() };
  // Per token, never per address: a mailbox provider POSTs every one-click from a few addresses.
  const limiter = createRateLimiter({ perSecond: 20 / 60, burst: 20, clock: deps.clock });
  let secret: Promise<Buffer> | undefined;
  const secretOf = () => {
    secret ??= instanceSecret(deps.db, COMPLIANCE_SECRET, deps.clock);
    return secret;
  };
  const links = async () => ({ publicUrl: deps.config.publicUrl, secret: await secretOf() });

  for (const path of ['/u/*', '/confirm/*']) {
    app.use(path, async (c, next) => {
      await next();
      c.header('cache-control', 'no-store');
      c.header('x-robots-tag', 'noindex');
      c.header('referrer-policy', 'no-referrer');
    });
    app.use(path, bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('a request to this page may be at most 16 KB', 413) }));
    app.use(path, async (c, next) => {
      const token = c.req.path.split('/')[2] ?? '';
      const taken = limiter.take(token, 1);
      if (!taken.ok) return c.text('too many requests; try again in a minute', 429, { 'retry-after': String(taken.retryAfterSeconds) });
      await next();
    });
  }

  const claimsOf = async (c: Context, purpose: TokenPurpose) =>
    verifyUnsubscribeToken(c.req.param('token') ?? '', purpose, await secretOf());
  const invalid = (c: Context) => c.html(renderInvalidLinkPage(), 400);

  app.get('/u/:token', async (c) => {
    const claims = await claimsOf(c, 'preferences');
    if (!claims) return invalid(c);
    const prefs = await preferencesOf(deps, claims.workspaceId, claims.contactId);
    if (!prefs) return c.html(renderMessagePage(await workspaceLocale(deps, claims.workspaceId), 'doneTitle', 'done'));
    return c.html(renderPreferencePage({ token: c.req.param('token'), prefs }));
  });

  // RFC 8058: the body is "List-Unsubscribe=One-Click" (form-encoded or multipart), or empty from
  // the page's own button. Either way the token alone decides, so the body is not read.
  app.post('/u/:token', async (c) => {
    const claims = await claimsOf(c, 'preferences');
    if (!claims) return invalid(c);
    const base = { ...claims, source: 'one_click', ip: clientIp(c) };
    if (claims.topic) await unsubscribeTopic(deps.db, { ...base, topic: claims.topic }, compliance);
    else await unsubscribeAll(deps.db, base, compliance);
    const locale = (await preferencesOf(deps, claims.workspaceId, claims.contactId))?.locale ?? 'ja';
    return c.html(renderMessagePage(locale, 'doneTitle', claims.topic ? 'topicDone' : 'done', `/u/${c.req.param('token')}`));
  });

  app.post('/u/:token/preferences', async (c) => {
    const claims = await claimsOf(c, 'preferences');
    if (!claims) return invalid(c);
    const prefs = await preferencesOf(deps, claims.workspaceId, claims.contactId);
    if (!prefs) return invalid(c);
    const form = await c.req.parseBody({ all: true });
    const ip = clientIp(c);
    const { workspaceId, contactId } = claims;
    if (form.action === 'resubscribe') {
      const topics = prefs.topics.filter((t) => t.subscribed).map((t) => t.key);
      const result = await resubscribe(
        deps.db,
        { workspaceId, contactId, topics, source: 'preference_center', ip },
        await links(),
        compliance,
      );
      // The confirmation mail is the sending pipeline's to send (it reads pending confirmations).
      if (result.status === 'pending') return c.html(renderMessagePage(prefs.locale, 'confirmTitle', 'pending'));
    } else {
      const checked = new Set([form.topic ?? []].flat().map(String));
      const frequency = typeof form.frequency === 'string' ? form.frequency : undefined;
      const input = { frequency, topics: Object.fromEntries(prefs.topics.map((t) => [t.key, checked.has(t.key)])) };
      await updatePreferences(deps.db, { workspaceId, contactId, input, source: 'preference_center', ip }, compliance);
    }
    const after = (await preferencesOf(deps, workspaceId, contactId)) ?? prefs;
    return c.html(renderPreferencePage({ token: c.req.param('token'), prefs: after, notice: 'saved' }));
  });

  app.get('/confirm/:token', async (c) => {
    const claims = await claimsOf(c, 'confirm');
    if (!claims) return invalid(c);
    const row = await findConfirmation(deps.db, claims).catch(() => undefined);
    if (!row) return invalid(c);
    const locale = (await preferencesOf(deps, claims.workspaceId, claims.contactId))?.locale ?? 'ja';
    if (row.confirmed_at) return c.html(renderMessagePage(locale, 'confirmTitle', 'alreadyConfirmed'));
    return c.html(renderConfirmPage({ token: c.req.param('token'), locale, wording: row.wording }));
  });

  app.post('/confirm/:token', async (c) => {
    const claims = await claimsOf(c, 'confirm');
    if (!claims) return invalid(c);
    const outcome = await confirmOptIn(deps.db, { claims, ip: clientIp(c) }, compliance).catch((error: unknown) => {
      if (error instanceof KizunaError && error.code === 'not_found') return undefined;
      throw error;
    });
    if (!outcome) return invalid(c);
    const locale = (await preferencesOf(deps, claims.workspaceId, claims.contactId))?.locale ?? 'ja';
    const message = outcome === 'confirmed' ? 'confirmed' : outcome === 'expired' ? 'expired' : 'alreadyConfirmed';
    return c.html(renderMessagePage(locale, 'confirmTitle', message), outcome === 'expired' ? 410 : 200);
  });
  return app;
}

/** The contact's preferences, or undefined when the contact was deleted since the mail went out. */
async function preferencesOf(deps: ServerDeps, workspaceId: string, contactId: string): Promise<ContactPreferences | undefined> {
  try {
    return await getPreferences(deps.db, workspaceId, contactId);
  } catch (error) {
    if (error instanceof KizunaError && error.code === 'not_found') return undefined;
    throw error;
  }
}

async function workspaceLocale(deps: ServerDeps, workspaceId: string): Promise<PageLocale> {
  const row = await deps.db.selectFrom('workspaces').select('locale').where('id', '=', workspaceId).executeTakeFirst();
  return row?.locale.toLowerCase().startsWith('ja') === false ? 'en' : 'ja';
}

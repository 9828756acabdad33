import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { invalidInput } from '../../platform/errors.ts';
import { type ComplianceDeps, complianceUnitOfWork } from '../compliance/compliance-event.ts';
import { type SmsKeywordAction, smsKeyword } from './keywords.ts';
import { liftOptOutIn, optOutIn } from './opt-out.ts';
import { keywordReply, twiml } from './replies.ts';
import type { FormParams } from './signature.ts';
import { smsWorkspace, toE164 } from './sms-workspace.ts';
import { formParam, requiredParam } from './webhook-params.ts';

export interface InboundResult {
  /** What the message asked for, or null for any other text (nothing is done, nothing is replied). */
  action: SmsKeywordAction | null;
  /** The TwiML document to answer the provider with. */
  twiml: string;
}

/**
 * Handles a text someone sent to our number (verified webhook parameters From, To, Body,
 * MessageSid): STOP and its synonyms opt the number out of every SMS of the workspace, START lifts
 * that, HELP is answered; each is confirmed by a reply in the workspace's language. A provider
 * retrying the webhook gets the same reply and writes nothing twice.
 * @example const { twiml } = await handleInboundSms(db, { workspaceId, params }, deps)
 */
export async function handleInboundSms(
  db: Kysely<DB>,
  { workspaceId, params }: { workspaceId: string; params: FormParams },
  deps: ComplianceDeps,
): Promise<InboundResult> {
  const from = requiredParam(params, 'From', 'the sender’s number, e.g. +819012345678');
  const workspace = await smsWorkspace(db, workspaceId);
  const matched = smsKeyword(formParam(params, 'Body'));
  if (!matched) return { action: null, twiml: twiml() };
  const reply = twiml(keywordReply(matched.action, workspace.locale, workspace.name));
  if (matched.action === 'help') return { action: 'help', twiml: reply };
  const phone = toE164(from, workspace.defaultRegion);
  // A short code or an alphanumeric sender cannot opt out of anything we send: we only text numbers.
  if (!phone) throw invalidInput([{ path: 'From', message: `"${from}" is not a phone number: expected e.g. +819012345678` }]);
  const messageSid = formParam(params, 'MessageSid')?.trim() || null;
  await complianceUnitOfWork(db, deps, async (tx, now) => {
    if (matched.action === 'opt_out')
      await optOutIn(tx, { workspaceId, phone, source: 'inbound', keyword: matched.keyword, messageSid }, now);
    else await liftOptOutIn(tx, { workspaceId, phone, by: `inbound:${matched.keyword}`, keyword: matched.keyword }, now);
  });
  return { action: matched.action, twiml: reply };
}

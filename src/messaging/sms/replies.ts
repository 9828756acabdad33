import { escapeHtml } from '../../platform/escape-html.ts';
import type { SmsKeywordAction } from './keywords.ts';
import type { SmsLocale } from './sms-workspace.ts';

// Each reply names the keywords that undo it: carriers expect the STOP confirmation to say how to
// come back, and HELP to say who is texting and how to stop.
const REPLIES: Record<SmsLocale, Record<SmsKeywordAction, (sender: string) => string>> = {
  ja: {
    opt_out: (sender) => `${sender}からのSMS配信を停止しました。今後は届きません。再開するには「再開」と返信してください。`,
    opt_in: (sender) => `${sender}からのSMS配信を再開しました。停止するには「停止」と返信してください。`,
    help: (sender) => `${sender}からのSMSです。配信停止は「停止」、再開は「再開」と返信してください。`,
  },
  en: {
    opt_out: (sender) => `You will no longer receive texts from ${sender}. Reply START to resubscribe.`,
    opt_in: (sender) => `You will receive texts from ${sender} again. Reply STOP to unsubscribe.`,
    help: (sender) => `Texts from ${sender}. Reply STOP to unsubscribe, START to resubscribe.`,
  },
};

/** The text answering a keyword, in the workspace's language. */
export function keywordReply(action: SmsKeywordAction, locale: SmsLocale, sender: string): string {
  return REPLIES[locale][action](sender);
}

/**
 * A TwiML document: the provider texts `message` back to the sender, or nothing when it is absent.
 * @example twiml('Reply STOP to unsubscribe.') // '<?xml …?><Response><Message>Reply STOP to unsubscribe.</Message></Response>'
 */
export function twiml(message?: string): string {
  const body = message === undefined ? '<Response/>' : `<Response><Message>${escapeHtml(message)}</Message></Response>`;
  return `<?xml version="1.0" encoding="UTF-8"?>${body}`;
}

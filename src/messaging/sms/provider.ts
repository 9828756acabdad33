import type { Config } from '../../platform/config.ts';
import { KizunaError } from '../../platform/errors.ts';

/** One text to one number, as Kizuna hands it to the provider. */
export interface OutgoingSms {
  /** E.164. */
  to: string;
  body: string;
  /** Defaults to the provider's configured sender. */
  from?: string;
  /** Where the provider reports delivered / undelivered / failed (see status-callback.ts). */
  statusCallback?: string;
}

export interface SentSms {
  /** The provider's message id (Twilio: SM…); status callbacks name it. */
  sid: string;
  /** The provider's first status, usually queued or accepted. */
  status: string;
}

/** The port the rest of Kizuna sends SMS through. */
export interface SmsProvider {
  send(sms: OutgoingSms): Promise<SentSms>;
}

/**
 * A send the provider refused or that could not be made. `permanent`: sending the same text to the
 * same number again will fail the same way (invalid or unreachable number, an opted-out recipient);
 * otherwise it may succeed later (rate limit, provider outage, network, timeout, credentials being fixed).
 */
export class SmsSendError extends Error {
  readonly permanent: boolean;
  /** The provider's error code (Twilio: 21211 invalid To, 21610 unsubscribed recipient…), when it gave one. */
  readonly code: number | null;
  /** The HTTP status, or null when no answer came. */
  readonly status: number | null;
  /**
   * No answer came after the request may have reached the provider (a timeout, a connection lost
   * mid-request): the text may be out, and a retry may send it twice.
   */
  readonly maybeSent: boolean;
  constructor(
    message: string,
    {
      permanent,
      code = null,
      status = null,
      maybeSent = false,
    }: { permanent: boolean; code?: number | null; status?: number | null; maybeSent?: boolean },
  ) {
    super(message);
    this.name = 'SmsSendError';
    this.permanent = permanent;
    this.code = code;
    this.status = status;
    this.maybeSent = maybeSent;
  }
}

/** Twilio's "the recipient replied STOP to this sender": the number must be treated as opted out. */
export const PROVIDER_OPT_OUT_CODE = 21610;

export interface SmsProviderOptions {
  /** e.g. https://api.twilio.com; the API version path is added. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** A number (E.164), an alphanumeric sender ID, or a messaging service (MG…). */
  from: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// Failures before a connection existed: the request cannot have reached the provider.
const NOT_CONNECTED: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * An SMS provider speaking Twilio's Messages API: a form POST to
 * `{baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json` with HTTP Basic auth.
 * @example const provider = createSmsProvider({ baseUrl: 'https://api.twilio.com', accountSid, authToken, from: '+815012345678' })
 */
export function createSmsProvider({
  baseUrl,
  accountSid,
  authToken,
  from,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  fetch: fetchImpl = fetch,
}: SmsProviderOptions): SmsProvider {
  const endpoint = `${baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  return {
    send: async (sms) => {
      const sender = sms.from ?? from;
      const form = new URLSearchParams({ To: sms.to, Body: sms.body });
      // A messaging service picks the sender itself (number pool, alphanumeric ID per country).
      form.set(/^MG[0-9a-f]{32}$/i.test(sender) ? 'MessagingServiceSid' : 'From', sender);
      if (sms.statusCallback) form.set('StatusCallback', sms.statusCallback);
      let response: Response;
      try {
        response = await fetchImpl(endpoint, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: form.toString(),
          // A redirect would resend the credentials elsewhere.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        // No answer. Retryable, but the API has no idempotency key: unless the connection never
        // opened, the provider may have taken the message, and the caller decides whether a
        // possible duplicate is worse than a possible loss.
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        const what = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error).message;
        throw new SmsSendError(`the SMS provider could not be reached: ${[what, cause].filter(Boolean).join(': ')}`, {
          permanent: false,
          maybeSent: !NOT_CONNECTED.has(cause ?? ''),
        });
      }
      const answer = await readJson(response);
      if (response.ok) {
        const sid = typeof answer?.sid === 'string' ? answer.sid : '';
        // Taken but unidentifiable: a retry would text the person twice, so this is final.
        if (!sid) throw new SmsSendError(`the SMS provider answered HTTP ${response.status} without a message sid`, { permanent: true });
        return { sid, status: typeof answer?.status === 'string' ? answer.status : 'queued' };
      }
      throw refusal(response.status, answer);
    },
  };
}

/**
 * The configured provider, or undefined when SMS is not configured at all (KIZUNA_SMS_BASE_URL
 * unset). Half a configuration is an error that names what is missing.
 */
export function smsProviderFromConfig(
  config: Pick<Config, 'smsBaseUrl' | 'smsAccountSid' | 'smsAuthToken' | 'smsFrom'>,
  fetchImpl?: typeof fetch,
): SmsProvider | undefined {
  const { smsBaseUrl, smsAccountSid, smsAuthToken, smsFrom } = config;
  if (!smsBaseUrl) return undefined;
  const missing = [
    ['KIZUNA_SMS_ACCOUNT_SID', smsAccountSid],
    ['KIZUNA_SMS_AUTH_TOKEN', smsAuthToken],
    ['KIZUNA_SMS_FROM', smsFrom],
  ].filter(([, value]) => !value);
  if (missing.length > 0)
    throw new KizunaError('config_invalid', `KIZUNA_SMS_BASE_URL is set, so ${missing.map(([name]) => name).join(', ')} must be set too`);
  return createSmsProvider({ baseUrl: smsBaseUrl, accountSid: smsAccountSid!, authToken: smsAuthToken!, from: smsFrom!, fetch: fetchImpl });
}

/**
 * Classifies a refusal. 429 and 5xx pass; 401 and 404 mean our credentials or base URL are wrong,
 * which an operator fixes while messages wait, so they are retried too. Any other 4xx is about this
 * message (Twilio 21211 invalid number, 21614 not a mobile, 21612 unreachable, 21610 opted out…)
 * and is permanent.
 */
function refusal(status: number, answer: Record<string, unknown> | undefined): SmsSendError {
  const code = typeof answer?.code === 'number' ? answer.code : null;
  const said = typeof answer?.message === 'string' ? answer.message : '';
  const detail = `HTTP ${status}${code !== null ? ` (code ${code})` : ''}${said ? `: ${said}` : ''}`;
  if (status === 401)
    return new SmsSendError(`the SMS provider refused our credentials (KIZUNA_SMS_ACCOUNT_SID, KIZUNA_SMS_AUTH_TOKEN): ${detail}`, {
      permanent: false,
      code,
      status,
    });
  if (status === 404)
    return new SmsSendError(
      `the SMS provider does not know this account or API path (KIZUNA_SMS_BASE_URL, KIZUNA_SMS_ACCOUNT_SID): ${detail}`,
      {
        permanent: false,
        code,
        status,
      },
    );
  const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
  return new SmsSendError(`the SMS provider refused the message: ${detail}`, { permanent, code, status });
}

/** The answer as a JSON object, or undefined when it is not one (an HTML error page from a proxy). */
async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await response.text());
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

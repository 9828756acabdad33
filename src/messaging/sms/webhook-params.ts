import { invalidInput, KizunaError } from '../../platform/errors.ts';
import { type FormParams, verifyTwilioSignature } from './signature.ts';

/**
 * The form parameters of a provider webhook, once its X-Twilio-Signature proves the provider sent
 * it; forbidden otherwise, before anything is read or written. Without an auth token configured
 * nothing can be verified, so every webhook is refused.
 * @param url the address the provider was given: the public URL, the path and the query as received.
 */
export function signedWebhookParams({
  authToken,
  url,
  body,
  signature,
}: {
  authToken: string | undefined;
  url: string;
  body: string;
  signature: string | undefined;
}): FormParams {
  if (!authToken) throw new KizunaError('forbidden', 'SMS webhooks are refused: KIZUNA_SMS_AUTH_TOKEN is not set, so none can be verified');
  const params = [...new URLSearchParams(body)];
  if (!signature) throw new KizunaError('forbidden', 'missing X-Twilio-Signature header: only the SMS provider may call this URL');
  if (!verifyTwilioSignature({ authToken, url, params, signature }))
    throw new KizunaError(
      'forbidden',
      'X-Twilio-Signature does not match this request: check that KIZUNA_PUBLIC_URL is the address configured at the provider',
    );
  return params;
}

/** A parameter's first value, or undefined. */
export function formParam(params: FormParams, name: string): string | undefined {
  return params.find(([key]) => key === name)?.[1];
}

/** A parameter that must be present and not blank; invalid_input naming it otherwise. */
export function requiredParam(params: FormParams, name: string, expected: string): string {
  const value = formParam(params, name)?.trim();
  if (!value) throw invalidInput([{ path: name, message: `required: ${expected}` }]);
  return value;
}

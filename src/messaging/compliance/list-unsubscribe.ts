import { signMailtoToken, signUnsubscribeToken, type UnsubscribeClaims } from './unsubscribe-token.ts';

export interface ListUnsubscribeHeaders {
  'List-Unsubscribe': string;
  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click';
}

export interface UnsubscribeLinks {
  /** The one-click URL of the List-Unsubscribe header; a GET of it shows the preference page. */
  unsubscribeUrl: string;
  /** The same page, for `{{ preferences_url }}` in templates. */
  preferencesUrl: string;
  mailto: string;
  headers: ListUnsubscribeHeaders;
}

/**
 * The unsubscribe links and RFC 8058 headers of one marketing message: an https one-click URL
 * (`{publicUrl}/u/{token}`) and a mailto (`unsubscribe+{token}@{mailDomain}`).
 * @example unsubscribeLinks({ publicUrl: config.publicUrl, mailDomain: 'mail.example.com', secret, recipient: { workspaceId, contactId, email, deliveryId, topic: 'news' } }).headers
 */
export function unsubscribeLinks({
  publicUrl,
  mailDomain,
  secret,
  recipient,
}: {
  publicUrl: string;
  mailDomain: string;
  secret: Buffer;
  recipient: Omit<UnsubscribeClaims, 'purpose' | 'confirmationId'>;
}): UnsubscribeLinks {
  const token = signUnsubscribeToken({ ...recipient, purpose: 'preferences' }, secret);
  const unsubscribeUrl = `${publicUrl.replace(/\/+$/, '')}/u/${token}`;
  const mailto = `mailto:unsubscribe+${signMailtoToken(recipient.contactId, secret)}@${mailDomain}`;
  return {
    unsubscribeUrl,
    preferencesUrl: unsubscribeUrl,
    mailto,
    headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>, <${mailto}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  };
}

/** The domain of an address such as "Kizuna <no-reply@mail.example.com>" (for the mailto). */
export function mailDomainOf(from: string): string {
  const match = /@([^\s@<>]+)>?\s*$/.exec(from);
  if (!match?.[1]) throw new Error(`expected an address with a domain, got "${from}"`);
  return match[1].toLowerCase();
}

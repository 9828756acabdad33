/** Why an open or click was probably not a person, for reports that leave machine activity out. */
export type MachineReason = 'apple_privacy_proxy' | 'link_scanner' | 'too_fast';

const SCANNER_AGENTS =
  /bot\b|crawler|spider|scanner|barracuda|proofpoint|mimecast|urldefense|safelinks|symantec|trendmicro|forcepoint|fireeye|python-requests|curl\/|wget|go-http-client|headlesschrome|microsoft office protocol discovery/i;

/**
 * Flags opens and clicks made by machines (pure heuristics): Apple Mail Privacy Protection
 * fetches every pixel from Apple's 17.0.0.0/8 network; security gateways prefetch links with
 * their own user agents, often within seconds of delivery.
 */
export function machineActivity({
  ip,
  userAgent,
  at,
  sentAt,
}: {
  ip?: string;
  userAgent?: string;
  at: Date;
  sentAt?: number;
}): MachineReason | undefined {
  const address = (ip ?? '').replace(/^::ffff:/, '');
  if (/^17\./.test(address)) return 'apple_privacy_proxy';
  if (!userAgent || SCANNER_AGENTS.test(userAgent)) return 'link_scanner';
  if (sentAt !== undefined && at.getTime() - sentAt < 2_000) return 'too_fast';
  return undefined;
}

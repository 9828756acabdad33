import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Every refusal names the setting that widens the policy. */
const ALLOW_HINT = ' (not public; KIZUNA_OUTBOUND_ALLOW can allow it)';

const RANGE_NAMES: Record<string, string> = {
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  multicast: 'a multicast',
  linkLocal: 'a link-local (cloud metadata)',
  loopback: 'a loopback',
  carrierGradeNat: 'a carrier-grade NAT',
  private: 'a private',
  uniqueLocal: 'a private (unique local)',
  reserved: 'a reserved',
  benchmarking: 'a benchmarking',
};

/**
 * Where requests that workspace users aim (webhook endpoints, journey webhook steps) may go: the
 * public internet, plus the networks and host names an operator allows. Loopback, private,
 * link-local (cloud metadata at 169.254.169.254), and other special-purpose addresses are refused
 * unless allowed, so a workspace admin cannot make the server reach what only the server can.
 */
export interface OutboundPolicy {
  /** What kind of address this is ("a loopback address") when requests may not go to it; undefined when they may. */
  refusal(address: string): string | undefined;
  /** A host name the operator allowed by name: not checked further. */
  allowsHost(host: string): boolean;
}

/** Whether an `allow` entry is valid: an IP address, a CIDR network, or a host name. */
export function isOutboundAllowEntry(entry: string): boolean {
  return ipaddr.isValid(entry) || ipaddr.isValidCIDR(entry) || HOST_NAME.test(entry);
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/**
 * @param allow IP addresses, CIDR networks (`10.20.0.0/16`, `fd00::/8`) and host names
 *   (`crm.internal`) that requests may reach although they are not public.
 * @example createOutboundPolicy(['10.0.0.0/8']).refusal('10.1.2.3') // undefined
 */
export function createOutboundPolicy(allow: readonly string[] = []): OutboundPolicy {
  const networks: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  const hosts = new Set<string>();
  for (const entry of allow) {
    if (ipaddr.isValidCIDR(entry)) networks.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) {
      const address = ipaddr.process(entry);
      networks.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (HOST_NAME.test(entry)) hosts.add(entry.toLowerCase());
    else throw new Error(`expected an IP address, a CIDR network or a host name in the outbound allow list, got ${JSON.stringify(entry)}`);
  }
  return {
    refusal(text) {
      if (!ipaddr.isValid(text)) return 'not an IP address';
      // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it is.
      const address = ipaddr.process(text);
      const range = address.range();
      if (range === 'unicast') return undefined;
      if (networks.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits))) return undefined;
      return `${RANGE_NAMES[range] ?? `a special-purpose (${range})`} address`;
    },
    allowsHost: (host) => hosts.has(host.toLowerCase()),
  };
}

/** A request the policy refused: never sent. */
export class OutboundRefusedError extends Error {
  readonly code = 'ERR_OUTBOUND_REFUSED';
}

/**
 * A DNS lookup that fails when any address of the name is refused: checked as the socket
 * connects, so a name that resolves to a public address when checked and a private one when
 * used (DNS rebinding) cannot slip through.
 */
function guardedLookup(policy: OutboundPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      for (const { address } of addresses) {
        const refused = policy.refusal(address);
        if (refused)
          return callback(new OutboundRefusedError(`refused: ${hostname} resolves to ${address}, ${refused}${ALLOW_HINT}`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export interface OutboundAnswer {
  status: number;
  /** The start of the answer's body (at most 300 bytes, trimmed): for error reports. */
  snippet: string;
}

/**
 * POSTs `body` to `url` under the policy: the host's addresses are checked (an IP address in the
 * URL before anything is sent, a name as it resolves); redirects are answers, never followed.
 * Rejects with OutboundRefusedError when refused, or with the network error (ECONNREFUSED,
 * a timeout) when no answer came; any answer, whatever its status, resolves.
 * @example await postOutbound(policy, 'https://crm.example.com/hook', { body: '{}', headers: { 'content-type': 'application/json' } })
 */
export function postOutbound(
  policy: OutboundPolicy,
  url: string,
  { body, headers, timeoutMs = 10_000 }: { body: string; headers: Record<string, string>; timeoutMs?: number },
): Promise<OutboundAnswer> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    return Promise.reject(new OutboundRefusedError(`refused: ${url} is not an http:// or https:// URL`));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !policy.allowsHost(host)) {
    const refused = policy.refusal(host);
    if (refused) return Promise.reject(new OutboundRefusedError(`refused: ${host} is ${refused}${ALLOW_HINT}`));
  }
  const secure = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(target, {
      method: 'POST',
      // A socket of its own (no pool: a pooled socket may have been opened without this check),
      // whose name is checked as it connects; a host the operator allowed by name is not checked.
      agent: false,
      lookup: policy.allowsHost(host) ? undefined : guardedLookup(policy),
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        response.destroy();
        resolve({ status: response.statusCode ?? 0, snippet: Buffer.concat(chunks).subarray(0, 300).toString('utf8').trim() });
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= 300) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    request.end(body);
  });
}

/** A failed request as one line: its message and, when the message leaves it out, its code (ECONNREFUSED). */
export function outboundError(error: unknown): string {
  if (error instanceof OutboundRefusedError) return error.message;
  const { message, code } = error as { message?: string; code?: string };
  return [message, code && !message?.includes(code) ? code : undefined].filter(Boolean).join(': ') || String(error);
}

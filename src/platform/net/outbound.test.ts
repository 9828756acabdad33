import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundPolicy, isOutboundAllowEntry, OutboundRefusedError, postOutbound } from './outbound.ts';

describe('the outbound policy', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['10.1.2.3', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['192.168.10.20', 'a private address'],
    ['169.254.169.254', 'a link-local (cloud metadata) address'],
    ['fe80::1', 'a link-local (cloud metadata) address'],
    ['fd00::1', 'a private (unique local) address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['0.0.0.0', 'an unspecified address'],
    ['224.0.0.1', 'a multicast address'],
  ])('refuses %s by default: %s', (address, kind) => {
    expect(createOutboundPolicy().refusal(address)).toBe(kind);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])('lets public %s through', (address) => {
    expect(createOutboundPolicy().refusal(address)).toBeUndefined();
  });

  it('lets through the networks, addresses and host names an operator allows, and only those', () => {
    const policy = createOutboundPolicy(['10.20.0.0/16', '127.0.0.1', 'fd00::/8', 'CRM.internal']);
    expect(policy.refusal('10.20.3.4')).toBeUndefined();
    expect(policy.refusal('10.21.3.4')).toBe('a private address');
    expect(policy.refusal('127.0.0.1')).toBeUndefined();
    expect(policy.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(policy.refusal('127.0.0.2')).toBe('a loopback address');
    expect(policy.refusal('fd12::1')).toBeUndefined();
    expect(policy.allowsHost('crm.internal')).toBe(true);
    expect(policy.allowsHost('crm.internal.example.com')).toBe(false);
  });

  it('rejects an allow entry that is neither an address, a network nor a host name', () => {
    expect(isOutboundAllowEntry('10.0.0.0/8')).toBe(true);
    expect(isOutboundAllowEntry('crm.internal')).toBe(true);
    expect(isOutboundAllowEntry('10.0.0.0/99')).toBe(false);
    expect(isOutboundAllowEntry('http://crm.internal')).toBe(false);
    expect(() => createOutboundPolicy(['not a host'])).toThrow(/expected an IP address, a CIDR network or a host name/);
  });
});

describe('postOutbound', () => {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/moved') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
      return;
    }
    req.resume();
    req.on('end', () => {
      res.statusCode = 201;
      res.end(`got it${'!'.repeat(1000)}`);
    });
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const post = (allow: string[], url: string) =>
    postOutbound(createOutboundPolicy(allow), url, { body: '{}', headers: { 'content-type': 'application/json' } });

  it('refuses a loopback receiver by address and by name before anything is sent', async () => {
    hits.length = 0;
    await expect(post([], `http://127.0.0.1:${port}/a`)).rejects.toBeInstanceOf(OutboundRefusedError);
    await expect(post([], `http://localhost:${port}/b`)).rejects.toThrow(
      /^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address/,
    );
    await expect(post([], `http://[::1]:${port}/c`)).rejects.toThrow('refused: ::1 is a loopback address');
    expect(hits).toEqual([]);
  });

  it('posts where the operator allows, answers with the status and the start of the body, and never follows a redirect', async () => {
    hits.length = 0;
    expect(await post(['127.0.0.1'], `http://127.0.0.1:${port}/a`)).toEqual({ status: 201, snippet: expect.stringMatching(/^got it!+$/) });
    expect((await post(['127.0.0.1'], `http://127.0.0.1:${port}/a`)).snippet).toHaveLength(300);
    expect(await post(['localhost'], `http://localhost:${port}/b`)).toMatchObject({ status: 201 });
    expect(await post(['127.0.0.1'], `http://127.0.0.1:${port}/moved`)).toMatchObject({ status: 302 });
    expect(hits).toEqual(['/a', '/a', '/b', '/moved']);
  });

  it('rejects with the network error when nothing answers', async () => {
    await expect(post(['127.0.0.1'], 'http://127.0.0.1:9/closed')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

/**
 * A local HTTP server speaking the Twilio Messages API shape, for tests: the paid provider cannot
 * be reached from test machines (and must never be texted from a test), so this stands in for it
 * on 127.0.0.1. It checks what the real one checks first (the path, Basic auth, To, From, Body),
 * refuses opted-out numbers with 21610 as the real one does, records every request, and can be
 * told to answer the next requests with an error, to never answer, or to drop the connection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedSmsRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
}

/** A scripted answer: an HTTP status with a JSON body, no answer at all, or a dropped connection. */
export type ScriptedAnswer = { status: number; json?: unknown } | 'hang' | 'reset';

export interface ProviderTestServer {
  /** The base URL to configure as KIZUNA_SMS_BASE_URL. */
  baseUrl: string;
  requests: RecordedSmsRequest[];
  /** Numbers that texted STOP at the provider: sends to them get 21610. */
  optedOut: Set<string>;
  /** Answers for the next requests, in order, before any checking. */
  script: ScriptedAnswer[];
  /** Delays every answer, to observe concurrency. */
  delayMs: number;
  /** The most requests that were in flight at once. */
  maxInFlight: number;
  stop(): Promise<void>;
}

/** Starts the server on a free loopback port for this account. */
export async function startProviderTestServer({
  accountSid,
  authToken,
}: {
  accountSid: string;
  authToken: string;
}): Promise<ProviderTestServer> {
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  let inFlight = 0;
  let counter = 0;
  const server = createServer(async (req, res) => {
    inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    try {
      const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
      state.requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        form,
      });
      if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      const scripted = state.script.shift();
      if (scripted === 'hang') return;
      if (scripted === 'reset') return req.socket.destroy();
      if (scripted) return reply(res, scripted.status, scripted.json ?? {});
      if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${accountSid}/Messages.json`)
        return reply(res, 404, twilioError(20404, 'The requested resource was not found', 404));
      if (req.headers.authorization !== expectedAuth) return reply(res, 401, twilioError(20003, 'Authenticate', 401));
      const sender = form.From ?? form.MessagingServiceSid;
      if (!form.To || !/^\+[1-9]\d{6,14}$/.test(form.To))
        return reply(res, 400, twilioError(21211, `The 'To' number ${form.To ?? ''} is not a valid phone number.`));
      if (!sender) return reply(res, 400, twilioError(21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message"));
      if (!form.Body) return reply(res, 400, twilioError(21602, 'Message body is required.'));
      if (state.optedOut.has(form.To)) return reply(res, 400, twilioError(21610, 'Attempt to send to unsubscribed recipient'));
      counter += 1;
      const sid = `SM${counter.toString(16).padStart(32, '0')}`;
      return reply(res, 201, { sid, status: 'queued', to: form.To, from: form.From ?? null, body: form.Body, account_sid: accountSid });
    } finally {
      inFlight -= 1;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: ProviderTestServer = {
    baseUrl: `http://127.0.0.1:${port}`,
    requests: [],
    optedOut: new Set(),
    script: [],
    delayMs: 0,
    maxInFlight: 0,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

function twilioError(code: number, message: string, status = 400) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function reply(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(json));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

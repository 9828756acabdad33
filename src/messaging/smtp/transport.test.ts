import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config.ts';
import { createMailSink, type MailSink } from './sink.ts';
import { createMailTransport, type MailTransport } from './transport.ts';

// Real SMTP over loopback: nodemailer's pool → smtp-server → mailparser. Nothing is mocked.
const config = loadConfig({ env: {}, flags: { logLevel: 'silent' } });

describe('the pooled transport into the dev sink', () => {
  let sink: MailSink;
  let transport: MailTransport;
  beforeAll(async () => {
    sink = createMailSink({ port: 0 });
    transport = createMailTransport({ config, sink: await sink.start() });
  });
  afterAll(async () => {
    transport.close();
    await sink.stop();
  });

  it('delivers 50 Japanese messages exactly once each, intact', async () => {
    const workspaceId = crypto.randomUUID();
    const sent = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        transport.sendMail({
          workspaceId,
          to: `佐藤 花子 <hanako+${i}@example.jp>`,
          subject: `【第${i}回】春のキャンペーンのお知らせ 🌸`,
          text: `佐藤様\n\nいつもご利用ありがとうございます。第${i}回のご案内です。`,
          html: `<p>佐藤様</p><p>いつもご利用ありがとうございます。<b>第${i}回</b>のご案内です。</p>`,
          headers: { 'X-Campaign': `spring-${i}` },
        }),
      ),
    );
    expect(sent.every((s) => s.accepted.length === 1 && s.rejected.length === 0)).toBe(true);

    const caught = await sink.waitFor(50, { workspaceId });
    expect(caught).toHaveLength(50);
    expect(sink.list({ workspaceId })).toHaveLength(50); // every send has settled: nothing came twice
    expect(new Set(caught.map((m) => m.messageId))).toEqual(new Set(sent.map((s) => s.messageId)));
    for (const mail of caught) {
      const i = Number(mail.headers['x-campaign']?.[0]?.replace('spring-', ''));
      expect(mail).toMatchObject({
        workspaceId,
        envelope: { from: 'no-reply@kizuna.local', to: [`hanako+${i}@example.jp`] },
        // mailparser's display text quotes the names.
        from: '"Kizuna" <no-reply@kizuna.local>',
        to: `"佐藤 花子" <hanako+${i}@example.jp>`,
        subject: `【第${i}回】春のキャンペーンのお知らせ 🌸`,
        text: `佐藤様\n\nいつもご利用ありがとうございます。第${i}回のご案内です。`,
        html: `<p>佐藤様</p><p>いつもご利用ありがとうございます。<b>第${i}回</b>のご案内です。</p>`,
      });
      expect(mail.headers['x-kizuna-workspace']).toEqual([workspaceId]);
      expect(mail.headers['mime-version']).toEqual(['1.0']);
      expect(mail.headers.subject?.[0]).toMatch(/^=\?UTF-8\?/); // encoded on the wire, decoded in subject
      expect(mail.sizeBytes).toBeGreaterThan(500);
    }
  });

  it('always stamps the sending workspace, whatever the caller’s headers say', async () => {
    const workspaceId = crypto.randomUUID();
    await transport.sendMail({
      workspaceId,
      to: 'a@example.com',
      subject: 'x',
      text: 'x',
      headers: { 'x-kizuna-workspace': 'someone-else' },
    });
    const [mail] = await sink.waitFor(1, { workspaceId });
    expect(mail!.headers['x-kizuna-workspace']).toEqual([workspaceId]);
    await expect(transport.sendMail({ workspaceId: '', to: 'a@example.com', subject: 'x' })).rejects.toThrow(/must name the workspace/);
  });

  it('uses the envelope it is given (a VERP return path), not the headers', async () => {
    const workspaceId = crypto.randomUUID();
    await transport.sendMail({
      workspaceId,
      to: 'visible@example.com',
      subject: 'x',
      text: 'x',
      envelope: { from: 'bounce+d1@kizuna.local', to: ['real@example.com'] },
    });
    const [mail] = await sink.waitFor(1, { workspaceId });
    expect(mail!.envelope).toEqual({ from: 'bounce+d1@kizuna.local', to: ['real@example.com'] });
    expect(mail!.to).toBe('visible@example.com');
  });
});

describe('several senders', () => {
  it('sends mail From a configured sender domain through that sender’s own SMTP server, the rest through the default', async () => {
    const main = createMailSink({ port: 0 });
    const news = createMailSink({ port: 0 });
    const [mainAddress, newsAddress] = [await main.start(), await news.start()];
    const transport = createMailTransport({
      config: loadConfig({
        env: {
          KIZUNA_MAIL_MODE: 'smtp',
          KIZUNA_SMTP_HOST: mainAddress.host,
          KIZUNA_SMTP_PORT: String(mainAddress.port),
          KIZUNA_SMTP_SENDERS: JSON.stringify([
            { domain: 'news.example.com', host: newsAddress.host, port: newsAddress.port, maxMessagesPerSecond: 50 },
          ]),
        },
        flags: { logLevel: 'silent' },
      }),
    });
    try {
      await transport.sendMail({
        workspaceId: 'w',
        from: 'News <hello@News.example.com>',
        to: 'a@example.com',
        subject: 'news',
        text: '.',
      });
      await transport.sendMail({
        workspaceId: 'w',
        from: 'Support <help@example.com>',
        to: 'a@example.com',
        subject: 'support',
        text: '.',
      });
      expect((await news.waitFor(1)).map((m) => m.subject)).toEqual(['news']);
      expect((await main.waitFor(1)).map((m) => m.subject)).toEqual(['support']);
    } finally {
      transport.close();
      await main.stop();
      await news.stop();
    }
  });

  it('names KIZUNA_SMTP_SENDERS when it is not a JSON array of senders', () => {
    expect(() => loadConfig({ env: { KIZUNA_SMTP_SENDERS: '{oops' } })).toThrow(/KIZUNA_SMTP_SENDERS: expected a JSON array of senders/);
    expect(() => loadConfig({ env: { KIZUNA_SMTP_SENDERS: '[{"domain":"x","host":"h"}]' } })).toThrow(
      /KIZUNA_SMTP_SENDERS: expected a sender domain/,
    );
  });
});

describe('the dev sink', () => {
  it('keeps the newest messages and drops the oldest beyond its bound', async () => {
    const sink = createMailSink({ port: 0, maxMessages: 3 });
    const transport = createMailTransport({ config: { ...config, smtpPoolSize: 1 }, sink: await sink.start() });
    try {
      // One connection sends in order, so "oldest" is well defined.
      for (let i = 1; i <= 5; i++) await transport.sendMail({ workspaceId: 'w', to: 'a@example.com', subject: `n${i}`, text: '.' });
      expect(sink.list().map((m) => m.subject)).toEqual(['n5', 'n4', 'n3']);
      expect(sink.list({ limit: 1 }).map((m) => m.subject)).toEqual(['n5']);
      await expect(sink.waitFor(4)).rejects.toThrow(/at most 3/);
      expect(sink.clear()).toBe(3);
      expect(sink.list()).toEqual([]);
    } finally {
      transport.close();
      await sink.stop();
    }
  });

  it('refuses a message over its size limit with 552', async () => {
    const sink = createMailSink({ port: 0, maxMessageBytes: 10_000 });
    const transport = createMailTransport({ config, sink: await sink.start() });
    try {
      await expect(
        transport.sendMail({ workspaceId: 'w', to: 'a@example.com', subject: 'big', text: 'あ'.repeat(20_000) }),
      ).rejects.toMatchObject({
        responseCode: 552,
      });
      expect(sink.list()).toEqual([]);
    } finally {
      transport.close();
      await sink.stop();
    }
  });

  it('says which setting to change when its port is taken', async () => {
    const first = createMailSink({ port: 0 });
    const { port } = await first.start();
    try {
      await expect(createMailSink({ port }).start()).rejects.toThrow(/KIZUNA_MAIL_SINK_PORT: 127\.0\.0\.1:\d+ is in use/);
    } finally {
      await first.stop();
    }
  });
});

describe('smtp mode', () => {
  // A real SMTP server standing in for the provider: it wants a login and knows one mailbox.
  const logins: string[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      logins.push(`${auth.username}:${auth.password}`);
      if (auth.username === 'kizuna' && auth.password === 's3cret') callback(null, { user: auth.username });
      else callback(new Error('bad credentials'));
    },
    onRcptTo(address, _session, callback) {
      if (address.address === 'known@example.com') callback();
      else callback(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback(null, 'Ok: queued as PROVIDER123'));
    },
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const smtpConfig = (password: string) =>
    loadConfig({
      env: {
        KIZUNA_MAIL_MODE: 'smtp',
        KIZUNA_SMTP_HOST: '127.0.0.1',
        KIZUNA_SMTP_PORT: String(port),
        KIZUNA_SMTP_USER: 'kizuna',
        KIZUNA_SMTP_PASSWORD: password,
        KIZUNA_SMTP_MAX_MESSAGES_PER_SECOND: '100',
      },
    });

  it('logs in, reports accepted and refused recipients and the provider’s reply', async () => {
    const transport = createMailTransport({ config: smtpConfig('s3cret') });
    try {
      const partial = await transport.sendMail({
        workspaceId: 'w',
        to: ['known@example.com', 'ghost@example.com'],
        subject: 'x',
        text: 'x',
      });
      expect(partial).toMatchObject({ accepted: ['known@example.com'], rejected: ['ghost@example.com'] });
      expect(partial.response).toContain('queued as PROVIDER123');
      expect(partial.messageId).toMatch(/^<.+@.+>$/);
      const none = await transport.sendMail({ workspaceId: 'w', to: 'ghost@example.com', subject: 'x', text: 'x' });
      expect(none).toMatchObject({ accepted: [], rejected: ['ghost@example.com'] });
      expect(logins).toContain('kizuna:s3cret');
    } finally {
      transport.close();
    }
  });

  it('fails with the server’s answer on wrong credentials', async () => {
    const transport = createMailTransport({ config: smtpConfig('wrong') });
    try {
      await expect(transport.sendMail({ workspaceId: 'w', to: 'known@example.com', subject: 'x', text: 'x' })).rejects.toMatchObject({
        code: 'EAUTH',
      });
    } finally {
      transport.close();
    }
  });

  it('needs the sink’s address in sink mode', () => {
    expect(() => createMailTransport({ config })).toThrow(/dev mail sink/);
  });
});

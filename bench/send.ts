import { type ChildProcess, fork } from 'node:child_process';
import { sql } from 'kysely';
import { enqueueDeliveries, type NewDelivery } from '../src/messaging/deliveries/deliveries.ts';
import { createDeliveryPipeline } from '../src/messaging/deliveries/pipeline.ts';
import { putSendingSettings } from '../src/messaging/deliveries/sending-settings.ts';
import { createMailTransport, type MailTransport, type OutgoingMail } from '../src/messaging/smtp/transport.ts';
import { loadRecipients, loadWorkspaceData } from '../src/messaging/templates/recipients.ts';
import { createTemplateRenderer } from '../src/messaging/templates/render.ts';
import { createTemplate, loadPreparedTemplate, publishTemplate } from '../src/messaging/templates/templates.ts';
import { systemClock } from '../src/platform/clock.ts';
import { loadConfig } from '../src/platform/config.ts';
import type { Database } from '../src/platform/db/database.ts';
import { freshWorkspace, openBenchDatabase } from './bench-database.ts';
import type { BenchContext } from './run.ts';

/** Pairs of runs (raw nodemailer, the pipeline); each side's fastest counts. */
const ROUNDS = 3;
/** Worker loops draining at once in the pipeline run: one renders while the other's batch is on the wire. */
const DRAINERS = 2;
const POOL = 5;

/** A short personal HTML mail of about 3 KB: the kind a journey step sends. */
const SHORT_HTML = `<!doctype html><html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"></head>
<body style="font-family:sans-serif;line-height:1.6;color:#222">
<p>{{ contact.lastName | default: 'お客様' }} {{ contact.firstName }} 様</p>
<p>いつも Kizuna をご利用いただきありがとうございます。{{ company.name | default: '貴社' }} のマーケティングチームの皆様に、
今月の新機能をご紹介します。スコアリングモデルの説明機能により、営業担当者はリードが「なぜホットなのか」を一目で確認できます。</p>
<p>Thanks for using Kizuna. This month: explainable lead scores, lifecycle stages with SLA timers and one-click unsubscribe
that passes Gmail's and Yahoo's bulk-sender rules.</p>
<ul>
<li><a href="https://example.com/features/scoring?ref=news">スコアリングの新機能</a></li>
<li><a href="https://example.com/features/lifecycle?ref=news">ライフサイクルと SLA</a></li>
<li><a href="https://example.com/webinars/2026-12?ref=news">12 月のウェビナーに申し込む</a></li>
<li><a href="https://example.com/case-studies/manufacturing?ref=news">製造業の導入事例</a></li>
</ul>
<p>ご不明な点は担当営業までお問い合わせください。{{ contact.email }} 宛にお送りしています。</p>
<p style="font-size:12px;color:#666">配信停止は<a href="{{ unsubscribe_url }}">こちら</a>。株式会社キズナ 東京都千代田区丸の内 1-1-1</p>
</body></html>`;

/** A newsletter-like MJML body of about `kb` kilobytes once rendered: personalised paragraphs and links. */
function newsletter(kb: number): string {
  const sections: string[] = [];
  const section = (i: number) => `
    <mj-section><mj-column>
      <mj-text font-size="16px">第${i + 1}章: {{ contact.lastName | default: 'お客様' }} 様の {{ company.name | default: '貴社' }} に役立つ話題</mj-text>
      <mj-text>マーケティングオートメーションでリードを育成し、営業への引き渡しを自動化します。Scores, bands and lifecycle stages
        tell sales why a lead is hot. 導入事例 ${i + 1} では、問い合わせ数が 2.4 倍になりました。</mj-text>
      <mj-button href="https://example.com/articles/${i + 1}?ref=news">記事を読む</mj-button>
    </mj-column></mj-section>`;
  // MJML's head and wrapper come to about 6 KB; each section renders to about 3.4 KB.
  const count = Math.max(1, Math.round((kb - 6) / 3.4));
  for (let i = 0; i < count; i++) sections.push(section(i));
  return `<mjml><mj-body>
    <mj-section><mj-column><mj-text>{{ contact.lastName | default: 'お客様' }} {{ contact.firstName }} 様</mj-text></mj-column></mj-section>
    ${sections.join('\n')}
    <mj-section><mj-column><mj-text><a href="{{ unsubscribe_url }}">配信停止</a></mj-text></mj-column></mj-section>
  </mj-body></mjml>`;
}

/**
 * Personalised sends through the whole pipeline (queue, claim, send policy, caps, render,
 * link signing, open pixel, SMTP, recording) against raw nodemailer sending the same messages
 * pre-rendered into the same sink (a child process that discards mail) with the same pool, at
 * about 3 KB and 36 KB.
 * @returns one `RESULT send-<engine>-<size> …` line per engine and size.
 */
export async function benchSend({ rows, engines, serverUrl, log }: BenchContext): Promise<string[]> {
  const count = Math.max(200, Math.round(rows / 20));
  const sink = await startSink();
  const config = loadConfig({
    env: {},
    flags: { logLevel: 'silent', mailMode: 'smtp', smtpHost: '127.0.0.1', smtpPort: sink.port, smtpPoolSize: POOL },
  });
  const results: string[] = [];
  log(`send: ${count} personalised messages per run, pool of ${POOL} connections, ${DRAINERS} drain loops, best of ${ROUNDS}`);
  try {
    for (const engine of engines) {
      const database = await openBenchDatabase(engine, serverUrl);
      try {
        for (const kb of [3, 36]) results.push(await benchSize(database, engine, kb, count, config, sink, log));
      } finally {
        await database.close();
      }
    }
  } finally {
    sink.process.send({ type: 'stop' });
  }
  return results;
}

async function benchSize(
  database: Database,
  engine: string,
  kb: number,
  count: number,
  config: ReturnType<typeof loadConfig>,
  sink: Sink,
  log: (line: string) => void,
): Promise<string> {
  const { db } = database;
  const workspace = await freshWorkspace(database);
  const workspaceId = workspace.id;
  await sql`
    INSERT INTO contacts (id, workspace_id, email, first_name, last_name, created_at, updated_at)
    SELECT gen_random_uuid(), ${workspaceId}, 'person' || n || '@example.jp', '太郎' || n, '山田', now(), now()
    FROM generate_series(1, ${count}) AS n`.execute(db);
  const contactIds = (await db.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).execute()).map((r) => r.id);
  // Quiet hours off so the figure does not depend on the hour it runs; caps stay on (their query is part of the cost).
  await putSendingSettings(db, workspaceId, { quietHours: null }, systemClock);
  const renderer = createTemplateRenderer();
  const template = await createTemplate(
    db,
    workspaceId,
    {
      name: `news ${kb} KB`,
      // The short mail is plain HTML (MJML's own markup alone is 6 KB); the newsletter is MJML.
      definition: {
        format: kb < 10 ? 'html' : 'mjml',
        defaultLocale: 'ja',
        locales: { ja: { subject: '{{ contact.lastName }} 様へ: 今月のお知らせ', body: kb < 10 ? SHORT_HTML : newsletter(kb) } },
      },
    },
    { clock: systemClock, renderer },
  );
  await publishTemplate(db, workspaceId, template.id, { clock: systemClock, renderer });
  const compilesBefore = renderer.stats.mjmlCompiles;

  // The raw side's messages: the same template rendered for each contact beforehand.
  const prepared = await loadPreparedTemplate(db, workspaceId, template.id, { renderer });
  const ws = await loadWorkspaceData(db, workspaceId);
  const recipients = await loadRecipients(db, workspaceId, contactIds);
  const messages: OutgoingMail[] = [...recipients.values()].map(({ contact, company }) => {
    const m = renderer.render(prepared, { contact, company, workspace: ws, unsubscribeUrl: 'https://example.com/u/x' });
    return { workspaceId, to: contact.email!, subject: m.subject, html: m.html, text: m.text };
  });
  const size = ((Buffer.byteLength(messages[0]!.html!) + Buffer.byteLength(messages[0]!.text!)) / 1024).toFixed(1);

  let raw = 0;
  let ours = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Raw nodemailer: every message handed to the pool at once, as fast as it goes.
    const transport = createMailTransport({ config });
    await warm(transport, workspaceId);
    const sentBefore = await sink.count();
    let started = performance.now();
    await Promise.all(messages.map((m) => transport.sendMail(m)));
    raw = Math.max(raw, count / ((performance.now() - started) / 1000));
    transport.close();

    // The pipeline: queue the broadcast, then drain until nothing is due.
    await sql`TRUNCATE deliveries`.execute(db);
    const mailer = createMailTransport({ config });
    await warm(mailer, workspaceId);
    const pipeline = createDeliveryPipeline({ db, clock: systemClock, config, mailer, renderer });
    started = performance.now();
    const items: NewDelivery[] = contactIds.map((contactId) => ({
      workspaceId,
      contactId,
      channel: 'email',
      kind: 'marketing',
      source: 'bench',
      templateId: template.id,
      templateVersion: 1,
      dueAt: new Date(),
    }));
    for (let i = 0; i < items.length; i += 2000) await enqueueDeliveries(db, items.slice(i, i + 2000), new Date());
    await Promise.all(
      Array.from({ length: DRAINERS }, async () => {
        while ((await pipeline.drain({ workspaceId, limit: 250 })) > 0) {}
      }),
    );
    ours = Math.max(ours, count / ((performance.now() - started) / 1000));
    mailer.close();
    const sent = await db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'sent')
      .executeTakeFirstOrThrow();
    if (Number(sent.n) !== count) throw new Error(`send bench: ${sent.n} of ${count} deliveries were sent`);
    const received = (await sink.count()) - sentBefore;
    // Raw, the pipeline's warm-up and the pipeline: every message arrived.
    if (received !== 2 * count + 1) throw new Error(`send bench: the sink received ${received}, expected ${2 * count + 1}`);
    log(`  ${engine} ${kb} KB round ${round + 1}: raw ${Math.round(raw)}/s, pipeline ${Math.round(ours)}/s (best so far)`);
  }
  return `RESULT send-${engine}-${kb}kb ratio=${(ours / raw).toFixed(2)} ours=${Math.round(ours)} limit=${Math.round(raw)} messages=${count} body_kb=${size} templates=1 mjml_compiles=${renderer.stats.mjmlCompiles} (at publish ${compilesBefore}, while sending ${renderer.stats.mjmlCompiles - compilesBefore})`;
}

/** Opens the pool's first connection outside the timed part. */
async function warm(transport: MailTransport, workspaceId: string): Promise<void> {
  await transport.sendMail({ workspaceId, to: 'warm@example.jp', subject: 'warm', text: 'warm' });
}

interface Sink {
  port: number;
  process: ChildProcess;
  count(): Promise<number>;
}

async function startSink(): Promise<Sink> {
  const child = fork(new URL('./smtp-counter.ts', import.meta.url), { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('error', reject);
  });
  return {
    port,
    process: child,
    count: () =>
      new Promise((resolve) => {
        child.once('message', (m: { received: number }) => resolve(m.received));
        child.send({ type: 'count' });
      }),
  };
}

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { createVirtualClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import type { SuppressionReason } from '../../platform/db/schema.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { instanceSecret } from '../../platform/instance-secret.ts';
import { createWorkspace } from '../../workspaces/workspaces.ts';
import { classifyBounce } from '../bounces/classify.ts';
import { recordBounce, recordComplaint } from '../bounces/record-feedback.ts';
import { confirmOptIn, resubscribe } from '../compliance/opt-in.ts';
import { unsubscribeAll, unsubscribeTopic } from '../compliance/preferences.ts';
import { liftSuppression } from '../compliance/suppression.ts';
import { createTopic } from '../compliance/topics.ts';
import { COMPLIANCE_SECRET, verifyUnsubscribeToken } from '../compliance/unsubscribe-token.ts';
import { createMailSink, type MailSink } from '../smtp/sink.ts';
import { createMailTransport, type MailTransport } from '../smtp/transport.ts';
import { enqueueDeliveries } from './deliveries.ts';
import { createDeliveryPipeline } from './pipeline.ts';
import { putSendingSettings } from './sending-settings.ts';

const database = useTestDatabase();
const config = loadConfig({ env: {}, flags: { logLevel: 'silent' } });
const TOPICS = ['news', 'events'] as const;
type TopicKey = (typeof TOPICS)[number];
let sink: MailSink;
let mailer: MailTransport;
beforeAll(async () => {
  sink = createMailSink({ port: 0, maxMessages: 10_000 });
  mailer = createMailTransport({ config, sink: await sink.start() });
});
afterAll(async () => {
  mailer.close();
  await sink.stop();
});

type Op =
  | { kind: 'send'; send: 'marketing' | 'transactional'; topic?: TopicKey }
  | { kind: 'unsubscribe' }
  | { kind: 'topicOptOut'; topic: TopicKey }
  | { kind: 'hardBounce' }
  | { kind: 'softBounce' }
  | { kind: 'complaint' }
  | { kind: 'resubscribe'; topics: TopicKey[] }
  | { kind: 'lift'; reason: SuppressionReason };

const send = fc.record({
  kind: fc.constant('send' as const),
  send: fc.constantFrom('marketing' as const, 'transactional' as const),
  topic: fc.option(fc.constantFrom(...TOPICS), { nil: undefined }),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: send, weight: 4 },
  { arbitrary: fc.constant({ kind: 'unsubscribe' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('topicOptOut' as const), topic: fc.constantFrom(...TOPICS) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'hardBounce' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'softBounce' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'complaint' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('resubscribe' as const), topics: fc.subarray([...TOPICS]) }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('lift' as const),
      reason: fc.constantFrom<SuppressionReason>('unsubscribe', 'hard_bounce', 'complaint'),
    }),
    weight: 1,
  },
);

/** What the rules say may be sent, after the steps so far. */
interface Model {
  active: Set<SuppressionReason>;
  optedOut: Set<TopicKey>;
  softBounces: number;
}

function mayReceive(model: Model, o: Extract<Op, { kind: 'send' }>): boolean {
  if (model.active.has('hard_bounce') || model.active.has('complaint')) return false;
  if (o.send === 'transactional') return true;
  return model.active.size === 0 && !(o.topic && model.optedOut.has(o.topic));
}

describe('sending through the pipeline under random compliance events', () => {
  it('never delivers a marketing message to a contact suppressed at send time, and always delivers an allowed one', async () => {
    const { db } = database.current;
    const clock = createVirtualClock(new Date('2026-05-01T01:00:00Z'));
    const deps = { clock, partitions: createPartitionCache() };
    const secret = await instanceSecret(db, COMPLIANCE_SECRET, clock);
    const links = { publicUrl: 'https://mail.example.com', secret };
    const pipeline = createDeliveryPipeline({ db, clock, config, mailer });

    const run = async (ops: Op[]) => {
      const { id: workspaceId } = await createWorkspace(db, { name: 'Property' }, clock);
      // Caps and quiet hours would skip or defer sends: this property is about suppressions alone.
      await putSendingSettings(
        db,
        workspaceId,
        { frequencyCaps: { perDay: null, perWeek: null }, quietHours: null, softBounceLimit: 3 },
        clock,
      );
      for (const key of TOPICS) await createTopic(db, workspaceId, { key, nameJa: key, nameEn: key }, clock);
      const contactId = crypto.randomUUID();
      const email = 'hanako@example.jp';
      await db
        .insertInto('contacts')
        .values({
          id: contactId,
          workspace_id: workspaceId,
          email,
          custom: '{}',
          traits: '{}',
          created_at: clock.now(),
          updated_at: clock.now(),
        })
        .execute();
      const model: Model = { active: new Set(), optedOut: new Set(), softBounces: 0 };
      const base = { workspaceId, contactId, email, source: 'test' };
      let lastSent: string | undefined;
      let sends = 0;
      for (const o of ops) {
        clock.advance(60_000);
        if (o.kind === 'send') {
          const content = { subject: `message ${++sends}`, html: '<p>x</p>', text: 'x' };
          await enqueueDeliveries(
            db,
            [{ workspaceId, contactId, channel: 'email', kind: o.send, topic: o.topic, source: 'property', content, dueAt: clock.now() }],
            clock.now(),
          );
          await pipeline.drain({ workspaceId });
          const row = await db
            .selectFrom('deliveries')
            .select(['id', 'status', 'reason'])
            .where('workspace_id', '=', workspaceId)
            .orderBy('created_at', 'desc')
            .executeTakeFirstOrThrow();
          const received = sink.list({ workspaceId }).some((m) => m.subject === content.subject);
          const allowed = mayReceive(model, o);
          expect({ received, status: row.status }, `${JSON.stringify(ops)} at send ${sends}: ${row.reason}`).toEqual({
            received: allowed,
            status: allowed ? 'sent' : 'skipped',
          });
          if (allowed) lastSent = row.id;
        }
        if (o.kind === 'unsubscribe') await unsubscribeAll(db, base, deps);
        if (o.kind === 'topicOptOut') await unsubscribeTopic(db, { ...base, topic: o.topic }, deps);
        // Bounces and complaints arrive for the last message sent, through the same code as inbound reports.
        if ((o.kind === 'hardBounce' || o.kind === 'softBounce' || o.kind === 'complaint') && !lastSent) continue;
        if (o.kind === 'hardBounce') {
          await recordBounce(db, deps, {
            deliveryId: lastSent,
            bounce: classifyBounce({ status: '5.1.1', diagnostic: '550 5.1.1 User unknown' }),
          });
          lastSent = undefined;
        }
        if (o.kind === 'softBounce') {
          await recordBounce(db, deps, {
            deliveryId: lastSent,
            bounce: classifyBounce({ status: '4.2.2', diagnostic: '452 4.2.2 Mailbox full' }),
          });
          lastSent = undefined;
          // The third soft bounce since the last lift suppresses like a hard bounce.
          if (++model.softBounces >= 3) model.active.add('hard_bounce');
        }
        if (o.kind === 'complaint') {
          await recordComplaint(db, deps, { deliveryId: lastSent, feedbackType: 'abuse' });
          lastSent = undefined;
        }
        if (o.kind === 'resubscribe') {
          const result = await resubscribe(db, { workspaceId, contactId, topics: o.topics, source: 'test' }, links, deps);
          if (result.status === 'pending') {
            const claims = verifyUnsubscribeToken(result.confirmUrl.split('/confirm/')[1] ?? '', 'confirm', secret);
            expect(await confirmOptIn(db, { claims: claims! }, deps)).toBe('confirmed');
          }
        }
        if (o.kind === 'lift') {
          const row = await db
            .selectFrom('suppressions')
            .select('id')
            .where('workspace_id', '=', workspaceId)
            .where('reason', '=', o.reason)
            .where('lifted_at', 'is', null)
            .executeTakeFirst();
          if (row) await liftSuppression(db, { workspaceId, id: row.id, by: 'admin' }, deps);
        }
        // The model of the same step.
        if (o.kind === 'unsubscribe') model.active.add('unsubscribe');
        if (o.kind === 'topicOptOut') model.optedOut.add(o.topic);
        if (o.kind === 'hardBounce') model.active.add('hard_bounce');
        if (o.kind === 'complaint') model.active.add('complaint');
        if (o.kind === 'resubscribe') {
          model.active.delete('unsubscribe');
          for (const topic of o.topics) model.optedOut.delete(topic);
        }
        if (o.kind === 'lift') {
          model.active.delete(o.reason);
          // Lifting a bounce suppression restarts the soft-bounce count.
          if (o.reason === 'hard_bounce') model.softBounces = 0;
        }
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), (ops) => run(ops)),
      {
        numRuns: Number(process.env.KIZUNA_PROPERTY_RUNS ?? 25),
        seed: process.env.KIZUNA_PROPERTY_SEED ? Number(process.env.KIZUNA_PROPERTY_SEED) : undefined,
      },
    );
  });
});

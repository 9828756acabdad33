import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { createVirtualClock } from '../../platform/clock.ts';
import type { SuppressionReason } from '../../platform/db/schema.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { instanceSecret } from '../../platform/instance-secret.ts';
import { createWorkspace } from '../../workspaces/workspaces.ts';
import { confirmOptIn, resubscribe } from './opt-in.ts';
import { unsubscribeAll, unsubscribeTopic } from './preferences.ts';
import { checkSendPolicy, liftSuppression, suppress } from './suppression.ts';
import { createTopic } from './topics.ts';
import { COMPLIANCE_SECRET, verifyUnsubscribeToken } from './unsubscribe-token.ts';

const database = useTestDatabase();
const TOPICS = ['news', 'events'] as const;
type TopicKey = (typeof TOPICS)[number];

type Op =
  | { kind: 'unsubscribe' }
  | { kind: 'topicOptOut'; topic: TopicKey }
  | { kind: 'hardBounce' }
  | { kind: 'complaint' }
  | { kind: 'resubscribe'; topics: TopicKey[] }
  | { kind: 'lift'; reason: SuppressionReason };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: 'unsubscribe' as const }),
  fc.record({ kind: fc.constant('topicOptOut' as const), topic: fc.constantFrom(...TOPICS) }),
  fc.constant({ kind: 'hardBounce' as const }),
  fc.constant({ kind: 'complaint' as const }),
  fc.record({ kind: fc.constant('resubscribe' as const), topics: fc.subarray([...TOPICS]) }),
  fc.record({ kind: fc.constant('lift' as const), reason: fc.constantFrom<SuppressionReason>('unsubscribe', 'hard_bounce', 'complaint') }),
);

/** The rules in a few lines: what may be sent after the steps so far. */
interface Model {
  active: Set<SuppressionReason>;
  optedOut: Set<TopicKey>;
}

function step(model: Model, o: Op): void {
  if (o.kind === 'unsubscribe') model.active.add('unsubscribe');
  if (o.kind === 'topicOptOut') model.optedOut.add(o.topic);
  if (o.kind === 'hardBounce') model.active.add('hard_bounce');
  if (o.kind === 'complaint') model.active.add('complaint');
  if (o.kind === 'resubscribe') {
    // A confirmed double opt-in lifts an unsubscribe, never a bounce or complaint.
    model.active.delete('unsubscribe');
    for (const topic of o.topics) model.optedOut.delete(topic);
  }
  if (o.kind === 'lift') model.active.delete(o.reason);
}

function expected(model: Model, topic: TopicKey | undefined): { marketing: boolean; transactional: boolean } {
  const hard = model.active.has('hard_bounce') || model.active.has('complaint');
  return { transactional: !hard, marketing: model.active.size === 0 && !(topic && model.optedOut.has(topic)) };
}

describe('send policy', () => {
  it('agrees with a model of the rules after any sequence of opt-outs, bounces, re-subscriptions and lifts', async () => {
    const { db } = database.current;
    const clock = createVirtualClock(new Date('2026-05-01T00:00:00Z'));
    const deps = { clock, partitions: createPartitionCache() };
    const secret = await instanceSecret(db, COMPLIANCE_SECRET, clock);
    const links = { publicUrl: 'https://mail.example.com', secret };

    const run = async (ops: Op[]) => {
      const workspace = await createWorkspace(db, { name: 'Policy' }, clock);
      const workspaceId = workspace.id;
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
      const model: Model = { active: new Set(), optedOut: new Set() };
      const base = { workspaceId, contactId, email, source: 'test' };
      for (const o of ops) {
        clock.advance(1000);
        if (o.kind === 'unsubscribe') await unsubscribeAll(db, base, deps);
        if (o.kind === 'topicOptOut') await unsubscribeTopic(db, { ...base, topic: o.topic }, deps);
        if (o.kind === 'hardBounce') await suppress(db, { ...base, reason: 'hard_bounce' }, deps);
        if (o.kind === 'complaint') await suppress(db, { ...base, reason: 'complaint' }, deps);
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
        step(model, o);
        for (const topic of [undefined, ...TOPICS]) {
          const recipients = [{ contactId, email }];
          const [marketing] = await checkSendPolicy(db, workspaceId, recipients, { kind: 'marketing', topic });
          const [transactional] = await checkSendPolicy(db, workspaceId, recipients, { kind: 'transactional', topic });
          const got = { marketing: marketing!.allowed, transactional: transactional!.allowed };
          expect(got, `${JSON.stringify(ops)} topic ${topic}`).toEqual(expected(model, topic));
        }
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => run(ops)),
      {
        numRuns: Number(process.env.KIZUNA_PROPERTY_RUNS ?? 25),
        seed: process.env.KIZUNA_PROPERTY_SEED ? Number(process.env.KIZUNA_PROPERTY_SEED) : undefined,
      },
    );
  });
});

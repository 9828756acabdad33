import type { Kysely } from 'kysely';
import { decideHandoff, recordFirstTouch } from '../lifecycle/handoff.ts';
import { changeStage } from '../lifecycle/lifecycle.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { unitOfWork } from '../segments/membership.ts';
import { createRandom } from './random.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const REJECT_REASONS = ['no_budget', 'bad_timing', 'no_need', 'no_authority', 'unreachable'];

/**
 * The demo's sales team: touches most handed-off MQLs within hours (some miss the 24 h SLA),
 * then accepts about half (→ SQL) and rejects a quarter with a reason (→ Recycled) within days;
 * the rest stay open, so the SLA report has breaches. Of the accepted, most become opportunities
 * a week or two later and some of those customers weeks after that: a handful in 90 days.
 * Decided from the seed and the address.
 */
export async function workSalesDesk(db: Kysely<DB>, workspaceId: string, seed: number, clock: Clock): Promise<void> {
  const now = clock.now().getTime();
  const open = await db
    .selectFrom('handoffs as h')
    .innerJoin('contacts as c', 'c.id', 'h.contact_id')
    .select(['h.contact_id', 'h.started_at', 'h.first_touched_at', 'c.email'])
    .where('h.workspace_id', '=', workspaceId)
    .where('h.decided_at', 'is', null)
    .orderBy('h.started_at')
    .orderBy('c.email')
    .execute();
  for (const h of open) {
    const random = createRandom(seed).fork(`sales:${h.email}:${h.started_at.getTime()}`);
    const touchAfter = random.weighted<number>([
      [random.int(1, 20) * HOUR, 8],
      [random.int(25, 72) * HOUR, 2],
    ]);
    const decideAfter = touchAfter + random.int(1, 6) * 24 * HOUR;
    const decision = random.weighted<'accepted' | 'rejected' | 'open'>([
      ['accepted', 50],
      ['rejected', 25],
      ['open', 25],
    ]);
    const age = now - h.started_at.getTime();
    if (!h.first_touched_at && age >= touchAfter && decision !== 'open')
      await unitOfWork(db, clock, (tx) => recordFirstTouch(tx, workspaceId, h.contact_id, clock));
    if (decision === 'open' || age < decideAfter) continue;
    await unitOfWork(db, clock, (tx) =>
      decideHandoff(
        tx,
        workspaceId,
        h.contact_id,
        decision === 'accepted'
          ? { decision, reason: '予算・時期とも合致 / budget and timing confirmed' }
          : { decision, reasonCode: random.pick(REJECT_REASONS), reason: '初回ヒアリングの結果 / after the first call' },
        clock,
      ),
    );
  }
  await workPipeline(db, workspaceId, seed, clock);
}

/** Accepted SQLs move on by hand, as sales would: SQL → Opportunity → Customer, or stay put. */
async function workPipeline(db: Kysely<DB>, workspaceId: string, seed: number, clock: Clock): Promise<void> {
  const now = clock.now().getTime();
  const accepted = await db
    .selectFrom('handoffs as h')
    .innerJoin('contacts as c', 'c.id', 'h.contact_id')
    .select(['h.contact_id', 'h.decided_at', 'c.email', 'c.lifecycle_stage'])
    .where('h.workspace_id', '=', workspaceId)
    .where('h.decision', '=', 'accepted')
    .where('c.lifecycle_stage', 'in', ['SQL', 'Opportunity'])
    .orderBy('h.decided_at')
    .orderBy('c.email')
    .execute();
  for (const h of accepted) {
    if (!h.decided_at) continue;
    const random = createRandom(seed).fork(`pipeline:${h.email}:${h.decided_at.getTime()}`);
    const opportunityAfter = random.chance(0.6) ? random.int(4, 14) * DAY : Number.POSITIVE_INFINITY;
    const customerAfter = random.chance(0.35) ? opportunityAfter + random.int(10, 30) * DAY : Number.POSITIVE_INFINITY;
    const age = now - h.decided_at.getTime();
    const stage = age >= customerAfter ? 'Customer' : age >= opportunityAfter ? 'Opportunity' : h.lifecycle_stage;
    if (stage === h.lifecycle_stage || !stage) continue;
    await unitOfWork(db, clock, (tx) => changeStage(tx, workspaceId, h.contact_id, { stage }, 'user', clock));
  }
}

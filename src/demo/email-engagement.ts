import { type Kysely, sql } from 'kysely';
import type { PartitionCache } from '../events/event-partitions.ts';
import { recordEmailEvent } from '../events/record-email-event.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import type { Persona } from './generate-people.ts';
import { createRandom } from './random.ts';

const HOUR = 3_600_000;

// Human open and click rates by persona; the rest never look.
const RATES: Record<Persona, { open: number; click: number }> = {
  hot: { open: 0.6, click: 0.3 },
  warm: { open: 0.4, click: 0.15 },
  cooling: { open: 0.12, click: 0.03 },
  cold: { open: 0.06, click: 0.01 },
};

interface Pending {
  dueAt: number;
  name: 'Email Opened' | 'Email Link Clicked';
  workspaceId: string;
  contactId: string;
  deliveryId: string;
  sentAt: number;
}

/**
 * Recipients open and click the mail the journeys actually sent, some hours later, through the
 * same path as the tracking pixel and link redirect (recordEmailEvent): deliveries move to
 * opened/clicked and the events score. Decided from the seed, the address and the send time.
 */
export function createEmailEngagement({
  db,
  workspaceId,
  seed,
  personaByEmail,
  partitions,
}: {
  db: Kysely<DB>;
  workspaceId: string;
  seed: number;
  personaByEmail: ReadonlyMap<string, Persona>;
  partitions: PartitionCache;
}) {
  const pending: Pending[] = [];
  let seenUntil = new Date(0);
  let recorded = 0;
  return {
    /** Notes the mail sent since the last call and records the opens and clicks now due. */
    async step(clock: Clock): Promise<void> {
      const now = clock.now();
      const sent = await db
        .selectFrom('deliveries')
        .select(['id', 'contact_id', 'to_address', 'sent_at'])
        .where('workspace_id', '=', workspaceId)
        .where('channel', '=', 'email')
        .where('kind', '=', 'marketing')
        .where('contact_id', 'is not', null)
        .where('sent_at', '>', seenUntil)
        .where('sent_at', '<=', now)
        .orderBy('sent_at')
        .orderBy(sql`to_address`)
        .execute();
      seenUntil = now;
      for (const d of sent) {
        const persona = personaByEmail.get(String(d.to_address).toLowerCase());
        if (!persona || !d.sent_at || !d.contact_id) continue;
        const random = createRandom(seed).fork(`${d.to_address}:${d.sent_at.getTime()}`);
        const rates = RATES[persona];
        if (!random.chance(rates.open)) continue;
        const openAt = d.sent_at.getTime() + random.int(1, 20) * HOUR;
        const base = { workspaceId, contactId: d.contact_id, deliveryId: d.id, sentAt: d.sent_at.getTime() };
        pending.push({ ...base, dueAt: openAt, name: 'Email Opened' });
        if (random.chance(rates.click / rates.open))
          pending.push({ ...base, dueAt: openAt + random.int(1, 10) * 60_000, name: 'Email Link Clicked' });
      }
      const due = pending.filter((p) => p.dueAt <= now.getTime()).sort((a, b) => a.dueAt - b.dueAt);
      for (const p of due) {
        pending.splice(pending.indexOf(p), 1);
        await recordEmailEvent(
          db,
          {
            claims: {
              workspaceId: p.workspaceId,
              contactId: p.contactId,
              deliveryId: p.deliveryId,
              sentAt: p.sentAt,
              ...(p.name === 'Email Link Clicked' ? { linkIndex: 0, url: 'https://www.kizuna-demo.example/features' } : {}),
            },
            name: p.name,
            ip: '198.51.100.23',
            userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
            partitions,
          },
          clock,
        );
        recorded++;
      }
    },
    recorded: () => recorded,
  };
}

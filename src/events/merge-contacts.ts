import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { contactColumns } from '../contacts/contact-columns.ts';
import type { Clock } from '../platform/clock.ts';
import { noteContactChange, noteHistoryChanged } from '../platform/db/contact-changes.ts';
import type { ContactRow, DB } from '../platform/db/schema.ts';
import { moveScores } from '../scoring/runtime.ts';
import { moveMemberships } from '../segments/merge-memberships.ts';

const KEPT_AS_IS = new Set(['id', 'workspace_id', 'created_at', 'updated_at']);

/**
 * Merges `loserId` into `winnerId` inside the caller's transaction: the winner keeps its values
 * and takes the loser's where it has none (tags and bags are united), every event, external id,
 * anonymous id, consent record and form submission moves over, and a contact_merges row keeps the loser as it was.
 */
export async function mergeContacts(
  tx: Kysely<DB>,
  { workspaceId, winnerId, loserId, reason }: { workspaceId: string; winnerId: string; loserId: string; reason: string },
  clock: Clock,
): Promise<void> {
  if (winnerId === loserId) return;
  const rows = await tx
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', [winnerId, loserId])
    .orderBy('id')
    .forUpdate()
    .execute();
  const winner = rows.find((r) => r.id === winnerId);
  const loser = rows.find((r) => r.id === loserId);
  if (!winner || !loser) return;
  const now = clock.now();
  const loserIds = await tx
    .selectFrom('contact_external_ids')
    .select(['source', 'external_id'])
    .where('contact_id', '=', loserId)
    .execute();
  await tx
    .insertInto('contact_merges')
    .values({
      id: randomUUID(),
      workspace_id: workspaceId,
      winner_id: winnerId,
      loser_id: loserId,
      reason,
      loser: JSON.stringify({ ...loser, externalIds: loserIds }),
      merged_at: now,
    })
    .execute();
  // The loser's email is unique: free it before the winner may take it.
  await tx.updateTable('contacts').set({ email: null }).where('workspace_id', '=', workspaceId).where('id', '=', loserId).execute();
  await tx.updateTable('events').set({ contact_id: winnerId }).where('contact_id', '=', loserId).execute();
  await tx.updateTable('contact_anonymous_ids').set({ contact_id: winnerId }).where('contact_id', '=', loserId).execute();
  await tx.updateTable('consents').set({ contact_id: winnerId }).where('contact_id', '=', loserId).execute();
  await tx.updateTable('form_submissions').set({ contact_id: winnerId }).where('contact_id', '=', loserId).execute();
  const winnerSources = await tx.selectFrom('contact_external_ids').select('source').where('contact_id', '=', winnerId).execute();
  const taken = new Set(winnerSources.map((r) => r.source));
  await tx
    .updateTable('contact_external_ids')
    .set({ contact_id: winnerId })
    .where('contact_id', '=', loserId)
    .where((eb) => (taken.size ? eb('source', 'not in', [...taken]) : eb.lit(true)))
    .execute();
  await moveMemberships(tx, { workspaceId, winnerId, loserId }, now);
  await moveScores(tx, { winnerId, loserId });
  await tx.deleteFrom('contacts').where('workspace_id', '=', workspaceId).where('id', '=', loserId).execute();
  noteContactChange(tx, workspaceId, winnerId, ['all']);
  noteHistoryChanged(tx, winnerId);
  await tx
    .updateTable('contacts')
    .set(contactColumns({ ...fillGaps(winner, loser), updated_at: now }))
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', winnerId)
    .execute();
}

function fillGaps(winner: ContactRow, loser: ContactRow): Partial<ContactRow> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(loser) as [keyof ContactRow, unknown][]) {
    if (KEPT_AS_IS.has(key) || value === null) continue;
    if (key === 'tags') out.tags = [...new Set([...winner.tags, ...loser.tags])];
    else if (key === 'custom' || key === 'traits') out[key] = { ...loser[key], ...winner[key] };
    else if (key === 'first_seen_at') out[key] = earliest(winner.first_seen_at, loser.first_seen_at);
    else if (key === 'last_seen_at') out[key] = latest(winner.last_seen_at, loser.last_seen_at);
    else if (key === 'first_touch' && loser.first_seen_at && winner.first_seen_at && loser.first_seen_at < winner.first_seen_at)
      out[key] = value;
    else if (winner[key] === null || winner[key] === '') out[key] = value;
  }
  return out as Partial<ContactRow>;
}

function earliest(a: Date | null, b: Date | null): Date | null {
  return a && b ? (a < b ? a : b) : (a ?? b);
}

function latest(a: Date | null, b: Date | null): Date | null {
  return a && b ? (a > b ? a : b) : (a ?? b);
}

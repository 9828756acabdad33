import type { Kysely } from 'kysely';
import { listContacts, ZContactQuery } from '../../contacts/list-contacts.ts';
import { type Journey, listJourneys } from '../../journeys/journeys.ts';
import { contactJourneyTrace, type EnrolmentTrace, journeyStats } from '../../journeys/trace.ts';
import type { DB } from '../../platform/db/schema.ts';
import { KizunaError } from '../../platform/errors.ts';
import { type CliDeps, processCliDeps, withWorkspace } from '../cli-deps.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A journey named on the command line by id or by name (archived ones too). */
export async function resolveJourney(db: Kysely<DB>, workspaceId: string, ref: string): Promise<Journey> {
  const journeys = await listJourneys(db, workspaceId, { archived: true });
  const byId = UUID.test(ref) ? journeys.find((j) => j.id === ref.toLowerCase()) : undefined;
  if (byId) return byId;
  const named = journeys.filter((j) => j.name === ref);
  if (named.length === 1) return named[0]!;
  if (named.length > 1)
    throw new KizunaError('conflict', `${named.length} journeys are named "${ref}" (${named.map((j) => j.id).join(', ')}); give its id`);
  throw new KizunaError('not_found', `no journey with the id or name "${ref}"; see "kizuna journeys list"`);
}

/** A contact named on the command line by id or by email address. */
export async function resolveContactId(db: Kysely<DB>, workspaceId: string, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref.toLowerCase();
  if (!ref.includes('@')) throw new KizunaError('invalid_input', `contact: expected a contact id (UUID) or an email address, got "${ref}"`);
  const page = await listContacts(db, workspaceId, ZContactQuery.parse({ email: ref, limit: 1 }));
  const contact = page.items[0];
  if (!contact) throw new KizunaError('not_found', `no contact with the email ${ref} in this workspace`);
  return contact.id;
}

/** A time to the second in UTC, marked as such: `2026-04-01 01:00:00Z`. */
export function formatUtc(iso: string | null): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')}Z` : '—';
}

function describeDetail(detail: Record<string, unknown>): string {
  const parts = Object.entries(detail)
    // The dedupe key is for machines; empty values say nothing.
    .filter(([key, value]) => key !== 'dedupeKey' && value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length ? `  (${parts.join(', ')})` : '';
}

/** Per-node rows in the order the definition lists its nodes (nodes it no longer has last). */
export function inDefinitionOrder<T extends { nodeId: string }>(rows: readonly T[], nodeIds: readonly string[]): T[] {
  const rank = (id: string) => (nodeIds.includes(id) ? nodeIds.indexOf(id) : nodeIds.length);
  return [...rows].sort((a, b) => rank(a.nodeId) - rank(b.nodeId));
}

/** A contact's journeys as text: one block per enrolment, newest first, each step on its line. */
export function formatTrace(traces: readonly EnrolmentTrace[]): string {
  if (traces.length === 0) return 'this contact has not entered any journey\n';
  return traces
    .map((t) => {
      const ended = t.endedAt ? `ended ${formatUtc(t.endedAt)}${t.endReason ? ` (${t.endReason})` : ''}` : `at ${t.nodeId}`;
      const waking = t.status === 'active' && t.wakeAt ? `, next step ${formatUtc(t.wakeAt)}` : '';
      const head = `${t.journeyName} v${t.version} — ${t.status}; entered ${formatUtc(t.enteredAt)}, ${ended}${waking}\n`;
      const steps = t.steps.map((s) => `  ${formatUtc(s.at)}  ${s.nodeId.padEnd(20)} ${s.outcome}${describeDetail(s.detail)}\n`);
      return head + steps.join('');
    })
    .join('\n');
}

/** `kizuna journeys list`. */
export function runJourneysList(options: { archived: boolean; workspace?: string }, deps: CliDeps = processCliDeps): Promise<void> {
  return withWorkspace(deps, options.workspace, async ({ database }, workspaceId) => {
    const list = await listJourneys(database.db, workspaceId, { archived: options.archived });
    if (list.length === 0) deps.write('no journeys yet; create one with "kizuna apply -f journey.yaml"\n');
    // Active enrolments of every journey in one query (per-journey stats would read their whole step history).
    const counts = await database.db
      .selectFrom('journey_enrolments')
      .select(['journey_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'active')
      .groupBy('journey_id')
      .execute();
    const activeOf = new Map(counts.map((c) => [c.journey_id, Number(c.n)]));
    for (const j of list) {
      const active = activeOf.get(j.id) ?? 0;
      const version = j.publishedVersion ? `v${j.publishedVersion}` : '-';
      deps.write(`${j.id}  ${j.status.padEnd(8)}  ${version.padEnd(4)}  ${String(active).padStart(7)} active  ${j.name}\n`);
    }
  });
}

/** `kizuna journeys stats <journey>`. */
export function runJourneysStats(
  ref: string,
  options: { json: boolean; workspace?: string },
  deps: CliDeps = processCliDeps,
): Promise<void> {
  return withWorkspace(deps, options.workspace, async ({ database }, workspaceId) => {
    const journey = await resolveJourney(database.db, workspaceId, ref);
    const stats = await journeyStats(database.db, workspaceId, journey.id);
    if (options.json) return deps.write(`${JSON.stringify({ journeyId: journey.id, ...stats }, null, 2)}\n`);
    const enrolments = Object.entries(stats.enrolments).map(([status, n]) => `${n} ${status}`);
    deps.write(`${journey.name} (${journey.status}): ${enrolments.join(', ') || 'no enrolments yet'}\n`);
    deps.write(`${'node'.padEnd(20)} ${'reached'.padStart(8)} ${'waiting'.padStart(8)}  outcomes\n`);
    for (const n of inDefinitionOrder(
      stats.nodes,
      journey.draft.nodes.map((node) => node.id),
    )) {
      const outcomes = Object.entries(n.outcomes).map(([outcome, count]) => `${outcome} ${count}`);
      deps.write(`${n.nodeId.padEnd(20)} ${String(n.entered).padStart(8)} ${String(n.waiting).padStart(8)}  ${outcomes.join(', ')}\n`);
    }
  });
}

/** `kizuna journeys trace <contact>`. */
export function runJourneysTrace(
  ref: string,
  options: { json: boolean; workspace?: string },
  deps: CliDeps = processCliDeps,
): Promise<void> {
  return withWorkspace(deps, options.workspace, async ({ database }, workspaceId) => {
    const contactId = await resolveContactId(database.db, workspaceId, ref);
    const traces = await contactJourneyTrace(database.db, workspaceId, contactId);
    deps.write(options.json ? `${JSON.stringify(traces, null, 2)}\n` : formatTrace(traces));
  });
}

/**
 * What a unit of work changed about contacts, so that what depends on contacts (segments now,
 * scores and stages later) is brought up to date in the same transaction, for just those contacts
 * and just the definitions that mention what changed.
 *
 * Reasons are short keys: `all` (a new or merged contact), `field:<column>` (a contacts column;
 * custom values are `field:custom`), `company` (the contact's company or its fields),
 * `event:track:<name>`, `event:page`, `event:screen`, `event:identify`, `event:group`, `event:alias`,
 * `event:*` (earlier events attached to the contact), `consent`, `list:<id>`, `segment:<id>` and
 * `check:<segment id>` (a due time-window re-check).
 */
export class ContactChanges {
  readonly contacts = new Map<string, Map<string, Set<string>>>();
  /** Companies whose own fields changed: every contact of theirs is affected. */
  readonly companies = new Map<string, Set<string>>();
  /**
   * For the whole transaction (never taken), what scoring needs to resume replays safely: per
   * contact, the times (ms) of the events added to it, in the order added (-Infinity: earlier
   * events were attached or merged in); per `model/contact`, how many of those the model's score
   * had seen when last computed here; the contacts whose rows this transaction has locked.
   */
  readonly eventsAdded = new Map<string, number[]>();
  readonly replayed = new Map<string, number>();
  readonly locked = new Set<string>();
  /**
   * Per contact, the stage moves behind its `field:lifecycle_stage` reason (noteStageMove), so that
   * what reads the stage can tell whether a move changes anything for it; `stageWritten`: contacts
   * whose stage changed some other way too (then no one can tell: everything re-reads it).
   */
  readonly stageMoves = new Map<string, StageMove[]>();
  readonly stageWritten = new Set<string>();

  note(workspaceId: string, contactId: string, reasons: Iterable<string>): void {
    const set = this.reasonsOf(workspaceId, contactId);
    for (const reason of reasons) {
      set.add(reason);
      if (reason === STAGE_REASON) this.stageWritten.add(contactId);
    }
  }

  /** A contact's stage moved from one stage to another (a lifecycle transition). */
  noteStageMove(workspaceId: string, contactId: string, move: StageMove): void {
    this.reasonsOf(workspaceId, contactId).add(STAGE_REASON);
    getOrAdd(this.stageMoves, contactId, () => []).push(move);
  }

  /** The moves behind a contact's stage change, when moves are all there is to it; undefined when it changed otherwise too. */
  stageChangeOf(contactId: string): readonly StageMove[] | undefined {
    return this.stageWritten.has(contactId) ? undefined : this.stageMoves.get(contactId);
  }

  private reasonsOf(workspaceId: string, contactId: string): Set<string> {
    const byContact = getOrAdd(this.contacts, workspaceId, () => new Map<string, Set<string>>());
    return getOrAdd(byContact, contactId, () => new Set<string>());
  }

  noteCompany(workspaceId: string, companyId: string): void {
    getOrAdd(this.companies, workspaceId, () => new Set<string>()).add(companyId);
  }

  get empty(): boolean {
    return this.contacts.size === 0 && this.companies.size === 0;
  }

  /** Takes what was noted so far and starts afresh (reactions may note further changes). */
  take(): ContactChanges {
    const taken = new ContactChanges();
    for (const [k, v] of this.contacts) taken.contacts.set(k, v);
    for (const [k, v] of this.companies) taken.companies.set(k, v);
    for (const [k, v] of this.stageMoves) taken.stageMoves.set(k, v);
    for (const id of this.stageWritten) taken.stageWritten.add(id);
    this.contacts.clear();
    this.companies.clear();
    this.stageMoves.clear();
    this.stageWritten.clear();
    return taken;
  }
}

/** The reason of a contact whose lifecycle stage changed. */
export const STAGE_REASON = 'field:lifecycle_stage';

export interface StageMove {
  from: string | null;
  to: string | null;
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  const found = map.get(key);
  if (found !== undefined) return found;
  const made = create();
  map.set(key, made);
  return made;
}

const tracked = new WeakMap<object, ContactChanges>();

/** Starts collecting changes made through this transaction (done by `unitOfWork`). */
export function trackContactChanges(tx: object): ContactChanges {
  const changes = new ContactChanges();
  tracked.set(tx, changes);
  return changes;
}

/** The collector of the unit of work this transaction belongs to, if it was opened as one. */
export function contactChangesOf(tx: object): ContactChanges | undefined {
  return tracked.get(tx);
}

/** Records a contact's stage move (noted as a `field:lifecycle_stage` change, with where it moved from and to). */
export function noteStageMove(tx: object, workspaceId: string, contactId: string, move: StageMove): void {
  tracked.get(tx)?.noteStageMove(workspaceId, contactId, move);
}

/** Records that a contact changed, for the reactions at the end of the unit of work. */
export function noteContactChange(tx: object, workspaceId: string, contactId: string, reasons: Iterable<string>): void {
  tracked.get(tx)?.note(workspaceId, contactId, reasons);
}

/** Records the times of events just added to a contact (scores resume their replay only after its last event). */
export function noteEventsAdded(tx: object, contactId: string, times: Iterable<Date>): void {
  const changes = tracked.get(tx);
  if (!changes) return;
  const list = changes.eventsAdded.get(contactId) ?? [];
  for (const at of times) list.push(at.getTime());
  changes.eventsAdded.set(contactId, list);
}

/** Records that a contact's past changed (earlier events attached, a merge): its scores replay the whole history. */
export function noteHistoryChanged(tx: object, contactId: string): void {
  const changes = tracked.get(tx);
  if (!changes) return;
  changes.eventsAdded.set(contactId, [...(changes.eventsAdded.get(contactId) ?? []), Number.NEGATIVE_INFINITY]);
}

/** Records contacts whose rows this transaction has locked (updated), so scoring need not lock them again. */
export function noteLockedContacts(tx: object, contactIds: Iterable<string>): void {
  const changes = tracked.get(tx);
  if (!changes) return;
  for (const id of contactIds) changes.locked.add(id);
}

/** The reason key of one event row. */
export function eventReason(type: string, name: string | null): string {
  return type === 'track' ? `event:track:${name}` : `event:${type}`;
}

/** The reason keys of a changed contacts row (its changed columns). */
export function fieldReasons(columns: Iterable<string>): string[] {
  const out: string[] = [];
  for (const column of columns) {
    if (column === 'updated_at') continue;
    out.push(`field:${column}`);
    if (column === 'company_id') out.push('company');
  }
  return out;
}

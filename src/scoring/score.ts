import { bandOf, type ScoringModelDefinition } from './model.ts';

/** Points given outside the rules (a journey's score node), replayed as a line of their own. */
export interface ScoreAdjustment {
  /** The line in the breakdown (journey:<journey id>:<node id>); never a rule id. */
  line: string;
  points: number;
}

/** A scored event of the contact: which behaviour rules it matches. */
export interface ScoredEvent {
  id: string;
  at: Date;
  rules: string[];
}

export interface ContactScore {
  score: number;
  band: string | null;
  /** Points per rule id (attribute and behaviour rules), plus `decay` (negative). */
  points: Record<string, number>;
  /** The event that last changed each behaviour rule's points. */
  lastEvent: Record<string, string>;
  /** When decay will next take points, if it will. */
  nextDecayAt: Date | null;
}

const DAY = 86_400_000;

/**
 * Where a replay of a contact's scored events stands after its last event: enough to go on with
 * later events without reading the earlier ones again. Plain JSON (stored with the score).
 */
export interface ReplayState {
  /** Time (ms) of the last event that scored, for models with decay (inactivity counts from it); else null. */
  at: number | null;
  /** The last event read (scored or not): a resumed replay reads only the events after it. */
  seen: { at: number; id: string } | null;
  /** How many events the replay has read (scored or not). */
  read: number;
  /** Times each rule with `maxTimes` counted, and when each rule with `oncePerDays` last did (ms). */
  counted: Record<string, number>;
  lastCounted: Record<string, number>;
  /** Behaviour points per rule, in the order the rules first earned. */
  earned: Record<string, number>;
  /** The event that last changed each behaviour rule's points in this replay (not stored: the ledger's source of a change). */
  lastEvent: Record<string, string>;
  /** Behaviour points earned per capped group. */
  groups: Record<string, number>;
  behavior: number;
  /** Points decay took between activities (≤ 0). */
  decay: number;
}

export const emptyReplay = (): ReplayState => ({
  at: null,
  seen: null,
  read: 0,
  counted: {},
  lastCounted: {},
  earned: {},
  lastEvent: {},
  groups: {},
  behavior: 0,
  decay: 0,
});

/** Whether an event comes after another point of a history (in replay order: time, then id). */
export function isAfter(point: { at: number; id: string } | null, event: { at: number; id: string }): boolean {
  return point === null || event.at > point.at || (event.at === point.at && event.id > point.id);
}

/** Inactivity decay of earned behaviour points between two instants (mutates `state`). */
function decayBetween(model: ScoringModelDefinition, state: ReplayState, from: number, to: number): void {
  const decay = model.decay;
  if (!decay) return;
  for (let mark = 1; from + mark * decay.everyDays * DAY <= to; mark++) {
    const idleDays = mark * decay.everyDays;
    let take = 0;
    if ('steps' in decay) {
      for (const step of decay.steps) if (idleDays >= step.afterDays) take = step.points;
    } else if (idleDays >= decay.afterDays) take = Math.round((state.behavior * decay.percent) / 100);
    // Decay takes earned behaviour points only, never below zero.
    const taken = Math.min(take, Math.max(0, state.behavior));
    state.behavior -= taken;
    state.decay -= taken;
  }
}

/**
 * Replays scored events (pure) onto a replay state: behaviour rules with their limits, caps and
 * group caps, inactivity decay between activities. Events at or before the state's last event
 * must not be passed (the caller resumes only when every new event comes after it).
 */
export function replay(model: ScoringModelDefinition, from: ReplayState, events: readonly ScoredEvent[]): ReplayState {
  const state: ReplayState = {
    ...from,
    counted: { ...from.counted },
    lastCounted: { ...from.lastCounted },
    earned: { ...from.earned },
    lastEvent: { ...from.lastEvent },
    groups: { ...from.groups },
  };
  const rules = new Map(model.rules.map((r) => [r.id, r]));
  const groupCap = new Map(model.groups.map((g) => [g.id, g.cap]));
  const sorted = [...events].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1));
  for (const event of sorted) {
    const at = event.at.getTime();
    if (state.at !== null) decayBetween(model, state, state.at, at);
    // The last activity matters to decay only: without it, a repeat that earns nothing changes nothing.
    if (model.decay) state.at = at;
    for (const ruleId of event.rules) {
      const rule = rules.get(ruleId);
      if (rule?.kind !== 'behavior') continue;
      // Counts and times are kept only for the rules whose limits read them (the state is stored).
      const times = state.counted[rule.id] ?? 0;
      if (rule.maxTimes !== undefined && times >= rule.maxTimes) continue;
      const previous = state.lastCounted[rule.id];
      if (rule.oncePerDays !== undefined && previous !== undefined && at - previous < rule.oncePerDays * DAY) continue;
      if (rule.maxTimes !== undefined) state.counted[rule.id] = times + 1;
      if (rule.oncePerDays !== undefined) state.lastCounted[rule.id] = at;
      const earned = state.earned[rule.id] ?? 0;
      let next = earned + rule.points;
      if (rule.cap !== undefined) next = Math.max(-rule.cap, Math.min(rule.cap, next));
      let delta = next - earned;
      if (rule.group && groupCap.has(rule.group)) {
        const cap = groupCap.get(rule.group)!;
        const group = state.groups[rule.group] ?? 0;
        delta = Math.max(-cap, Math.min(cap, group + delta)) - group;
        state.groups[rule.group] = group + delta;
      }
      if (delta === 0) continue;
      state.earned[rule.id] = earned + delta;
      state.lastEvent[rule.id] = event.id;
      state.behavior += delta;
    }
  }
  return state;
}

/**
 * The score (pure) of a replay state now: decay up to `now`, attribute rules by their current
 * match (they count towards their group's cap too), adjustments, the total cap and the floor.
 */
export function finishScore(
  model: ScoringModelDefinition,
  replayed: ReplayState,
  {
    matchedAttributes,
    now,
    adjustments = [],
  }: { matchedAttributes: ReadonlySet<string>; now: Date; adjustments?: readonly ScoreAdjustment[] },
): ContactScore {
  const state: ReplayState = { ...replayed };
  const points: Record<string, number> = {};
  for (const rule of model.rules) {
    if (rule.kind === 'attribute' && matchedAttributes.has(rule.id)) points[rule.id] = rule.points;
  }
  Object.assign(points, replayed.earned);
  if (state.at !== null) decayBetween(model, state, state.at, now.getTime());
  if (state.decay) points.decay = state.decay;

  // Attribute points count towards their group's cap too.
  const groupCap = new Map(model.groups.map((g) => [g.id, g.cap]));
  let attribute = 0;
  const attributeByGroup = new Map<string, number>();
  for (const rule of model.rules) {
    if (rule.kind !== 'attribute' || !matchedAttributes.has(rule.id)) continue;
    if (rule.group && groupCap.has(rule.group)) {
      const cap = groupCap.get(rule.group)!;
      const group = (attributeByGroup.get(rule.group) ?? 0) + (state.groups[rule.group] ?? 0);
      const delta = Math.max(-cap, Math.min(cap, group + rule.points)) - group;
      attributeByGroup.set(rule.group, (attributeByGroup.get(rule.group) ?? 0) + delta);
      points[rule.id] = delta;
      attribute += delta;
    } else attribute += rule.points;
    if (points[rule.id] === 0) delete points[rule.id];
  }
  // Adjustments are neither activity nor earned behaviour: no decay, no group cap; the total cap
  // and the floor apply to them as to everything else.
  let adjusted = 0;
  for (const { line, points: given } of adjustments) {
    points[line] = (points[line] ?? 0) + given;
    if (points[line] === 0) delete points[line];
    adjusted += given;
  }
  let score = attribute + state.behavior + adjusted;
  if (model.cap !== undefined) score = Math.min(model.cap, score);
  score = Math.max(model.floor, score);
  // The total cap and the floor are a line of their own, so the points always add up to the score.
  const sum = Object.values(points).reduce((a, b) => a + b, 0);
  if (sum !== score) points.limit = score - sum;

  let nextDecayAt: Date | null = null;
  if (model.decay && state.at !== null && state.behavior > 0) {
    const every = model.decay.everyDays * DAY;
    const marks = Math.floor((now.getTime() - state.at) / every) + 1;
    nextDecayAt = new Date(state.at + marks * every);
  }
  return { score, band: bandOf(model, score), points, lastEvent: { ...replayed.lastEvent }, nextDecayAt };
}

/**
 * A contact's score (pure): attribute rules by their current match, behaviour rules replayed
 * over the scored events in time order with their limits and caps, inactivity decay between
 * activities and up to `now`, then group and total caps and the floor.
 */
export function scoreContact(
  model: ScoringModelDefinition,
  {
    matchedAttributes,
    events,
    now,
    adjustments = [],
  }: { matchedAttributes: ReadonlySet<string>; events: readonly ScoredEvent[]; now: Date; adjustments?: readonly ScoreAdjustment[] },
): ContactScore {
  return finishScore(model, replay(model, emptyReplay(), events), { matchedAttributes, now, adjustments });
}

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
  const points: Record<string, number> = {};
  const lastEvent: Record<string, string> = {};
  const rules = new Map(model.rules.map((r) => [r.id, r]));
  const groupCap = new Map(model.groups.map((g) => [g.id, g.cap]));
  const groupEarned = new Map<string, number>();
  const counted = new Map<string, number>();
  const lastCounted = new Map<string, number>();
  let behavior = 0;
  let decayTotal = 0;
  let lastActivity: number | undefined;

  for (const rule of model.rules) {
    if (rule.kind === 'attribute' && matchedAttributes.has(rule.id)) points[rule.id] = rule.points;
  }
  const decayBetween = (from: number, to: number) => {
    const decay = model.decay;
    if (!decay) return;
    for (let mark = 1; from + mark * decay.everyDays * DAY <= to; mark++) {
      const idleDays = mark * decay.everyDays;
      let take = 0;
      if ('steps' in decay) {
        for (const step of decay.steps) if (idleDays >= step.afterDays) take = step.points;
      } else if (idleDays >= decay.afterDays) take = Math.round((behavior * decay.percent) / 100);
      // Decay takes earned behaviour points only, never below zero.
      const taken = Math.min(take, Math.max(0, behavior));
      behavior -= taken;
      decayTotal -= taken;
    }
  };

  const sorted = [...events].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1));
  for (const event of sorted) {
    const at = event.at.getTime();
    if (lastActivity !== undefined) decayBetween(lastActivity, at);
    lastActivity = at;
    for (const ruleId of event.rules) {
      const rule = rules.get(ruleId);
      if (rule?.kind !== 'behavior') continue;
      const times = counted.get(rule.id) ?? 0;
      if (rule.maxTimes !== undefined && times >= rule.maxTimes) continue;
      const previous = lastCounted.get(rule.id);
      if (rule.oncePerDays !== undefined && previous !== undefined && at - previous < rule.oncePerDays * DAY) continue;
      counted.set(rule.id, times + 1);
      lastCounted.set(rule.id, at);
      const earned = points[rule.id] ?? 0;
      let next = earned + rule.points;
      if (rule.cap !== undefined) next = Math.max(-rule.cap, Math.min(rule.cap, next));
      let delta = next - earned;
      if (rule.group && groupCap.has(rule.group)) {
        const cap = groupCap.get(rule.group)!;
        const group = groupEarned.get(rule.group) ?? 0;
        delta = Math.max(-cap, Math.min(cap, group + delta)) - group;
        groupEarned.set(rule.group, group + delta);
      }
      if (delta === 0) continue;
      points[rule.id] = earned + delta;
      lastEvent[rule.id] = event.id;
      behavior += delta;
    }
  }
  if (lastActivity !== undefined) decayBetween(lastActivity, now.getTime());
  if (decayTotal) points.decay = decayTotal;

  // Attribute points count towards their group's cap too.
  let attribute = 0;
  const attributeByGroup = new Map<string, number>();
  for (const rule of model.rules) {
    if (rule.kind !== 'attribute' || !matchedAttributes.has(rule.id)) continue;
    if (rule.group && groupCap.has(rule.group)) {
      const cap = groupCap.get(rule.group)!;
      const group = (attributeByGroup.get(rule.group) ?? 0) + (groupEarned.get(rule.group) ?? 0);
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
  let score = attribute + behavior + adjusted;
  if (model.cap !== undefined) score = Math.min(model.cap, score);
  score = Math.max(model.floor, score);
  // The total cap and the floor are a line of their own, so the points always add up to the score.
  const sum = Object.values(points).reduce((a, b) => a + b, 0);
  if (sum !== score) points.limit = score - sum;

  let nextDecayAt: Date | null = null;
  if (model.decay && lastActivity !== undefined && behavior > 0) {
    const every = model.decay.everyDays * DAY;
    const marks = Math.floor((now.getTime() - lastActivity) / every) + 1;
    nextDecayAt = new Date(lastActivity + marks * every);
  }
  return { score, band: bandOf(model, score), points, lastEvent, nextDecayAt };
}

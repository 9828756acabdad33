import type { FieldIssue } from '../platform/errors.ts';
import { atoms, type Condition, type PropertyFilter, parseDateValue } from './condition.ts';
import { type FieldCatalog, type FieldSpec, operatorsFor } from './fields.ts';

export interface DefinitionContext {
  catalog: FieldCatalog;
  /** Segments of the workspace, with the segments each one's definitions (draft and published) refer to. */
  segments: Map<string, Set<string>>;
  lists: Set<string>;
  /** Published scoring models of the workspace, with their band names. */
  models?: Map<string, string[]>;
  /** The segment being saved (undefined for a new one or a preview). */
  selfId?: string;
}

const DATE_RELATIVE = new Set(['within_last_days', 'within_next_days', 'more_than_days_ago', 'anniversary_within_days']);

/** What is wrong with a condition in this workspace (pure): unknown fields, wrong operators or values, missing references, cycles. */
export function checkCondition(condition: Condition, context: DefinitionContext, root: (string | number)[] = ['condition']): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push({ path: path.join('.'), message });
  for (const [atom, path] of atoms(condition, root)) {
    switch (atom.type) {
      case 'field': {
        const spec = context.catalog.get(atom.field);
        if (!spec) {
          at(
            [...path, 'field'],
            `unknown field ${JSON.stringify(atom.field)}; declare custom fields first (custom.<key>, company.custom.<key>)`,
          );
          break;
        }
        const allowed = operatorsFor(spec);
        if (!allowed.includes(atom.operator)) {
          at(
            [...path, 'operator'],
            `${atom.operator} is not an operator for ${spec.path} (a ${spec.type} field); expected one of ${allowed.join(', ')}`,
          );
          break;
        }
        const problem = checkFieldValue(spec, atom.operator, atom.value);
        if (problem) at([...path, 'value'], problem);
        break;
      }
      case 'event':
      case 'event_time': {
        if (atom.call === 'track' && !atom.event) at([...path, 'event'], 'a track event condition needs the event name');
        atom.where.forEach((filter, i) => {
          const problem = checkPropertyValue(filter);
          if (problem) at([...path, 'where', i, 'value'], problem);
        });
        if (atom.type === 'event') checkWindow(atom.within, [...path, 'within'], at);
        else {
          const relative = atom.operator === 'within_last_days' || atom.operator === 'more_than_days_ago';
          if (relative && typeof atom.value !== 'number') at([...path, 'value'], `${atom.operator} expects a whole number of days`);
          if (!relative && typeof atom.value !== 'string')
            at([...path, 'value'], `${atom.operator} expects a date (YYYY-MM-DD) or an ISO 8601 timestamp`);
        }
        break;
      }
      case 'email':
        checkWindow(atom.within, [...path, 'within'], at);
        break;
      case 'segment':
        if (!context.segments.has(atom.segmentId)) at([...path, 'segmentId'], `no segment ${atom.segmentId} in this workspace`);
        else if (atom.segmentId === context.selfId || reaches(context.segments, atom.segmentId, context.selfId))
          at([...path, 'segmentId'], `segment ${atom.segmentId} refers back to this segment: segments must not form a cycle`);
        break;
      case 'list':
        if (!context.lists.has(atom.listId)) at([...path, 'listId'], `no list ${atom.listId} in this workspace`);
        break;
      case 'score':
      case 'band': {
        const bands = context.models?.get(atom.modelId);
        if (!bands) at([...path, 'modelId'], `no published scoring model ${atom.modelId} in this workspace`);
        else if (atom.type === 'band')
          atom.bands.forEach((band, i) => {
            if (!bands.includes(band))
              at([...path, 'bands', i], `the model has no band ${JSON.stringify(band)}; its bands are ${bands.join(', ')}`);
          });
        else if (atom.operator === 'between' && !Array.isArray(atom.value)) at([...path, 'value'], 'between expects [low, high]');
        else if (atom.operator !== 'between' && Array.isArray(atom.value))
          at([...path, 'value'], `${atom.operator} expects a single number`);
        else if (Array.isArray(atom.value) && atom.value[0] > atom.value[1]) at([...path, 'value'], 'between expects the low value first');
        break;
      }
    }
  }
  return issues;
}

/** Whether `target` can be reached from `start` through segment references. */
function reaches(graph: Map<string, Set<string>>, start: string, target: string | undefined): boolean {
  if (!target) return false;
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const next of graph.get(id) ?? []) stack.push(next);
  }
  return false;
}

function checkWindow(
  within: { lastDays: number } | { from: string; to: string } | undefined,
  path: (string | number)[],
  at: (path: (string | number)[], message: string) => void,
) {
  if (!within || 'lastDays' in within) return;
  const from = parseDateValue(within.from)!;
  const to = parseDateValue(within.to)!;
  const time = (d: typeof from) => ('day' in d ? Date.parse(`${d.day}T00:00:00Z`) : d.instant.getTime());
  if (time(from) > time(to)) at([...path, 'to'], 'the window must not end before it starts');
}

function checkFieldValue(spec: FieldSpec, operator: string, value: unknown): string | undefined {
  if (operator === 'is_set' || operator === 'is_empty') return value === undefined ? undefined : `${operator} takes no value`;
  if (value === undefined) return `${operator} needs a value`;
  if (DATE_RELATIVE.has(operator)) return isDays(value) ? undefined : `${operator} expects a whole number of days from 1 to 3660`;
  const scalar = (v: unknown): string | undefined => {
    switch (spec.type) {
      case 'number':
        return typeof v === 'number' && Number.isFinite(v) ? undefined : `expected a number, got ${JSON.stringify(v)}`;
      case 'boolean':
        return typeof v === 'boolean' ? undefined : `expected true or false, got ${JSON.stringify(v)}`;
      case 'timestamp':
      case 'date':
        return parseDateValue(v) ? undefined : `expected a date (YYYY-MM-DD) or an ISO 8601 timestamp, got ${JSON.stringify(v)}`;
      case 'enum':
      case 'multi_enum':
        return typeof v === 'string' && spec.options?.includes(v)
          ? undefined
          : `expected one of ${spec.options?.join(', ')}, got ${JSON.stringify(v)}`;
      default:
        return typeof v === 'string' ? undefined : `expected text, got ${JSON.stringify(v)}`;
    }
  };
  if (operator === 'in' || operator === 'not_in' || operator === 'contains_any' || operator === 'contains_all') {
    if (!Array.isArray(value) || value.length === 0) return `${operator} expects a non-empty list of values`;
    for (const v of value) {
      const problem = scalar(v);
      if (problem) return problem;
    }
    return undefined;
  }
  if (operator === 'between') {
    if (!Array.isArray(value) || value.length !== 2) return 'between expects a list of two values: [low, high]';
    const problem = scalar(value[0]) ?? scalar(value[1]);
    if (problem) return problem;
    const order = (v: unknown) =>
      spec.type === 'enum'
        ? (spec.options?.indexOf(String(v)) ?? 0)
        : spec.type === 'number'
          ? Number(v)
          : (() => {
              const d = parseDateValue(v)!;
              return 'day' in d ? Date.parse(`${d.day}T00:00:00Z`) : d.instant.getTime();
            })();
    return order(value[0]) > order(value[1]) ? 'between expects the low value first' : undefined;
  }
  if (Array.isArray(value)) return `${operator} expects a single value, not a list`;
  if ((spec.type === 'tags' || spec.type === 'multi_enum') && typeof value !== 'string')
    return `expected text, got ${JSON.stringify(value)}`;
  if (spec.type === 'tags') return undefined;
  return scalar(value);
}

function checkPropertyValue(filter: PropertyFilter): string | undefined {
  const { operator, value } = filter;
  if (operator === 'is_set' || operator === 'is_empty') return value === undefined ? undefined : `${operator} takes no value`;
  if (value === undefined) return `${operator} needs a value`;
  if (operator === 'in' || operator === 'not_in') {
    if (!Array.isArray(value) || value.length === 0) return `${operator} expects a non-empty list of values`;
    const kinds = new Set(value.map((v) => typeof v));
    if (kinds.size > 1 || kinds.has('boolean')) return `${operator} expects a list of texts or a list of numbers`;
    return undefined;
  }
  if (Array.isArray(value)) return `${operator} expects a single value, not a list`;
  if (['gt', 'gte', 'lt', 'lte'].includes(operator)) return typeof value === 'number' ? undefined : `${operator} expects a number`;
  if (['contains', 'not_contains', 'starts_with', 'ends_with'].includes(operator))
    return typeof value === 'string' ? undefined : `${operator} expects text`;
  return undefined;
}

function isDays(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 3660;
}

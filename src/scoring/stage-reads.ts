import { STAGE_REASON } from '../platform/db/contact-changes.ts';
import type { Condition, FieldCondition } from '../segments/condition.ts';
import type { FieldCatalog } from '../segments/fields.ts';

/** Operators whose negation is compiled as NOT of another (as `compileField` does). */
const NEGATED: Partial<Record<string, string>> = { neq: 'eq', not_in: 'in', not_contains: 'contains', is_set: 'is_empty' };

/** Text whose SQL `lower()` may differ from JavaScript's (letters with case beyond ASCII): not judged here. */
const uncertainCase = (x: string) => [...x].some((ch) => ch.charCodeAt(0) > 0x7f) && x.toLowerCase() !== x.toUpperCase();

/**
 * What a text field condition's base predicate (before NOT) comes to for a field value, as the
 * compiled SQL has it; 'unknown' where this does not mirror it exactly. SQL's null (a comparison
 * with no stage) counts as false: compiled conditions are two-valued, every null being read as
 * false (`coalesce(…, false)` under a NOT and at the top; AND and OR above it are monotone).
 */
function basePredicate(operator: string, value: unknown, field: string | null): boolean | 'unknown' {
  if (operator === 'is_empty') return field === null || field === '';
  const values = (Array.isArray(value) ? value : [value]).map(String);
  if (field === null) return ['eq', 'in', 'contains', 'starts_with', 'ends_with'].includes(operator) ? false : 'unknown';
  if (uncertainCase(field) || values.some(uncertainCase)) return 'unknown';
  const folded = field.toLowerCase();
  const [first = ''] = values.map((v) => v.toLowerCase());
  switch (operator) {
    case 'eq':
      return folded === first;
    case 'in':
      return values.some((v) => v.toLowerCase() === folded);
    case 'contains':
      return folded.includes(first);
    case 'starts_with':
      return folded.startsWith(first);
    case 'ends_with':
      return folded.endsWith(first);
    default:
      return 'unknown';
  }
}

function fieldConditions(condition: Condition, out: FieldCondition[] = []): FieldCondition[] {
  if (condition.type === 'and' || condition.type === 'or') for (const c of condition.conditions) fieldConditions(c, out);
  else if (condition.type === 'not') fieldConditions(condition.condition, out);
  else if (condition.type === 'field') out.push(condition);
  return out;
}

/**
 * For conditions that read the lifecycle stage: whether a move from one stage to another can
 * change any of them. Every other part of a condition is untouched by the move, so when each of
 * its stage comparisons comes out the same for both stages, so does the condition: whatever reads
 * only those conditions need not look again. Anything not mirrored exactly counts as a change.
 * @returns undefined when no condition reads the stage.
 * @example stageMoveMatters([{ type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'Customer' }], catalog)!('Lead', 'MQL') // false
 */
export function stageMoveMatters(
  conditions: readonly Condition[],
  catalog: FieldCatalog,
): ((from: string | null, to: string | null) => boolean) | undefined {
  const reads = conditions.flatMap((c) => fieldConditions(c)).filter((c) => catalog.get(c.field)?.reason === STAGE_REASON);
  if (reads.length === 0) return undefined;
  const textual = reads.every((c) => catalog.get(c.field)?.type === 'text');
  return (from, to) => {
    if (!textual) return true;
    return reads.some((c) => {
      const operator = NEGATED[c.operator] ?? c.operator;
      const [a, b] = [basePredicate(operator, c.value, from), basePredicate(operator, c.value, to)];
      return a === 'unknown' || b === 'unknown' || a !== b;
    });
  };
}

import { type RawBuilder, sql } from 'kysely';
import { eventReason } from '../platform/db/contact-changes.ts';
import { addDays, localDate, startOfLocalDay } from '../platform/time-zone.ts';
import {
  type Condition,
  type EventCondition,
  type EventTimeCondition,
  type FieldCondition,
  type PropertyFilter,
  parseDateValue,
  type Window,
} from './condition.ts';
import type { FieldCatalog, FieldSpec } from './fields.ts';

/**
 * Compiles conditions to parameterised SQL (values are always bound, never spliced).
 *
 * Time: relative dates are whole calendar days in the workspace's time zone, today included:
 * "within the last 7 days" is today and the six days before it, so an event ages out at the local
 * midnight seven days after the day it happened. An absolute date (YYYY-MM-DD) is a local day;
 * an ISO timestamp is an exact instant.
 */
export interface CompileContext {
  workspaceId: string;
  now: Date;
  timeZone: string;
  catalog: FieldCatalog;
  /** Evaluate for these contacts only (incremental updates); every subquery is narrowed to them. */
  contactIds?: readonly string[];
}

interface Scope extends CompileContext {
  today: string;
  usesCompany: boolean;
  /**
   * Under an odd number of NOTs. Only there must a test on a missing value say false rather
   * than NULL; elsewhere WHERE, AND and OR already treat NULL as false, and leaving the bare
   * comparison lets it use an index.
   */
  negated: boolean;
}

type Sql = RawBuilder<unknown>;

function scope(context: CompileContext): Scope {
  return { ...context, today: localDate(context.now, context.timeZone), usesCompany: false, negated: false };
}

/** SELECT c.id of every contact (or every given contact) matching the condition. */
export function membersQuery(condition: Condition, context: CompileContext): RawBuilder<{ id: string }> {
  const s = scope(context);
  const predicate = compileCondition(condition, s);
  return sql<{
    id: string;
  }>`SELECT c.id FROM contacts c ${from(s)} WHERE c.workspace_id = ${s.workspaceId} ${onlyContacts(s, sql.ref('c.id'))} AND ${predicate}`;
}

/** The SQL of the contacts table join used by a compiled predicate. */
function from(s: Scope): Sql {
  return s.usesCompany ? sql`LEFT JOIN companies co ON co.id = c.company_id` : sql``;
}

function onlyContacts(s: Scope, column: Sql): Sql {
  return s.contactIds ? sql`AND ${column} = ANY(${s.contactIds}::uuid[])` : sql``;
}

/** A two-valued SQL predicate over `c` (and `co`); compile before building the FROM clause. */
export function compileCondition(condition: Condition, s: Scope): Sql {
  switch (condition.type) {
    case 'and':
      return sql`(${sql.join(
        condition.conditions.map((c) => compileCondition(c, s)),
        sql` AND `,
      )})`;
    case 'or':
      return sql`(${sql.join(
        condition.conditions.map((c) => compileCondition(c, s)),
        sql` OR `,
      )})`;
    case 'not': {
      s.negated = !s.negated;
      const inner = compileCondition(condition.condition, s);
      s.negated = !s.negated;
      return sql`(NOT ${inner})`;
    }
    case 'field':
      return compileField(condition, s);
    case 'event':
      return compileEventCount(condition, s);
    case 'email':
      return compileEventCount(emailAsEvent(condition), s);
    case 'event_time':
      return compileEventTime(condition, s);
    case 'consent': {
      const latest = sql`(SELECT k.granted FROM consents k WHERE k.workspace_id = ${s.workspaceId} AND k.contact_id = c.id AND k.purpose = ${condition.purpose} ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1)`;
      return condition.state === 'granted'
        ? sql`(${latest} IS TRUE)`
        : condition.state === 'withdrawn'
          ? sql`(${latest} IS FALSE)`
          : sql`(${latest} IS NULL)`;
    }
    case 'segment':
      return sql`(c.id IN (SELECT m.contact_id FROM segment_members m WHERE m.segment_id = ${condition.segmentId} AND m.exited_at IS NULL ${onlyContacts(s, sql.ref('m.contact_id'))}))`;
    case 'list':
      return sql`(c.id IN (SELECT l.contact_id FROM list_members l WHERE l.list_id = ${condition.listId} ${onlyContacts(s, sql.ref('l.contact_id'))}))`;
    case 'score': {
      const cmp =
        condition.operator === 'between'
          ? sql`k.score BETWEEN ${(condition.value as number[])[0]}::int AND ${(condition.value as number[])[1]}::int`
          : sql`k.score ${sql.raw({ eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' }[condition.operator])} ${condition.value as number}::int`;
      return sql`(c.id IN (SELECT k.contact_id FROM contact_scores k WHERE k.model_id = ${condition.modelId} AND ${cmp} ${onlyContacts(s, sql.ref('k.contact_id'))}))`;
    }
    case 'band':
      return sql`(c.id IN (SELECT k.contact_id FROM contact_scores k WHERE k.model_id = ${condition.modelId} AND k.band = ANY(${condition.bands}::text[]) ${onlyContacts(s, sql.ref('k.contact_id'))}))`;
  }
}

/** Email engagement is the tracking events of opens and clicks. */
export function emailAsEvent(condition: Extract<Condition, { type: 'email' }>): EventCondition {
  const where: PropertyFilter[] = [];
  if (condition.campaignId) where.push({ property: 'campaignId', operator: 'eq', value: condition.campaignId });
  if (!condition.includeMachine) where.push({ property: 'machine', operator: 'eq', value: false });
  return {
    type: 'event',
    call: 'track',
    event: condition.action === 'opened' ? 'Email Opened' : 'Email Link Clicked',
    where,
    count: condition.count,
    within: condition.within,
  };
}

const twoValued = (predicate: Sql): Sql => sql`coalesce(${predicate}, false)`;
const positive = (predicate: Sql, s: Scope): Sql => (s.negated ? twoValued(predicate) : predicate);
const negative = (predicate: Sql): Sql => sql`(NOT ${twoValued(predicate)})`;

function compileField(condition: FieldCondition, s: Scope): Sql {
  const spec = s.catalog.get(condition.field);
  if (!spec) throw new Error(`unknown field ${condition.field} (definitions are checked before compiling)`);
  if (spec.reason === 'company') s.usesCompany = true;
  const { operator, value } = condition;
  const negated: Partial<Record<string, string>> = { neq: 'eq', not_in: 'in', not_contains: 'contains', is_set: 'is_empty' };
  const base = negated[operator];
  if (base) return negative(fieldPredicate(spec, base, value, s));
  return positive(fieldPredicate(spec, operator, value, s), s);
}

function fieldPredicate(spec: FieldSpec, operator: string, value: unknown, s: Scope): Sql {
  const v = spec.sql;
  const text = (x: unknown) => String(x);
  if (spec.type === 'timestamp' || spec.type === 'date') return datePredicate(spec, operator, value, s);
  if (spec.type === 'tags' || spec.type === 'multi_enum') {
    const tags = spec.type === 'tags';
    switch (operator) {
      case 'contains':
        return tags ? sql`(${v} @> ${[text(value)]}::text[])` : sql`(${v} @> jsonb_build_array(${text(value)}::text))`;
      case 'contains_any':
        return tags
          ? sql`(${v} && ${(value as unknown[]).map(text)}::text[])`
          : sql`EXISTS (SELECT 1 FROM jsonb_array_elements_text(${v}) AS x(v) WHERE x.v = ANY(${(value as unknown[]).map(text)}::text[]))`;
      case 'contains_all':
        return tags
          ? sql`(${v} @> ${(value as unknown[]).map(text)}::text[])`
          : sql`(${v} @> to_jsonb(${(value as unknown[]).map(text)}::text[]))`;
      case 'is_empty':
        return tags ? sql`(cardinality(${v}) = 0)` : sql`(coalesce(jsonb_array_length(${v}), 0) = 0)`;
    }
  }
  if (spec.type === 'number') {
    switch (operator) {
      case 'eq':
        return sql`(${v} = ${value}::numeric)`;
      case 'in':
        return sql`(${v} = ANY(${value}::numeric[]))`;
      case 'gt':
        return sql`(${v} > ${value}::numeric)`;
      case 'gte':
        return sql`(${v} >= ${value}::numeric)`;
      case 'lt':
        return sql`(${v} < ${value}::numeric)`;
      case 'lte':
        return sql`(${v} <= ${value}::numeric)`;
      case 'between': {
        const [low, high] = value as number[];
        return sql`(${v} BETWEEN ${low}::numeric AND ${high}::numeric)`;
      }
      case 'is_empty':
        return sql`(${v} IS NULL)`;
    }
  }
  if (spec.type === 'boolean') {
    if (operator === 'eq') return sql`(${v} = ${value}::boolean)`;
    if (operator === 'is_empty') return sql`(${v} IS NULL)`;
  }
  if (spec.type === 'enum') {
    const options = spec.options ?? [];
    const position = (x: Sql) => sql`array_position(${options}::text[], ${x})`;
    switch (operator) {
      case 'eq':
        return sql`(${v} = ${text(value)})`;
      case 'in':
        return sql`(${v} = ANY(${(value as unknown[]).map(text)}::text[]))`;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const cmp = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[operator];
        return sql`(${position(v)} ${sql.raw(cmp)} ${position(sql`${text(value)}::text`)})`;
      }
      case 'between': {
        const [low, high] = value as string[];
        return sql`(${position(v)} BETWEEN ${position(sql`${low}::text`)} AND ${position(sql`${high}::text`)})`;
      }
      case 'is_empty':
        return sql`(coalesce(${v}, '') = '')`;
    }
  }
  // Text: case-insensitive. Emails are stored lower-case, so their equality can use the index.
  const email = spec.type === 'email';
  const lower = (x: unknown) => text(x).toLowerCase();
  const folded = email ? v : sql`lower(${v})`;
  switch (operator) {
    case 'eq':
      return email ? sql`(${v} = ${lower(value)})` : sql`(lower(${v}) = ${lower(value)})`;
    case 'in':
      return email
        ? sql`(${v} = ANY(${(value as unknown[]).map(lower)}::text[]))`
        : sql`(lower(${v}) = ANY(${(value as unknown[]).map(lower)}::text[]))`;
    case 'contains':
      return sql`(strpos(${folded}, ${lower(value)}) > 0)`;
    case 'starts_with':
      return sql`starts_with(${folded}, ${lower(value)})`;
    case 'ends_with':
      return sql`(right(${folded}, ${lower(value).length}) = ${lower(value)})`;
    case 'is_empty':
      return sql`(coalesce(${v}, '') = '')`;
  }
  throw new Error(`operator ${operator} is not valid for ${spec.path} (definitions are checked before compiling)`);
}

/** The instant a local calendar day begins, as a bound parameter. */
const dayStart = (s: Scope, day: string): Sql => sql`${startOfLocalDay(day, s.timeZone)}::timestamptz`;
const localDay = (s: Scope, instant: Sql): Sql => sql`((${instant} AT TIME ZONE ${s.timeZone})::date)`;
const asDate = (day: string): Sql => sql`${day}::date`;

function datePredicate(spec: FieldSpec, operator: string, value: unknown, s: Scope): Sql {
  const v = spec.sql;
  const instantColumn = spec.type === 'timestamp';
  const day = instantColumn ? localDay(s, v) : v;
  const parsed = typeof value === 'string' ? parseDateValue(value) : undefined;
  // A date field compares calendar days: an instant given for it stands for its local day.
  const asDay = (p: ReturnType<typeof parseDateValue>) =>
    p && 'day' in p ? p.day : localDate((p as { instant: Date }).instant, s.timeZone);
  switch (operator) {
    case 'is_empty':
      return sql`(${v} IS NULL)`;
    case 'before':
      if (instantColumn)
        return parsed && 'instant' in parsed ? sql`(${v} < ${parsed.instant})` : sql`(${v} < ${dayStart(s, asDay(parsed))})`;
      return sql`(${day} < ${asDate(asDay(parsed))})`;
    case 'after':
      if (instantColumn)
        return parsed && 'instant' in parsed ? sql`(${v} > ${parsed.instant})` : sql`(${v} >= ${dayStart(s, addDays(asDay(parsed), 1))})`;
      return sql`(${day} > ${asDate(asDay(parsed))})`;
    case 'on': {
      const d = asDay(parsed);
      if (instantColumn) return sql`(${v} >= ${dayStart(s, d)} AND ${v} < ${dayStart(s, addDays(d, 1))})`;
      return sql`(${day} = ${asDate(d)})`;
    }
    case 'between': {
      const [low, high] = (value as string[]).map(parseDateValue);
      if (instantColumn) {
        const lowSql = low && 'instant' in low ? sql`${low.instant}::timestamptz` : dayStart(s, asDay(low));
        const highSql =
          high && 'instant' in high ? sql`(${v} <= ${high.instant}::timestamptz)` : sql`(${v} < ${dayStart(s, addDays(asDay(high), 1))})`;
        return sql`(${v} >= ${lowSql} AND ${highSql})`;
      }
      return sql`(${day} BETWEEN ${asDate(asDay(low))} AND ${asDate(asDay(high))})`;
    }
    case 'within_last_days': {
      const n = value as number;
      if (instantColumn) return sql`(${v} >= ${dayStart(s, addDays(s.today, 1 - n))} AND ${v} < ${dayStart(s, addDays(s.today, 1))})`;
      return sql`(${day} BETWEEN ${asDate(addDays(s.today, 1 - n))} AND ${asDate(s.today)})`;
    }
    case 'within_next_days': {
      const n = value as number;
      if (instantColumn) return sql`(${v} >= ${dayStart(s, s.today)} AND ${v} < ${dayStart(s, addDays(s.today, n))})`;
      return sql`(${day} BETWEEN ${asDate(s.today)} AND ${asDate(addDays(s.today, n - 1))})`;
    }
    case 'more_than_days_ago': {
      const n = value as number;
      if (instantColumn) return sql`(${v} < ${dayStart(s, addDays(s.today, 1 - n))})`;
      return sql`(${day} <= ${asDate(addDays(s.today, -n))})`;
    }
    case 'anniversary_within_days':
      return sql`(${nextAnniversary(day, s)} <= ${asDate(addDays(s.today, (value as number) - 1))})`;
  }
  throw new Error(`operator ${operator} is not valid for ${spec.path} (definitions are checked before compiling)`);
}

/**
 * The next anniversary of a date on or after today (29 February falls on 1 March in other years).
 */
function nextAnniversary(day: Sql, s: Scope): Sql {
  const year = Number(s.today.slice(0, 4));
  const on = (y: number) => sql`(make_date(${y}::int, extract(month FROM ${day})::int, 1) + (extract(day FROM ${day})::int - 1))`;
  return sql`(CASE WHEN ${on(year)} >= ${asDate(s.today)} THEN ${on(year)} ELSE ${on(year + 1)} END)`;
}

/** Rows of the events a condition counts: the call, the name, the window and the property filters. */
function eventFilter(condition: EventCondition | EventTimeCondition, window: Window | undefined, s: Scope): Sql {
  const parts: Sql[] = [sql`e.workspace_id = ${s.workspaceId}`, sql`e.contact_id IS NOT NULL`];
  if (condition.call === 'track') parts.push(sql`e.name = ${condition.event ?? ''}`, sql`e.type = 'track'`);
  else {
    parts.push(sql`e.type = ${condition.call}`);
    if (condition.event) parts.push(sql`e.name = ${condition.event}`);
  }
  if (window && 'lastDays' in window) parts.push(sql`e.occurred_at >= ${windowStart(window.lastDays, s)}`);
  else if (window) {
    const from = parseDateValue(window.from)!;
    const to = parseDateValue(window.to)!;
    parts.push(sql`e.occurred_at >= ${'instant' in from ? sql`${from.instant}::timestamptz` : dayStart(s, from.day)}`);
    parts.push(
      'instant' in to ? sql`e.occurred_at <= ${to.instant}::timestamptz` : sql`e.occurred_at < ${dayStart(s, addDays(to.day, 1))}`,
    );
  }
  for (const filter of condition.where) parts.push(propertyPredicate(filter, s));
  if (s.contactIds) parts.push(sql`e.contact_id = ANY(${s.contactIds}::uuid[])`);
  return sql.join(parts, sql` AND `);
}

/** For each given contact, whether each condition holds: `SELECT c.id, ARRAY[…] AS matches` (scoring's attribute rules). */
export function matchesQuery(conditions: readonly Condition[], context: CompileContext & { contactIds: readonly string[] }) {
  const s = scope(context);
  // One '0'/'1' character per condition: a text costs less to read back than a boolean array.
  const columns = conditions.map((condition) => sql`${twoValued(compileCondition(condition, s))}::int::text`);
  const matches = columns.length ? sql.join(columns, sql` || `) : sql`''`;
  // The contacts are found by primary key whatever the statistics say: the OFFSET 0 fence keeps the
  // planner from reading the whole workspace through an index on workspace_id when its statistics are
  // stale (PGlite between analyses, any table just after a bulk load).
  return sql<{ id: string; matches: string }>`SELECT c.id, ${matches} AS matches
    FROM (SELECT * FROM contacts WHERE id = ANY(${context.contactIds}::uuid[]) OFFSET 0) c ${from(s)}
    WHERE c.workspace_id = ${s.workspaceId}`;
}

/** An event selector (call, name, property filters) as a predicate over `e`: what scoring rules match events with. */
export function eventSelectorPredicate(
  selector: Pick<EventCondition, 'call' | 'event' | 'where'>,
  context: CompileContext,
): RawBuilder<boolean> {
  const s = scope(context);
  const parts: Sql[] =
    selector.call === 'track' ? [sql`e.name = ${selector.event ?? ''}`, sql`e.type = 'track'`] : [sql`e.type = ${selector.call}`];
  if (selector.call !== 'track' && selector.event) parts.push(sql`e.name = ${selector.event}`);
  for (const filter of selector.where) parts.push(propertyPredicate(filter, s));
  return sql<boolean>`coalesce(${sql.join(parts, sql` AND `)}, false)`;
}

function windowStart(lastDays: number, s: Scope): Sql {
  return dayStart(s, addDays(s.today, 1 - lastDays));
}

function compileEventCount(condition: EventCondition, s: Scope): Sql {
  const { operator, value } = condition.count;
  const filter = eventFilter(condition, condition.within, s);
  const atLeast = (n: number): Sql =>
    n <= 0
      ? sql`true`
      : n === 1
        ? sql`(c.id IN (SELECT e.contact_id FROM events e WHERE ${filter}))`
        : sql`(c.id IN (SELECT e.contact_id FROM events e WHERE ${filter} GROUP BY e.contact_id HAVING count(*) >= ${n}))`;
  if (operator === 'at_least') return atLeast(value);
  if (operator === 'at_most') return sql`(NOT ${atLeast(value + 1)})`;
  if (value === 0) return sql`(NOT ${atLeast(1)})`;
  return sql`(c.id IN (SELECT e.contact_id FROM events e WHERE ${filter} GROUP BY e.contact_id HAVING count(*) = ${value}))`;
}

function compileEventTime(condition: EventTimeCondition, s: Scope): Sql {
  const at = sql.raw(condition.occurrence === 'first' ? 'min(e.occurred_at)' : 'max(e.occurred_at)');
  let test: Sql;
  if (condition.operator === 'within_last_days') test = sql`${at} >= ${windowStart(condition.value as number, s)}`;
  else if (condition.operator === 'more_than_days_ago') test = sql`${at} < ${windowStart(condition.value as number, s)}`;
  else {
    const date = parseDateValue(condition.value)!;
    if (condition.operator === 'before')
      test = 'instant' in date ? sql`${at} < ${date.instant}::timestamptz` : sql`${at} < ${dayStart(s, date.day)}`;
    else test = 'instant' in date ? sql`${at} > ${date.instant}::timestamptz` : sql`${at} >= ${dayStart(s, addDays(date.day, 1))}`;
  }
  return sql`(c.id IN (SELECT e.contact_id FROM events e WHERE ${eventFilter(condition, undefined, s)} GROUP BY e.contact_id HAVING ${test}))`;
}

function propertyPredicate(filter: PropertyFilter, s: Scope): Sql {
  const path = filter.property.split('.');
  const textValue = sql`(e.properties #>> ${path}::text[])`;
  const json = sql`(e.properties #> ${path}::text[])`;
  const number = sql`(CASE WHEN jsonb_typeof(${json}) = 'number' THEN ${textValue}::numeric END)`;
  const { operator, value } = filter;
  const negated: Partial<Record<string, string>> = { neq: 'eq', not_in: 'in', not_contains: 'contains', is_set: 'is_empty' };
  const base = negated[operator] ?? operator;
  const lower = (x: unknown) => String(x).toLowerCase();
  let p: Sql;
  switch (base) {
    case 'eq':
      p =
        typeof value === 'number'
          ? sql`(${number} = ${value}::numeric)`
          : typeof value === 'boolean'
            ? sql`(${json} = to_jsonb(${value}::boolean))`
            : sql`(lower(${textValue}) = ${lower(value)})`;
      break;
    case 'in': {
      const values = value as unknown[];
      p =
        typeof values[0] === 'number'
          ? sql`(${number} = ANY(${values}::numeric[]))`
          : sql`(lower(${textValue}) = ANY(${values.map(lower)}::text[]))`;
      break;
    }
    case 'contains':
      p = sql`(strpos(lower(${textValue}), ${lower(value)}) > 0)`;
      break;
    case 'starts_with':
      p = sql`starts_with(lower(${textValue}), ${lower(value)})`;
      break;
    case 'ends_with':
      p = sql`(right(lower(${textValue}), ${lower(value).length}) = ${lower(value)})`;
      break;
    case 'gt':
      p = sql`(${number} > ${value}::numeric)`;
      break;
    case 'gte':
      p = sql`(${number} >= ${value}::numeric)`;
      break;
    case 'lt':
      p = sql`(${number} < ${value}::numeric)`;
      break;
    case 'lte':
      p = sql`(${number} <= ${value}::numeric)`;
      break;
    default:
      p = sql`(coalesce(${textValue}, '') = '')`;
  }
  // Inside an event subquery: the filter's own polarity only (an outer NOT negates the subquery, not the filter).
  return base === operator ? positive(p, { ...s, negated: false }) : negative(p);
}

/**
 * When each contact's result may next change with the passage of time alone (an event ages out
 * of a window, a date comes within range): `SELECT contact_id, due_at` for the contacts in scope,
 * only future times. Undefined when nothing in the condition depends on the clock.
 */
export function nextChecksQuery(
  condition: Condition,
  context: CompileContext,
): RawBuilder<{ contact_id: string; due_at: Date }> | undefined {
  const s = scope(context);
  const parts: Sql[] = [];
  const toInstant = (day: Sql) => sql`((${day})::timestamp AT TIME ZONE ${s.timeZone})`;
  const visit = (c: Condition): void => {
    if (c.type === 'and' || c.type === 'or') c.conditions.forEach(visit);
    else if (c.type === 'not') visit(c.condition);
    else if ((c.type === 'event' || c.type === 'email') && c.within && 'lastDays' in c.within) {
      const event = c.type === 'email' ? emailAsEvent(c) : c;
      const n = c.within.lastDays;
      // Events leave the window oldest first, each at the local midnight N days after its day, and
      // only a count crossing the threshold changes the result: "at least k" turns false when the
      // k-th newest leaves; "at most k" turns true when the (k+1)-th newest leaves; "exactly k"
      // changes when the count falls to k, or below it from exactly k.
      const { operator, value: k } = c.count;
      const newest = (t: number) =>
        t === 1 ? sql`max(e.occurred_at)` : sql`(array_agg(e.occurred_at ORDER BY e.occurred_at DESC))[${t}::int]`;
      let leaving: Sql | undefined;
      let threshold = 1;
      if (operator === 'at_least' && k >= 1) [leaving, threshold] = [newest(k), k];
      else if (operator === 'at_most') [leaving, threshold] = [newest(k + 1), k + 1];
      else if (operator === 'exactly' && k === 0) leaving = newest(1);
      else if (operator === 'exactly')
        [leaving, threshold] = [sql`(CASE WHEN count(*) = ${k}::int THEN min(e.occurred_at) ELSE ${newest(k + 1)} END)`, k];
      if (leaving)
        parts.push(
          sql`SELECT e.contact_id, ${toInstant(sql`${localDay(s, leaving)} + ${n}::int`)} AS due FROM events e WHERE ${eventFilter(event, c.within, s)} GROUP BY e.contact_id HAVING count(*) >= ${threshold}::int`,
        );
    } else if (c.type === 'event_time' && (c.operator === 'within_last_days' || c.operator === 'more_than_days_ago')) {
      const n = c.value as number;
      // The result flips when the occurrence is N days old; only occurrences inside the last N days
      // have that still ahead (for the last occurrence, older events cannot matter).
      const at = sql.raw(c.occurrence === 'first' ? 'min(e.occurred_at)' : 'max(e.occurred_at)');
      const window = c.occurrence === 'last' ? ({ lastDays: n } as const) : undefined;
      parts.push(
        sql`SELECT e.contact_id, ${toInstant(sql`${localDay(s, at)} + ${n}::int`)} AS due FROM events e WHERE ${eventFilter(c, window, s)} GROUP BY e.contact_id`,
      );
    } else if (c.type === 'field') {
      const flip = dateChange(c, s);
      if (flip) {
        const inner = scope(context);
        const spec = s.catalog.get(c.field)!;
        inner.usesCompany = spec.reason === 'company';
        parts.push(
          sql`SELECT c.id AS contact_id, ${toInstant(flip.change)} AS due FROM contacts c ${from(inner)} WHERE c.workspace_id = ${s.workspaceId} ${onlyContacts(s, sql.ref('c.id'))} AND ${flip.candidates} AND ${flip.change} IS NOT NULL`,
        );
      }
    }
  };
  visit(condition);
  if (parts.length === 0) return undefined;
  return sql<{
    contact_id: string;
    due_at: Date;
  }>`SELECT x.contact_id, min(x.due) AS due_at FROM (${sql.join(parts, sql` UNION ALL `)}) AS x WHERE x.due > ${s.now}::timestamptz GROUP BY x.contact_id`;
}

/** The local day on which a relative date test flips for this contact's value, if it ever does again. */
function dateChange(condition: FieldCondition, s: Scope): { change: Sql; candidates: Sql } | undefined {
  const spec = s.catalog.get(condition.field);
  if (!spec || (spec.type !== 'timestamp' && spec.type !== 'date')) return undefined;
  const instant = spec.type === 'timestamp';
  const day = instant ? localDay(s, spec.sql) : spec.sql;
  const today = asDate(s.today);
  const n = condition.value as number;
  // Values that can still flip (a cheap range test, so the CASE runs only for them): on or after a day.
  const fromDay = (d: string): Sql => (instant ? sql`${spec.sql} >= ${dayStart(s, d)}` : sql`${day} >= ${asDate(d)}`);
  switch (condition.operator) {
    case 'within_last_days':
      return {
        change: sql`(CASE WHEN ${day} > ${today} THEN ${day} WHEN ${day} >= ${today} - ${n - 1}::int THEN ${day} + ${n}::int END)`,
        candidates: fromDay(addDays(s.today, 1 - n)),
      };
    case 'within_next_days':
      return {
        change: sql`(CASE WHEN ${day} - ${n - 1}::int > ${today} THEN ${day} - ${n - 1}::int WHEN ${day} >= ${today} THEN ${day} + 1 END)`,
        candidates: fromDay(s.today),
      };
    case 'more_than_days_ago':
      return {
        change: sql`(CASE WHEN ${day} + ${n}::int > ${today} THEN ${day} + ${n}::int END)`,
        candidates: fromDay(addDays(s.today, 1 - n)),
      };
    case 'anniversary_within_days': {
      const next = nextAnniversary(day, s);
      return {
        change: sql`(CASE WHEN ${next} - ${n - 1}::int > ${today} THEN ${next} - ${n - 1}::int ELSE ${next} + 1 END)`,
        candidates: sql`${spec.sql} IS NOT NULL`,
      };
    }
    default:
      return undefined;
  }
}

/** What a condition reads: the change reasons that may alter its result, the segments it builds on, and whether time alone can. */
export function dependencies(condition: Condition): {
  reasons: Set<string>;
  segments: Set<string>;
  timeDependent: boolean;
  catalogFields: Set<string>;
} {
  const reasons = new Set<string>();
  const segments = new Set<string>();
  const catalogFields = new Set<string>();
  let timeDependent = false;
  const visit = (c: Condition): void => {
    switch (c.type) {
      case 'and':
      case 'or':
        c.conditions.forEach(visit);
        return;
      case 'not':
        visit(c.condition);
        return;
      case 'field':
        catalogFields.add(c.field);
        if (['within_last_days', 'within_next_days', 'more_than_days_ago', 'anniversary_within_days'].includes(c.operator))
          timeDependent = true;
        return;
      case 'event':
        reasons.add(eventReason(c.call, c.call === 'track' ? (c.event ?? '') : null));
        if (c.within && 'lastDays' in c.within) timeDependent = true;
        return;
      case 'email':
        reasons.add(eventReason('track', c.action === 'opened' ? 'Email Opened' : 'Email Link Clicked'));
        if (c.within && 'lastDays' in c.within) timeDependent = true;
        return;
      case 'event_time':
        reasons.add(eventReason(c.call, c.call === 'track' ? (c.event ?? '') : null));
        if (c.operator === 'within_last_days' || c.operator === 'more_than_days_ago') timeDependent = true;
        return;
      case 'consent':
        reasons.add('consent');
        return;
      case 'segment':
        segments.add(c.segmentId);
        reasons.add(`segment:${c.segmentId}`);
        return;
      case 'list':
        reasons.add(`list:${c.listId}`);
        return;
      case 'score':
      case 'band':
        reasons.add(`score:${c.modelId}`);
        return;
    }
  };
  visit(condition);
  return { reasons, segments, timeDependent, catalogFields };
}

import type { Kysely } from 'kysely';
import { lifecycleInForce } from '../lifecycle/lifecycle.ts';
import type { DB } from '../platform/db/schema.ts';
import type { FieldIssue } from '../platform/errors.ts';
import { checkCondition, type DefinitionContext } from '../segments/check-definition.ts';
import type { Condition } from '../segments/condition.ts';
import { definitionContext } from '../segments/segments.ts';
import { type ActionContext, checkActionNode, loadActionContext } from './actions.ts';
import { ACTION_NODE_TYPES, type ActionNode, type EventSelector, type JourneyDefinition, type JourneyNode } from './definition.ts';

type Path = (string | number)[];

/** One edge of the journey graph: the field that names the next node, and that node's id. */
export interface JourneyEdge {
  /** Relative to the node, e.g. ['next'], ['branches', 0, 'next'], ['next', 'timedOut']. */
  path: Path;
  target: string;
}

/** What a journey's references are checked against in its workspace. */
export interface JourneyContext {
  conditions: DefinitionContext;
  /** Templates of the workspace that are not archived, with whether they have a published version. */
  templates: Map<string, { isPublished: boolean }>;
  topics: Set<string>;
  forms: Set<string>;
  /** The workspace's lifecycle stages (published, else the draft or the defaults). */
  stages: string[];
  /** Lists, models, stages, fields and users the action nodes refer to. */
  actions: ActionContext;
}

/** The edges leaving a node, in the order the node lists them. */
export function edgesOf(node: JourneyNode): JourneyEdge[] {
  const edge = (path: Path, target: string | undefined) => (target === undefined ? [] : [{ path, target }]);
  switch (node.type) {
    case 'wait_for':
      return [...edge(['next', 'happened'], node.next.happened), ...edge(['next', 'timedOut'], node.next.timedOut)];
    case 'branch':
      return [...node.branches.flatMap((b, i) => edge(['branches', i, 'next'], b.next)), ...edge(['else'], node.else)];
    case 'split':
      return node.paths.flatMap((p, i) => edge(['paths', i, 'next'], p.next));
    case 'exit':
      return [];
    case 'wait':
      return [...edge(['next'], node.next), ...edge(['untilDate', 'ifPast'], node.untilDate?.ifPast)];
    default:
      return edge(['next'], node.next);
  }
}

/** Everything wrong with a journey in its workspace: its graph, its nodes' settings and what they refer to. */
export async function checkJourney(
  db: Kysely<DB>,
  workspaceId: string,
  definition: JourneyDefinition,
  root = 'definition',
): Promise<FieldIssue[]> {
  return [...checkJourneyGraph(definition, root), ...checkJourneyReferences(definition, await journeyContext(db, workspaceId), root)];
}

/** Loads what `checkJourneyReferences` needs from the workspace. */
export async function journeyContext(db: Kysely<DB>, workspaceId: string): Promise<JourneyContext> {
  const [conditions, templates, topics, forms, actions, lifecycle] = await Promise.all([
    definitionContext(db, workspaceId),
    db
      .selectFrom('templates')
      .select(['id', 'published_version'])
      .where('workspace_id', '=', workspaceId)
      .where('archived_at', 'is', null)
      .execute(),
    db.selectFrom('subscription_topics').select('key').where('workspace_id', '=', workspaceId).execute(),
    db.selectFrom('forms').select('id').where('workspace_id', '=', workspaceId).execute(),
    loadActionContext(db, workspaceId),
    lifecycleInForce(db, workspaceId),
  ]);
  return {
    conditions,
    templates: new Map(templates.map((t) => [t.id, { isPublished: t.published_version !== null }])),
    topics: new Set(topics.map((t) => t.key)),
    forms: new Set(forms.map((f) => f.id)),
    stages: [...lifecycle.stages, ...lifecycle.offPath],
    actions,
  };
}

/**
 * What is wrong with the graph (pure): duplicate ids, a start or edge naming no node, nodes
 * start cannot reach, cycles a contact could run round without waiting, waits that are unclear.
 */
export function checkJourneyGraph(definition: JourneyDefinition, root = 'definition'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const at = (path: Path, message: string) => issues.push({ path: [root, ...path].join('.'), message });
  const index = new Map<string, number>();
  definition.nodes.forEach((node, i) => {
    const first = index.get(node.id);
    if (first === undefined) index.set(node.id, i);
    else at(['nodes', i, 'id'], `node id "${node.id}" is used by nodes ${first} and ${i}; give each node its own id`);
  });
  if (!index.has(definition.start)) at(['start'], `start names "${definition.start}", which is not a node of this journey`);
  definition.nodes.forEach((node, i) => {
    for (const edge of edgesOf(node))
      if (!index.has(edge.target))
        at(['nodes', i, ...edge.path], `${describe(node)} leads to "${edge.target}", which is not a node of this journey`);
    checkNodeShape(node, (path, message) => at(['nodes', i, ...path], `${describe(node)}: ${message}`));
  });
  if (index.has(definition.start)) {
    const reached = reachable(definition, index);
    definition.nodes.forEach((node, i) => {
      if (index.get(node.id) === i && !reached.has(node.id))
        at(['nodes', i], `${describe(node)} cannot be reached from start "${definition.start}"; connect it or remove it`);
    });
  }
  for (const cycle of cyclesWithoutWait(definition, index)) {
    const node = definition.nodes[index.get(cycle[0]!)!]!;
    at(
      ['nodes', index.get(node.id)!],
      `${describe(node)} is on a cycle without a wait (${[...cycle, cycle[0]].join(' → ')}); put a wait or wait_for on it so contacts cannot loop at once`,
    );
  }
  return issues;
}

/** What is wrong with what the nodes and trigger refer to in the workspace (pure, given the context). */
export function checkJourneyReferences(definition: JourneyDefinition, context: JourneyContext, root = 'definition'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const at = (path: Path, message: string) => issues.push({ path: [root, ...path].join('.'), message });
  const { trigger } = definition;
  if (trigger.type === 'form_submitted' && !context.forms.has(trigger.formId))
    at(['trigger', 'formId'], `no form ${trigger.formId} in this workspace`);
  if ((trigger.type === 'segment_entered' || trigger.type === 'segment_exited') && !context.conditions.segments.has(trigger.segmentId))
    at(['trigger', 'segmentId'], `no segment ${trigger.segmentId} in this workspace`);
  if (trigger.type === 'score_band') {
    const bands = context.conditions.models?.get(trigger.modelId);
    if (!bands) at(['trigger', 'modelId'], `no published scoring model ${trigger.modelId} in this workspace`);
    else if (!bands.includes(trigger.band))
      at(['trigger', 'band'], `the model has no band "${trigger.band}" (its bands: ${bands.join(', ')})`);
  }
  if (trigger.type === 'date') issues.push(...checkDateField(trigger.field, context, [root, 'trigger', 'field']));
  if (trigger.type === 'stage_changed')
    for (const key of ['to', 'from'] as const) {
      const stage = trigger[key];
      if (stage !== undefined && !context.stages.includes(stage))
        at(['trigger', key], `no lifecycle stage "${stage}" (stages: ${context.stages.join(', ')})`);
    }
  if (definition.enrolWhen) issues.push(...checkCondition(definition.enrolWhen, context.conditions, [root, 'enrolWhen']));
  definition.goals.forEach((goal, i) => {
    if (goal.stage !== undefined && !context.stages.includes(goal.stage))
      at(['goals', i, 'stage'], `no lifecycle stage "${goal.stage}" (stages: ${context.stages.join(', ')})`);
  });
  const selectors: [EventSelector, Path][] = [
    ...(trigger.type === 'event' ? [[trigger.selector, ['trigger', 'selector']] as [EventSelector, Path]] : []),
    ...definition.goals.flatMap((goal, i): [EventSelector, Path][] => (goal.selector ? [[goal.selector, ['goals', i, 'selector']]] : [])),
    ...definition.exitOn.map((selector, i): [EventSelector, Path] => [selector, ['exitOn', i]]),
  ];
  for (const [selector, path] of selectors) issues.push(...checkSelector(selector, context, [root, ...path]));
  definition.nodes.forEach((node, i) => {
    const path: Path = [root, 'nodes', i];
    const named = (found: FieldIssue[]) => found.map((issue) => ({ ...issue, message: `${describe(node)}: ${issue.message}` }));
    if (node.type === 'send') issues.push(...named(checkSend(node, context, path)));
    if (node.type === 'wait_for' && node.selector) issues.push(...named(checkSelector(node.selector, context, [...path, 'selector'])));
    if (node.type === 'wait_for' && node.condition)
      issues.push(...named(checkCondition(node.condition, context.conditions, [...path, 'condition'])));
    if ((ACTION_NODE_TYPES as readonly string[]).includes(node.type))
      issues.push(...named(checkActionNode(node as ActionNode, context.actions, path)));
    if (node.type === 'branch')
      node.branches.forEach((b, j) => {
        issues.push(...named(checkCondition(b.condition, context.conditions, [...path, 'branches', j, 'condition'])));
      });
    if (node.type === 'wait' && node.untilDate && !/^event\.[A-Za-z0-9_.-]+$/.test(node.untilDate.field))
      issues.push(...named(checkDateField(node.untilDate.field, context, [...path, 'untilDate', 'field'])));
  });
  return issues;
}

/** A date or timestamp field of the contact (what date waits and date triggers count from). */
function checkDateField(field: string, context: JourneyContext, path: Path): FieldIssue[] {
  const spec = context.conditions.catalog.get(field);
  if (spec && !spec.path.startsWith('company.') && (spec.type === 'date' || spec.type === 'timestamp')) return [];
  return [
    {
      path: path.join('.'),
      message: `"${field}" is not a date field of the contact; expected one of ${dateFields(context).join(', ')}${
        path.includes('untilDate') ? ', or event.<property> of the trigger event' : ''
      }`,
    },
  ];
}

function checkNodeShape(node: JourneyNode, at: (path: Path, message: string) => void) {
  if (node.type === 'wait') {
    const given = (['duration', 'until', 'untilDate'] as const).filter((k) => node[k] !== undefined);
    if (given.length !== 1)
      at([], `a wait needs exactly one of duration, until or untilDate (got ${given.length ? given.join(' and ') : 'none'})`);
    if (node.businessHours && !node.duration) at(['businessHours'], 'businessHours counts a duration: use it with duration');
    if (node.businessHours && node.businessHours.start >= node.businessHours.end)
      at(['businessHours', 'end'], `business hours end (${node.businessHours.end}) must be after they start (${node.businessHours.start})`);
    if (node.untilDate && node.untilDate.offsetMinutes !== 0 && node.untilDate.time !== undefined)
      at(['untilDate', 'offsetMinutes'], 'offsetMinutes shifts a timestamp taken as it is: use it without time');
  }
  if (node.type === 'wait_for' && (node.selector === undefined) === (node.condition === undefined))
    at([], `a wait-for needs exactly one of selector (an event) or condition (on the contact) (got ${node.selector ? 'both' : 'neither'})`);
  if (node.type === 'wait_for' && node.next.timedOut === undefined)
    at(
      ['next', 'timedOut'],
      'a wait-for without a timeout exit; set next.timedOut to the node contacts go to when the event does not come',
    );
  if (node.type === 'split') {
    const seen = new Set<string>();
    node.paths.forEach((p, i) => {
      if (seen.has(p.key)) at(['paths', i, 'key'], `the path key "${p.key}" is used twice; give each path its own key`);
      seen.add(p.key);
    });
  }
}

function checkSend(node: Extract<JourneyNode, { type: 'send' }>, context: JourneyContext, path: Path): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const at = (field: string, message: string) => issues.push({ path: [...path, field].join('.'), message });
  if (node.channel === 'email') {
    const template = node.templateId ? context.templates.get(node.templateId) : undefined;
    if (!node.templateId) at('templateId', 'an email needs a templateId');
    else if (!template) at('templateId', `no template ${node.templateId} in this workspace`);
    else if (!template.isPublished) at('templateId', `template ${node.templateId} has no published version: publish it first`);
  }
  if (node.channel === 'sms' && !node.body) at('body', 'an SMS needs a body (Liquid text)');
  if (node.channel === 'webhook') {
    if (!node.url) at('url', 'a webhook needs the url to POST to');
    if (!node.secret) at('secret', 'a webhook needs a whsec_… signing secret');
  }
  if (node.topic !== undefined && !context.topics.has(node.topic)) at('topic', `no subscription topic "${node.topic}" in this workspace`);
  return issues;
}

/** A selector's property filters are checked as an event condition's would be. */
function checkSelector(selector: EventSelector, context: JourneyContext, path: Path): FieldIssue[] {
  const condition = { type: 'event', ...selector, count: { operator: 'at_least', value: 1 } } as Condition;
  return checkCondition(condition, context.conditions, path);
}

function dateFields(context: JourneyContext): string[] {
  return context.conditions.catalog.names().filter((name) => {
    const spec = context.conditions.catalog.get(name);
    return !name.startsWith('company.') && (spec?.type === 'date' || spec?.type === 'timestamp');
  });
}

function reachable(definition: JourneyDefinition, index: Map<string, number>): Set<string> {
  const seen = new Set<string>();
  const stack = [definition.start];
  while (stack.length) {
    const id = stack.pop()!;
    const node = definition.nodes[index.get(id) ?? -1];
    if (!node || seen.has(id)) continue;
    seen.add(id);
    for (const edge of edgesOf(node)) stack.push(edge.target);
  }
  return seen;
}

/**
 * One cycle (as node ids, in order) per strongly connected part of the graph left once waits
 * are taken out: a contact on such a cycle would run round it within one step of the worker.
 */
function cyclesWithoutWait(definition: JourneyDefinition, index: Map<string, number>): string[][] {
  // A wait on a condition that already holds passes at once: only its timedOut exit surely waited.
  const isWait = (id: string) => {
    const node = definition.nodes[index.get(id) ?? -1];
    return node === undefined || node.type === 'wait' || (node.type === 'wait_for' && !node.condition);
  };
  const graph = new Map<string, string[]>();
  for (const [id, i] of index) {
    const node = definition.nodes[i]!;
    if (!isWait(id))
      graph.set(
        id,
        edgesOf(node)
          .filter((e) => !(node.type === 'wait_for' && e.path[1] === 'timedOut'))
          .map((e) => e.target)
          .filter((t) => !isWait(t)),
      );
  }
  return stronglyConnected(graph).flatMap((part) => {
    const [first] = part;
    const cycle = part.length > 1 || graph.get(first!)!.includes(first!) ? cycleThrough(graph, first!, new Set(part)) : undefined;
    return cycle ? [cycle] : [];
  });
}

/** Tarjan's strongly connected components, each listed in the graph's insertion order. */
function stronglyConnected(graph: Map<string, string[]>): string[][] {
  const order = [...graph.keys()];
  const low = new Map<string, number>();
  const number = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const parts: string[][] = [];
  const visit = (id: string) => {
    number.set(id, number.size);
    low.set(id, number.get(id)!);
    stack.push(id);
    onStack.add(id);
    for (const next of graph.get(id)!) {
      if (!number.has(next)) {
        visit(next);
        low.set(id, Math.min(low.get(id)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(id, Math.min(low.get(id)!, number.get(next)!));
    }
    if (low.get(id) !== number.get(id)) return;
    const part: string[] = [];
    let top: string;
    do {
      top = stack.pop()!;
      onStack.delete(top);
      part.push(top);
    } while (top !== id);
    parts.push(part.sort((a, b) => order.indexOf(a) - order.indexOf(b)));
  };
  for (const id of order) if (!number.has(id)) visit(id);
  return parts.sort((a, b) => order.indexOf(a[0]!) - order.indexOf(b[0]!));
}

/** The shortest way from `start` back to itself inside `part` (breadth first). */
function cycleThrough(graph: Map<string, string[]>, start: string, part: Set<string>): string[] | undefined {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const id = queue.shift()!;
    for (const next of graph.get(id)!) {
      if (!part.has(next)) continue;
      if (next === start) {
        const cycle = [id];
        while (cycle[0] !== start) cycle.unshift(cameFrom.get(cycle[0]!)!);
        return cycle;
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, id);
        queue.push(next);
      }
    }
  }
  return undefined;
}

function describe(node: JourneyNode): string {
  return `${node.type} node "${node.id}"`;
}

import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ZJourneyDefinition } from '../../journeys/definition.ts';
import { type SimulationReport, simulateJourney } from '../../journeys/simulate.ts';
import { invalidInput, KizunaError } from '../../platform/errors.ts';
import { type CliDeps, processCliDeps, withWorkspace } from '../cli-deps.ts';
import { assertUuid } from '../runtime.ts';
import { formatUtc, inDefinitionOrder, resolveContactId, resolveJourney } from './journeys-run.ts';

const SHOWN_MESSAGES = 20;

function parseDate(value: string, option: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new KizunaError(
      'invalid_input',
      `${option}: expected an ISO date such as 2026-04-01 or 2026-04-01T09:00:00+09:00, got "${value}"`,
    );
  return date;
}

/** A definition from a file: a journey document of `kizuna apply` (its `definition`), or a bare definition. */
async function readDefinition(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw invalidInput([{ path, message: `cannot read the file: ${(error as Error).message}` }]);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw invalidInput([{ path, message: `cannot read it as YAML or JSON: ${(error as Error).message.split('\n')[0]}` }]);
  }
  const doc = value as { kind?: unknown; definition?: unknown } | null;
  return doc && typeof doc === 'object' && 'definition' in doc && 'kind' in doc ? doc.definition : value;
}

/** The report as text: per node, how the journey ended, conversions, and the first messages. */
export function formatSimulation(name: string, report: SimulationReport, types: Map<string, string>): string {
  const lines = [
    `${name}: ${formatUtc(report.window.from)} → ${formatUtc(report.window.to)}, replayed ${report.replayed.events} events and ${report.replayed.signals} signals; ${report.entered} entered`,
    '',
    `${'node'.padEnd(20)} ${'type'.padEnd(12)} ${'reached'.padStart(8)} ${'waiting'.padStart(8)}  outcomes`,
  ];
  for (const n of inDefinitionOrder(report.stats.nodes, [...types.keys()])) {
    const outcomes = Object.entries(n.outcomes).map(([outcome, count]) => `${outcome} ${count}`);
    const type = types.get(n.nodeId) ?? '';
    lines.push(
      `${n.nodeId.padEnd(20)} ${type.padEnd(12)} ${String(n.entered).padStart(8)} ${String(n.waiting).padStart(8)}  ${outcomes.join(', ')}`,
    );
  }
  const ended = Object.entries(report.stats.enrolments).map(([status, n]) => `${n} ${status === 'active' ? 'still active' : status}`);
  const conversions = Object.entries(report.conversions).map(([goal, n]) => `${goal} ${n}`);
  lines.push('', `ended: ${ended.join(', ') || 'nobody entered'}`, `conversions: ${conversions.join(', ') || 'none'}`);
  const byChannel = new Map<string, number>();
  for (const m of report.messages) byChannel.set(m.channel, (byChannel.get(m.channel) ?? 0) + 1);
  const channels = [...byChannel].map(([channel, n]) => `${channel} ${n}`).join(', ');
  lines.push(`messages: ${report.messages.length} would be sent${channels ? ` (${channels})` : ''}`);
  for (const m of report.messages.slice(0, SHOWN_MESSAGES))
    lines.push(
      `  ${formatUtc(m.at)}  ${m.nodeId.padEnd(20)} ${m.channel.padEnd(7)} ${m.contactId}${m.templateId ? `  template ${m.templateId}` : ''}`,
    );
  if (report.messages.length > SHOWN_MESSAGES)
    lines.push(`  … and ${report.messages.length - SHOWN_MESSAGES} more (--json lists them all)`);
  return `${lines.join('\n')}\n`;
}

export interface SimulateOptions {
  journey: string;
  file?: string;
  from: string;
  to: string;
  segment?: string;
  contact?: string[];
  json: boolean;
  workspace?: string;
}

/** `kizuna simulate`: replays the window through the journey's draft (or the file's definition) and prints the report. */
export async function runSimulate(options: SimulateOptions, deps: CliDeps = processCliDeps): Promise<void> {
  const from = parseDate(options.from, '--from');
  const to = parseDate(options.to, '--to');
  if (options.segment) assertUuid(options.segment, '--segment');
  const definition = options.file === undefined ? undefined : await readDefinition(options.file);
  await withWorkspace(deps, options.workspace, async ({ database }, workspaceId) => {
    const { db } = database;
    const journey = await resolveJourney(db, workspaceId, options.journey);
    const contactIds = options.contact ? await Promise.all(options.contact.map((c) => resolveContactId(db, workspaceId, c))) : undefined;
    const enrol = options.segment || contactIds ? { segmentId: options.segment, contactIds } : undefined;
    const report = await simulateJourney(db, workspaceId, { journeyId: journey.id, from, to, definition, enrol });
    if (options.json) return deps.write(`${JSON.stringify(report, null, 2)}\n`);
    const nodes = definition === undefined ? journey.draft.nodes : (ZJourneyDefinition.safeParse(definition).data?.nodes ?? []);
    deps.write(formatSimulation(journey.name, report, new Map(nodes.map((n) => [n.id, n.type]))));
  });
}

import { z } from 'zod';
import { type FieldIssue, invalidInput, issuesFromZod, KizunaError } from '../platform/errors.ts';
import {
  APPLY_KINDS,
  APPLY_PORTS,
  type ApplyContext,
  type ApplyInput,
  type ApplyKind,
  type StoredObject,
  sameDocument,
} from './apply-kinds.ts';

/** One document of an apply: where it came from (`deploy.yaml document 2`) and its parsed value. */
export interface ApplyDocument {
  source: string;
  value: unknown;
}

/** What apply did (or, in a dry run, would do) with one document. */
export interface ApplyResult {
  source: string;
  kind: ApplyKind;
  name: string;
  /** null: a dry run of a create. */
  id: string | null;
  outcome: 'created' | 'updated' | 'unchanged';
  /** The version published by this apply (0 in a dry run: a version would be published). */
  publishedVersion?: number;
}

interface Planned {
  source: string;
  kind: ApplyKind;
  input: ApplyInput;
  existing: StoredObject | undefined;
  outcome: ApplyResult['outcome'];
  isPublishing: boolean;
}

const ZEnvelope = z.object({
  kind: z.enum(APPLY_KINDS, { error: `expected kind ${APPLY_KINDS.join(', ')}` }),
});

/**
 * Applies documents declaratively: each creates the object of its kind with its name, or updates
 * that object's draft; `publish` publishes what changed. Every document is validated first (as
 * publish would check it): one invalid document and nothing is written, with each problem named
 * by its document and field. Writes go template → segment → scoring model → journey, so a
 * journey can send a template this same apply publishes.
 */
export async function applyDocuments(
  ctx: ApplyContext,
  documents: readonly ApplyDocument[],
  {
    publish = false,
    dryRun = false,
    onResult = () => {},
  }: { publish?: boolean; dryRun?: boolean; onResult?: (r: ApplyResult) => void } = {},
): Promise<ApplyResult[]> {
  const plan = await planDocuments(ctx, documents, publish);
  const ordered = [...plan].sort((a, b) => APPLY_KINDS.indexOf(a.kind) - APPLY_KINDS.indexOf(b.kind));
  const results: ApplyResult[] = [];
  for (const p of ordered) {
    const port = APPLY_PORTS[p.kind];
    let id = p.existing?.id ?? null;
    if (!dryRun && p.outcome === 'created') id = await port.create(ctx, p.input);
    if (!dryRun && p.outcome === 'updated') await port.update(ctx, id!, p.input);
    const publishedVersion = p.isPublishing ? (dryRun ? 0 : await port.publish(ctx, id!)) : undefined;
    const result: ApplyResult = { source: p.source, kind: p.kind, name: p.input.name, id, outcome: p.outcome, publishedVersion };
    results.push(result);
    onResult(result);
  }
  return results;
}

/** Validates every document against the workspace and decides what to do with each; writes nothing. */
async function planDocuments(ctx: ApplyContext, documents: readonly ApplyDocument[], publish: boolean): Promise<Planned[]> {
  const issues: FieldIssue[] = [];
  const invalid = new Set<string>();
  const report = (source: string, label: string, issue: FieldIssue) => {
    invalid.add(source);
    issues.push({ ...issue, path: `${label} ${issue.path}`.trim() });
  };
  const stored = new Map<ApplyKind, Promise<StoredObject[]>>();
  const storedOf = (kind: ApplyKind) => {
    if (!stored.has(kind)) stored.set(kind, APPLY_PORTS[kind].list(ctx));
    return stored.get(kind)!;
  };
  const seen = new Map<string, string>();
  const drafts: { source: string; kind: ApplyKind; input: ApplyInput; existing?: StoredObject; label: string }[] = [];
  for (const { source, value } of documents) {
    const at = (label: string) => (issue: FieldIssue) => report(source, label, issue);
    const envelope = ZEnvelope.safeParse(value);
    if (!envelope.success) {
      issuesFromZod(envelope.error).forEach(at(source));
      continue;
    }
    const { kind } = envelope.data;
    const { kind: _, ...body } = value as Record<string, unknown>;
    const label = `${source} (${kind}${typeof body.name === 'string' ? ` "${body.name}"` : ''})`;
    const parsed = APPLY_PORTS[kind].input.safeParse(body);
    if (!parsed.success) {
      for (const issue of issuesFromZod(parsed.error))
        at(label)(
          issue.path === 'definition' && body.definition === undefined
            ? { path: 'definition', message: `required: the ${kind}'s definition` }
            : issue,
        );
      continue;
    }
    const input = { name: parsed.data.name, description: parsed.data.description ?? null, definition: parsed.data.definition };
    const key = `${kind}\u0000${input.name}`;
    if (seen.has(key)) at(label)({ path: 'name', message: `${seen.get(key)} is the same ${kind} "${input.name}"; keep one of them` });
    seen.set(key, source);
    const matches = (await storedOf(kind)).filter((s) => s.name === input.name);
    if (matches.length > 1)
      at(label)({
        path: 'name',
        message: `${matches.length} ${kind}s of this workspace are named "${input.name}" (${matches.map((m) => m.id).join(', ')}); rename all but one`,
      });
    drafts.push({ source, kind, input, existing: matches[0], label });
  }
  // Templates first: a journey may send one this apply publishes.
  if (publish) for (const d of drafts) if (d.kind === 'template' && d.existing) ctx.publishingTemplateIds.add(d.existing.id);
  const plan: Planned[] = [];
  for (const d of drafts) {
    const port = APPLY_PORTS[d.kind];
    let definition: unknown;
    try {
      definition = await port.check(ctx, d.input.definition, d.existing);
    } catch (error) {
      if (!(error instanceof KizunaError) || error.code !== 'invalid_input') throw error;
      for (const issue of error.issues) report(d.source, d.label, issue);
      continue;
    }
    const isSame = d.existing && d.existing.description === d.input.description && sameDocument(d.existing.draft, definition);
    const outcome = !d.existing ? 'created' : isSame ? 'unchanged' : 'updated';
    const isPublishing = publish && (outcome !== 'unchanged' || (await port.hasUnpublishedDraft(ctx, d.existing!)));
    plan.push({ source: d.source, kind: d.kind, input: d.input, existing: d.existing, outcome, isPublishing });
  }
  if (issues.length) throw invalidInput(issues, `${invalid.size} of ${documents.length} documents are invalid; nothing was applied`);
  return plan;
}

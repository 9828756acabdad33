import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { checkJourneyGraph, checkJourneyReferences, journeyContext } from '../journeys/check-journey.ts';
import { ZJourneyDefinition } from '../journeys/definition.ts';
import { createJourney, listJourneys, loadJourneyVersion, publishJourney, updateJourney, ZJourneyInput } from '../journeys/journeys.ts';
import type { TemplateRenderer } from '../messaging/templates/render.ts';
import {
  createTemplate,
  listTemplates,
  parseTemplate,
  publishTemplate,
  updateTemplate,
  ZTemplateInput,
} from '../messaging/templates/templates.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { invalidInput } from '../platform/errors.ts';
import { readDocument } from '../platform/read-document.ts';
import {
  createScoringModel,
  listScoringModels,
  parseModel,
  publishScoringModel,
  updateScoringModel,
  ZScoringModelInput,
} from '../scoring/models.ts';
import {
  checkDefinition,
  createSegment,
  getSegment,
  listSegments,
  parseDefinition,
  publishSegment,
  updateSegment,
  ZSegmentInput,
} from '../segments/segments.ts';

export const APPLY_KINDS = ['template', 'segment', 'scoring_model', 'journey'] as const;
export type ApplyKind = (typeof APPLY_KINDS)[number];

/** What apply works with: the workspace, its clock, the template renderer. */
export interface ApplyContext {
  db: Kysely<DB>;
  workspaceId: string;
  clock: Clock;
  renderer: TemplateRenderer;
  /** Templates this apply publishes: journeys sending them are checked as if they were published already. */
  publishingTemplateIds: Set<string>;
}

/** The body every kind's API takes. */
export interface ApplyInput {
  name: string;
  description: string | null;
  definition: unknown;
}

/** An object of the workspace as apply compares it. */
export interface StoredObject {
  id: string;
  name: string;
  description: string | null;
  draft: unknown;
  publishedVersion: number | null;
}

/** The same operations over each kind, each done by that kind's own module. */
export interface ApplyPort {
  input: z.ZodType<{ name: string; description?: string | null; definition?: unknown }>;
  list(ctx: ApplyContext): Promise<StoredObject[]>;
  /** Parses and checks a definition completely (as publish would); throws invalid_input naming `definition.…`. */
  check(ctx: ApplyContext, definition: unknown, existing: StoredObject | undefined): Promise<unknown>;
  create(ctx: ApplyContext, input: ApplyInput): Promise<string>;
  update(ctx: ApplyContext, id: string, input: ApplyInput): Promise<void>;
  /** Publishes the draft; returns the version. */
  publish(ctx: ApplyContext, id: string): Promise<number>;
  /** The draft differs from the published version, or nothing is published yet. */
  hasUnpublishedDraft(ctx: ApplyContext, stored: StoredObject): Promise<boolean>;
}

/** Two definitions are the same once both are JSON (a stored draft comes back as jsonb, keys reordered). */
export function sameDocument(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));
}

/** Whether a draft differs from the published version's definition (or nothing is published yet). */
function differsFrom(stored: StoredObject, published: { definition: unknown } | undefined): boolean {
  return stored.publishedVersion === null || !published || !sameDocument(published.definition, stored.draft);
}

const journeyPort: ApplyPort = {
  input: ZJourneyInput,
  list: async ({ db, workspaceId }) => listJourneys(db, workspaceId),
  check: async (ctx, raw) => {
    const definition = readDocument(ZJourneyDefinition, raw, 'definition', '{"trigger": {…}, "start": "…", "nodes": […]}');
    const context = await journeyContext(ctx.db, ctx.workspaceId);
    for (const id of ctx.publishingTemplateIds) if (context.templates.has(id)) context.templates.set(id, { isPublished: true });
    const issues = [...checkJourneyGraph(definition), ...checkJourneyReferences(definition, context)];
    if (issues.length) throw invalidInput(issues, 'the journey is invalid; see errors for each problem');
    return definition;
  },
  create: async ({ db, workspaceId, clock }, input) => (await createJourney(db, workspaceId, input, clock)).id,
  update: async ({ db, workspaceId, clock }, id, input) => {
    await updateJourney(db, workspaceId, id, input, clock);
  },
  publish: async ({ db, workspaceId, clock }, id) => (await publishJourney(db, workspaceId, id, clock)).publishedVersion!,
  hasUnpublishedDraft: async ({ db }, stored) =>
    stored.publishedVersion === null || !sameDocument(await loadJourneyVersion(db, stored.id, stored.publishedVersion), stored.draft),
};

const segmentPort: ApplyPort = {
  input: ZSegmentInput,
  list: async ({ db, workspaceId }) => listSegments(db, workspaceId),
  check: async ({ db, workspaceId }, raw, existing) => {
    const definition = parseDefinition(raw);
    await checkDefinition(db, workspaceId, definition, existing?.id);
    return definition;
  },
  create: async ({ db, workspaceId, clock }, input) => (await createSegment(db, workspaceId, input, clock)).id,
  update: async ({ db, workspaceId, clock }, id, input) => {
    await updateSegment(db, workspaceId, id, input, clock);
  },
  publish: async ({ db, workspaceId, clock }, id) => (await publishSegment(db, workspaceId, id, clock)).publishedVersion!,
  hasUnpublishedDraft: async ({ db, workspaceId }, stored) => (await getSegment(db, workspaceId, stored.id)).unpublishedChanges,
};

const scoringModelPort: ApplyPort = {
  input: ZScoringModelInput,
  list: async ({ db, workspaceId }) => listScoringModels(db, workspaceId),
  check: ({ db, workspaceId }, raw) => parseModel(db, workspaceId, raw),
  create: async ({ db, workspaceId, clock }, input) => (await createScoringModel(db, workspaceId, input, clock)).id,
  update: async ({ db, workspaceId, clock }, id, input) => {
    await updateScoringModel(db, workspaceId, id, input, clock);
  },
  publish: async ({ db, workspaceId, clock }, id) => (await publishScoringModel(db, workspaceId, id, clock)).publishedVersion!,
  hasUnpublishedDraft: async ({ db }, stored) =>
    differsFrom(
      stored,
      await db
        .selectFrom('scoring_model_versions')
        .select('definition')
        .where('model_id', '=', stored.id)
        .where('version', '=', stored.publishedVersion ?? 0)
        .executeTakeFirst(),
    ),
};

const templatePort: ApplyPort = {
  input: ZTemplateInput,
  list: async ({ db, workspaceId }) => listTemplates(db, workspaceId),
  check: async ({ db, workspaceId, renderer }, raw) => (await parseTemplate(db, workspaceId, raw, renderer)).definition,
  create: async ({ db, workspaceId, clock, renderer }, input) => (await createTemplate(db, workspaceId, input, { clock, renderer })).id,
  update: async ({ db, workspaceId, clock, renderer }, id, input) => {
    await updateTemplate(db, workspaceId, id, input, { clock, renderer });
  },
  publish: async ({ db, workspaceId, clock, renderer }, id) =>
    (await publishTemplate(db, workspaceId, id, { clock, renderer })).publishedVersion!,
  hasUnpublishedDraft: async ({ db }, stored) =>
    differsFrom(
      stored,
      await db
        .selectFrom('template_versions')
        .select('definition')
        .where('template_id', '=', stored.id)
        .where('version', '=', stored.publishedVersion ?? 0)
        .executeTakeFirst(),
    ),
};

export const APPLY_PORTS: Record<ApplyKind, ApplyPort> = {
  journey: journeyPort,
  segment: segmentPort,
  scoring_model: scoringModelPort,
  template: templatePort,
};

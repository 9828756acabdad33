import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { DB, SubscriptionTopicsTable } from '../../platform/db/schema.ts';
import { KizunaError, notFound } from '../../platform/errors.ts';
import { parseInput } from '../../platform/parse-input.ts';

export const ZTopicInput = z
  .object({
    key: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected a key of lower-case letters, digits, - and _ (up to 63), such as "newsletter"')
      .openapi({ description: 'What a send names as its topic; fixed once created.' }),
    nameJa: z.string().trim().min(1, 'expected a name').max(200),
    nameEn: z.string().trim().min(1, 'expected a name').max(200),
    description: z.string().trim().max(1000).nullable().optional(),
    defaultSubscribed: z.boolean().default(true).openapi({ description: 'Whether a contact who never chose receives it.' }),
  })
  .strict()
  .openapi('TopicInput');
export const ZTopicPatch = ZTopicInput.omit({ key: true })
  .extend({ defaultSubscribed: z.boolean().optional() })
  .partial()
  .strict()
  .openapi('TopicPatch');

export const ZTopic = z
  .object({
    id: z.uuid(),
    key: z.string(),
    nameJa: z.string(),
    nameEn: z.string(),
    description: z.string().nullable(),
    defaultSubscribed: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Topic');
export type Topic = z.infer<typeof ZTopic>;

export async function createTopic(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<Topic> {
  const parsed = parseInput(ZTopicInput, input);
  const now = clock.now();
  const row = await db
    .insertInto('subscription_topics')
    .values({
      id: randomUUID(),
      workspace_id: workspaceId,
      key: parsed.key,
      name_ja: parsed.nameJa,
      name_en: parsed.nameEn,
      description: parsed.description ?? null,
      default_subscribed: parsed.defaultSubscribed,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row)
    throw new KizunaError('conflict', `a topic with key "${parsed.key}" exists`, {
      issues: [{ path: 'key', message: 'already used by another topic' }],
    });
  return toTopic(row);
}

export async function listTopics(db: Kysely<DB>, workspaceId: string): Promise<Topic[]> {
  const rows = await db
    .selectFrom('subscription_topics')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('key')
    .execute();
  return rows.map(toTopic);
}

export async function updateTopic(db: Kysely<DB>, workspaceId: string, id: string, input: unknown, clock: Clock): Promise<Topic> {
  const parsed = parseInput(ZTopicPatch, input);
  const row = await db
    .updateTable('subscription_topics')
    .set({
      ...(parsed.nameJa !== undefined ? { name_ja: parsed.nameJa } : {}),
      ...(parsed.nameEn !== undefined ? { name_en: parsed.nameEn } : {}),
      ...(parsed.description !== undefined ? { description: parsed.description } : {}),
      ...(parsed.defaultSubscribed !== undefined ? { default_subscribed: parsed.defaultSubscribed } : {}),
      updated_at: clock.now(),
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('topic', id);
  return toTopic(row);
}

/** Deletes a topic and the contacts' choices about it (sends naming it are then refused). */
export async function deleteTopic(db: Kysely<DB>, workspaceId: string, id: string): Promise<void> {
  const deleted = await db
    .deleteFrom('subscription_topics')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (deleted.numDeletedRows === 0n) throw notFound('topic', id);
}

export function toTopic(row: Selectable<SubscriptionTopicsTable>): Topic {
  return {
    id: row.id,
    key: row.key,
    nameJa: row.name_ja,
    nameEn: row.name_en,
    description: row.description,
    defaultSubscribed: row.default_subscribed,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

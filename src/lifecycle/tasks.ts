import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { type Kysely, type Selectable, sql } from 'kysely';
import { assertContactInWorkspace } from '../contacts/contacts.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB, TasksTable } from '../platform/db/schema.ts';
import { invalidInput, issuesFromZod, notFound } from '../platform/errors.ts';
import { decodeCursor, encodeCursor, type Page, ZPageQuery } from '../platform/pagination.ts';
import { markFirstTouch } from './handoff.ts';

/**
 * Follow-up tasks for sales users: one is created with every handoff (due when the first-touch
 * SLA ends), others through the API. Completing a handoff's task counts as its first touch.
 * Each new task raises a `task.created` signal, so a webhook can put it in the owner's CRM or chat.
 */
export const ZTask = z
  .object({
    id: z.string(),
    contactId: z.string(),
    owner: z.string(),
    title: z.string(),
    notes: z.string().nullable(),
    dueAt: z.string().nullable(),
    status: z.enum(['open', 'done', 'cancelled']),
    source: z.enum(['handoff', 'api', 'journey']),
    handoffId: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi('Task');
export type Task = z.infer<typeof ZTask>;

export const ZTaskInput = z
  .object({
    contactId: z.uuid(),
    owner: z.email(),
    title: z.string().trim().min(1).max(200),
    notes: z.string().trim().max(4000).optional(),
    dueAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .openapi('TaskInput');

export const ZTaskUpdate = z
  .object({
    owner: z.email().optional(),
    title: z.string().trim().min(1).max(200).optional(),
    notes: z.string().trim().max(4000).nullable().optional(),
    dueAt: z.iso.datetime({ offset: true }).nullable().optional(),
    status: z.enum(['open', 'done', 'cancelled']).optional(),
  })
  .strict()
  .openapi('TaskUpdate');

export const ZTaskQuery = ZPageQuery.extend({
  owner: z.string().optional().openapi({ description: 'Only this owner’s tasks (their email).' }),
  status: z.enum(['open', 'done', 'cancelled']).optional(),
  contactId: z.uuid().optional(),
});

function toTask(row: Selectable<TasksTable>): Task {
  return {
    id: row.id,
    contactId: row.contact_id,
    owner: row.owner,
    title: row.title,
    notes: row.notes,
    dueAt: row.due_at?.toISOString() ?? null,
    status: row.status,
    source: row.source,
    handoffId: row.handoff_id,
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
  };
}

export interface NewTask {
  contactId: string;
  owner: string;
  title: string;
  notes?: string | null;
  dueAt?: Date | null;
  source: 'handoff' | 'api' | 'journey';
  handoffId?: string | null;
}

/** Inserts tasks and their `task.created` signals in the caller's transaction. */
export async function createTasks(tx: Kysely<DB>, workspaceId: string, tasks: NewTask[], now: Date): Promise<Task[]> {
  if (tasks.length === 0) return [];
  const rows = await tx
    .insertInto('tasks')
    .values(
      tasks.map((t) => ({
        id: randomUUID(),
        workspace_id: workspaceId,
        contact_id: t.contactId,
        owner: t.owner,
        title: t.title,
        notes: t.notes ?? null,
        due_at: t.dueAt ?? null,
        source: t.source,
        handoff_id: t.handoffId ?? null,
        created_at: now,
        completed_at: null,
      })),
    )
    .returningAll()
    .execute();
  await tx
    .insertInto('signals')
    .values(
      rows.map((t) => ({
        workspace_id: workspaceId,
        kind: 'task.created',
        contact_id: t.contact_id,
        subject_id: t.id,
        data: JSON.stringify({ owner: t.owner, title: t.title, dueAt: t.due_at?.toISOString() ?? null, source: t.source }),
        occurred_at: now,
      })),
    )
    .execute();
  return rows.map(toTask);
}

/** A task made through the API. */
export async function createTask(tx: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<Task> {
  const parsed = ZTaskInput.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const { contactId, owner, title, notes, dueAt } = parsed.data;
  await assertContactInWorkspace(tx, workspaceId, contactId);
  const [task] = await createTasks(
    tx,
    workspaceId,
    [{ contactId, owner, title, notes, dueAt: dueAt ? new Date(dueAt) : null, source: 'api' }],
    clock.now(),
  );
  return task!;
}

/** Edits a task; marking a handoff's task done records the handoff's first touch. */
export async function updateTask(tx: Kysely<DB>, workspaceId: string, taskId: string, input: unknown, clock: Clock): Promise<Task> {
  const parsed = ZTaskUpdate.safeParse(input);
  if (!parsed.success) throw invalidInput(issuesFromZod(parsed.error));
  const current = await tx
    .selectFrom('tasks')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', taskId)
    .forUpdate()
    .executeTakeFirst();
  if (!current) throw notFound('task', taskId);
  const { owner, title, notes, dueAt, status } = parsed.data;
  const now = clock.now();
  const completing = status === 'done' && current.status !== 'done';
  const row = await tx
    .updateTable('tasks')
    .set({
      owner,
      title,
      notes,
      due_at: dueAt === undefined ? undefined : dueAt === null ? null : new Date(dueAt),
      status,
      completed_at: status === undefined ? undefined : status === 'done' ? (current.completed_at ?? now) : null,
    })
    .where('id', '=', taskId)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (completing && current.handoff_id) await markFirstTouch(tx, current.handoff_id, now);
  return toTask(row);
}

/** Tasks of the workspace, oldest first, filtered by owner, status and contact. */
export async function listTasks(db: Kysely<DB>, workspaceId: string, query: z.infer<typeof ZTaskQuery>): Promise<Page<Task>> {
  const after = decodeCursor(query.cursor);
  let q = db.selectFrom('tasks').selectAll().where('workspace_id', '=', workspaceId);
  if (query.owner) q = q.where('owner', '=', query.owner);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.contactId) q = q.where('contact_id', '=', query.contactId);
  if (after) q = q.where(sql<boolean>`(created_at, id) > (${String(after.value)}::timestamptz, ${after.id}::uuid)`);
  const rows = await q
    .orderBy('created_at')
    .orderBy('id')
    .limit(query.limit + 1)
    .execute();
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: items.map(toTask),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ value: last.created_at.toISOString(), id: last.id }) : null,
  };
}

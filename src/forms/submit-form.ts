import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type ContactInput, ZContactInput } from '../contacts/contact-schema.ts';
import { getContact, loadWriteContext } from '../contacts/contacts.ts';
import { prepareContact } from '../contacts/prepare-contact.ts';
import { upsertContacts, writtenContactId } from '../contacts/upsert-contacts.ts';
import { ensureEventPartitions, type PartitionCache } from '../events/event-partitions.ts';
import { contactByAnonymousId, linkAnonymousId } from '../events/identity.ts';
import { insertEvent } from '../events/insert-event.ts';
import type { Clock } from '../platform/clock.ts';
import { noteContactChange } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { withConflictRetry } from '../platform/db/with-conflict-retry.ts';
import { issuesFromZod, KizunaError } from '../platform/errors.ts';
import { unitOfWork } from '../segments/membership.ts';
import type { FormDefinition } from './form-schema.ts';
import { findPublicForm } from './forms.ts';
import { knownValues, visibleFields } from './visible-fields.ts';

export interface Submission {
  formId: string;
  values: Record<string, string>;
  anonymousId?: string;
  consent?: boolean;
  /** The honeypot field: people leave it empty, form-filling bots do not. */
  honeypot?: string;
  ip?: string;
  userAgent?: string;
}

export type SubmissionResult =
  | { ok: true; contactId: string | null; message: string; redirectUrl?: string }
  | { ok: false; errors: Record<string, string> };

/**
 * Handles a form submission: validates each field (errors are per field, for the form to show),
 * creates or updates the contact, ties the visitor's anonymous id to it (so their earlier page
 * views join the contact), stores the submission, the consent record (wording, time, IP, form)
 * and a `Form Submitted` event — all in one transaction.
 */
export async function submitForm(
  db: Kysely<DB>,
  submission: Submission,
  partitions: PartitionCache,
  clock: Clock,
): Promise<SubmissionResult> {
  const found = await findPublicForm(db, submission.formId);
  if (!found) throw new KizunaError('not_found', `form ${submission.formId} does not exist`);
  const { workspaceId, form } = found;
  const definition = form.definition;
  const thanks = {
    ok: true as const,
    message: definition.successMessage,
    ...(definition.redirectUrl ? { redirectUrl: definition.redirectUrl } : {}),
  };
  // A bot gets the same answer as a person, and nothing is stored.
  if (submission.honeypot) return { ...thanks, contactId: null };

  const context = await loadWriteContext(db, workspaceId);
  const knownId = await contactByAnonymousId(db, workspaceId, submission.anonymousId);
  const known = knownId ? knownValues(await getContact(db, workspaceId, knownId)) : undefined;
  const errors = checkFields(definition, submission, known);
  const input = toContactInput(definition, submission.values);
  const shape = ZContactInput.safeParse(input);
  if (!shape.success) for (const issue of issuesFromZod(shape.error)) errors[issue.path] ??= issue.message;
  const prepared = prepareContact(input, { defaultRegion: context.defaultRegion, customFields: context.customFields });
  if (!prepared.ok) for (const issue of prepared.issues) errors[issue.path] ??= issue.message;
  if (Object.keys(errors).length || !prepared.ok) return { ok: false, errors };

  const now = clock.now();
  await ensureEventPartitions(db, [now], partitions);
  const contactId = await withConflictRetry(() =>
    unitOfWork(db, clock, async (tx) => {
      const [outcome] = await upsertContacts(tx, workspaceId, [{ index: 0, prepared: prepared.value }], clock);
      const id = writtenContactId(outcome);
      await linkAnonymousId(tx, workspaceId, submission.anonymousId, id, clock);
      await tx
        .insertInto('form_submissions')
        .values({
          id: randomUUID(),
          workspace_id: workspaceId,
          form_id: form.id,
          contact_id: id,
          anonymous_id: submission.anonymousId ?? null,
          data: JSON.stringify(submission.values),
          ip: submission.ip ?? null,
          user_agent: submission.userAgent ?? null,
          submitted_at: now,
        })
        .execute();
      if (definition.consent && submission.consent) {
        await tx
          .insertInto('consents')
          .values({
            id: randomUUID(),
            workspace_id: workspaceId,
            contact_id: id,
            purpose: definition.consent.purpose,
            granted: true,
            wording: definition.consent.wording,
            source: `form:${form.id}`,
            ip: submission.ip ?? null,
            recorded_at: now,
          })
          .execute();
        noteContactChange(tx, workspaceId, id, ['consent']);
      }
      await insertEvent(tx, {
        workspaceId,
        type: 'track',
        name: 'Form Submitted',
        contactId: id,
        anonymousId: submission.anonymousId,
        properties: { formId: form.id, formName: definition.name, consent: Boolean(submission.consent) },
        context: { ip: submission.ip ?? null, userAgent: submission.userAgent ?? null },
        occurredAt: now,
        receivedAt: now,
      });
      await tx.updateTable('contacts').set({ last_seen_at: now }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
      return id;
    }),
  );
  return { ...thanks, contactId };
}

function checkFields(
  definition: FormDefinition,
  submission: Submission,
  known: Record<string, unknown> | undefined,
): Record<string, string> {
  const errors: Record<string, string> = {};
  // A field progressive profiling did not show is not required this time.
  const shown = new Set(visibleFields(definition, known).map((f) => f.key));
  for (const field of definition.fields) {
    const value = submission.values[field.key]?.trim() ?? '';
    if (field.required && shown.has(field.key) && value === '') errors[field.key] = `${field.label} is required`;
    if (value && field.type === 'select' && !field.options?.includes(value))
      errors[field.key] = `choose one of the options for ${field.label}`;
    if (value && field.type === 'number' && !/^\d[\d,]*$/.test(value)) errors[field.key] = `${field.label} must be a number`;
  }
  if (definition.consent?.required && !submission.consent) errors.consent = 'please agree to continue';
  return errors;
}

function toContactInput(definition: FormDefinition, values: Record<string, string>): ContactInput {
  const input: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const field of definition.fields) {
    const raw = field.type === 'hidden' ? field.value : values[field.key];
    const value = raw?.trim();
    if (!value) continue;
    const typed = field.type === 'number' || field.key === 'employeeCount' ? Number(value.replace(/,/g, '')) : value;
    if (field.key.startsWith('custom.')) custom[field.key.slice(7)] = typed;
    else input[field.key] = typed;
  }
  if (Object.keys(custom).length) input.custom = custom;
  return input as ContactInput;
}

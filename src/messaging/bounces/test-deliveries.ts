import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createContact } from '../../contacts/contacts.ts';
import type { Clock } from '../../platform/clock.ts';
import type { DB, DeliveryStatus } from '../../platform/db/schema.ts';
import { createWorkspace } from '../../workspaces/workspaces.ts';

// Test seeding for bounce handling: a fresh workspace and contact per test, and delivery rows
// written directly in the state the sending pipeline leaves them in.

export async function seedContact(db: Kysely<DB>, clock: Clock, email: string): Promise<{ workspaceId: string; contactId: string }> {
  const workspace = await createWorkspace(db, { name: 'Bounces' }, clock);
  const contact = await createContact(db, workspace.id, { email }, clock);
  return { workspaceId: workspace.id, contactId: contact.id };
}

/** A delivery as the pipeline records a sent email: Message-ID `<{id}@{mailDomain}>`. */
export async function insertDelivery(
  db: Kysely<DB>,
  clock: Clock,
  {
    workspaceId,
    contactId,
    to,
    status = 'sent',
    mailDomain = 'mail.example.com',
  }: { workspaceId: string; contactId: string | null; to: string | null; status?: DeliveryStatus; mailDomain?: string },
): Promise<{ id: string; messageId: string }> {
  const id = randomUUID();
  const now = clock.now();
  const messageId = `<${id}@${mailDomain}>`;
  await db
    .insertInto('deliveries')
    .values({
      id,
      workspace_id: workspaceId,
      contact_id: contactId,
      channel: 'email',
      kind: 'marketing',
      campaign_id: null,
      source: 'test',
      dedupe_key: null,
      template_id: null,
      template_version: null,
      variant: null,
      topic: null,
      content: null,
      context: null,
      to_address: to,
      status,
      due_at: now,
      reason: null,
      error: null,
      message_id: status === 'sent' ? messageId : null,
      provider_response: status === 'sent' ? '250 2.0.0 Ok: queued' : null,
      created_at: now,
      sent_at: status === 'sent' ? now : null,
      opened_at: null,
      machine_opened_at: null,
      clicked_at: null,
      bounced_at: null,
      complained_at: null,
      unsubscribed_at: null,
    })
    .execute();
  return { id, messageId };
}

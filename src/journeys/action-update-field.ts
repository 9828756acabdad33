import { type Kysely, sql } from 'kysely';
import { resolveCompanies } from '../companies/resolve-companies.ts';
import { emailDomain } from '../contacts/cleansing/normalize-email.ts';
import { ZContactInput } from '../contacts/contact-schema.ts';
import { loadWriteContext } from '../contacts/contacts.ts';
import type { CustomField } from '../contacts/custom-fields.ts';
import { updateContactRows } from '../contacts/insert-contact-rows.ts';
import { mergeContact } from '../contacts/merge-contact.ts';
import { type PreparedContact, prepareContact } from '../contacts/prepare-contact.ts';
import type { Clock } from '../platform/clock.ts';
import { fieldReasons, noteContactChange } from '../platform/db/contact-changes.ts';
import type { ContactRow, DB } from '../platform/db/schema.ts';
import { type FieldIssue, KizunaError } from '../platform/errors.ts';
import { snake } from '../segments/fields.ts';
import type { ActionResult, ActionTarget } from './actions.ts';
import type { ActionNode } from './definition.ts';

type UpdateFieldNode = Extract<ActionNode, { type: 'update_field' }>;

/** Contact fields a journey may set, by their condition-language name (custom.<key> besides). */
const WRITABLE = [
  'firstName',
  'lastName',
  'firstNameKana',
  'lastNameKana',
  'nameOrder',
  'phone',
  'jobTitle',
  'roleLevel',
  'department',
  'industry',
  'companyName',
  'employeeCount',
  'country',
  'region',
  'timezone',
  'locale',
  'owner',
] as const;

/** Fields a journey must not set this way, and what to use instead. */
const ELSEWHERE: Record<string, string> = {
  email: 'the email identifies the contact; change it through the contacts API',
  tags: 'use a tag node to add or remove tags',
  lifecycleStage: 'use a set_stage node: a stage move is logged with the journey as its cause',
};

/**
 * The contact write an update_field node makes, validated as an API update is (ZContactInput,
 * then cleansing and custom field definitions): the same check at publish and when it runs.
 * Issues are relative to the node (`field`, `value`).
 */
export function prepareFieldWrite(
  node: Pick<UpdateFieldNode, 'field' | 'value'>,
  context: { customFields: readonly CustomField[]; defaultRegion: string },
): { ok: true; value: PreparedContact } | { ok: false; issues: FieldIssue[] } {
  const fail = (path: 'field' | 'value', message: string) => ({ ok: false as const, issues: [{ path, message }] });
  const custom = /^custom\.(.+)$/.exec(node.field)?.[1];
  if (custom !== undefined && !context.customFields.some((f) => f.entity === 'contact' && f.key === custom))
    return fail('field', `unknown custom field ${custom}: declare it first (POST /api/custom-fields)`);
  if (custom === undefined && ELSEWHERE[node.field]) return fail('field', `${node.field} cannot be set here: ${ELSEWHERE[node.field]}`);
  if (custom === undefined && !(WRITABLE as readonly string[]).includes(node.field))
    return fail('field', `unknown field ${node.field}: expected custom.<key> or one of ${WRITABLE.join(', ')}`);
  const parsed = ZContactInput.safeParse(custom === undefined ? { [node.field]: node.value } : { custom: { [custom]: node.value } });
  if (!parsed.success) return fail('value', `${node.field}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const prepared = prepareContact(parsed.data, { defaultRegion: context.defaultRegion, customFields: context.customFields });
  if (!prepared.ok) return fail('value', `${node.field}: ${prepared.issues.map((i) => i.message).join('; ')}`);
  return prepared;
}

/**
 * Sets one field on every target contact, as PATCH /api/contacts/{id} would (the same merge, the
 * same company matching on a new company name, the same change notes for segments, scores and
 * stages), in a few statements for the whole group.
 */
export async function runUpdateField(
  run: { tx: Kysely<DB>; workspaceId: string; now: Date; clock: Clock },
  node: UpdateFieldNode,
  targets: readonly ActionTarget[],
): Promise<Map<string, ActionResult>> {
  const { tx, workspaceId, now } = run;
  const write = prepareFieldWrite(node, await loadWriteContext(tx, workspaceId));
  // Checked at publish: only a custom field deleted or redefined since can fail here.
  if (!write.ok)
    throw new KizunaError('invalid_input', `${write.issues.map((i) => i.message).join('; ')} (changed since the journey was published?)`, {
      issues: write.issues.map((i) => ({ ...i, path: `${node.id}.${i.path}` })),
    });
  const ids = [...new Set(targets.map((t) => t.contactId))].sort();
  const { rows } = await sql<{ doc: ContactRow[] | null }>`
    SELECT json_agg(to_jsonb(c) ORDER BY c.id) AS doc FROM (
      SELECT * FROM contacts WHERE workspace_id = ${workspaceId} AND id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE) c`.execute(tx);
  const contacts = new Map((rows[0]?.doc ?? []).map((c) => [c.id, c]));
  const updates: { id: string; set: Partial<ContactRow> }[] = [];
  const renames: { set: Partial<ContactRow>; hint: { name: string | null; domain: string | null } }[] = [];
  for (const contact of contacts.values()) {
    const { set } = mergeContact(contact, write.value, 'patch');
    if (Object.keys(set).length === 0) continue;
    const changes = { ...set, updated_at: now } as Partial<ContactRow>;
    updates.push({ id: contact.id, set: changes });
    // As updateContact: a new company name finds (or makes) its company.
    if ('company_name' in set)
      renames.push({
        set: changes,
        hint: { name: set.company_name ?? null, domain: contact.email ? emailDomain(contact.email) : null },
      });
  }
  if (renames.length) {
    const companyIds = await resolveCompanies(
      tx,
      workspaceId,
      renames.map((r) => r.hint),
      run.clock,
    );
    renames.forEach((r, i) => {
      r.set.company_id = companyIds[i] ?? null;
    });
  }
  await updateContactRows(tx, workspaceId, updates);
  for (const { id, set } of updates) noteContactChange(tx, workspaceId, id, fieldReasons(Object.keys(set)));
  const changed = new Set(updates.map((u) => u.id));
  const value = storedValue(node.field, write.value);
  const results = new Map<string, ActionResult>();
  for (const t of targets) {
    if (!contacts.has(t.contactId)) results.set(t.enrolmentId, { outcome: 'skipped', detail: { reason: 'the contact no longer exists' } });
    else results.set(t.enrolmentId, { outcome: changed.has(t.contactId) ? 'updated' : 'unchanged', detail: { field: node.field, value } });
  }
  return results;
}

/** The value as stored after cleansing (a phone in E.164, text normalised). */
function storedValue(field: string, prepared: PreparedContact): unknown {
  const custom = /^custom\.(.+)$/.exec(field)?.[1];
  if (custom !== undefined) return prepared.custom[custom] ?? null;
  const column = snake(field);
  return (prepared.fields as Record<string, unknown>)[column] ?? null;
}

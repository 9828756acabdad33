import type { FormDefinition, FormField } from './form-schema.ts';

/**
 * The fields to show a visitor (pure). Progressive profiling: for a known contact, fields it
 * already has a value for give way to the next unanswered ones, at most `progressiveMaxFields`;
 * email always stays (it tells us who is submitting) and hidden fields always go along.
 */
export function visibleFields(form: FormDefinition, known: Record<string, unknown> | undefined): FormField[] {
  const hidden = form.fields.filter((f) => f.type === 'hidden');
  const asked = form.fields.filter((f) => f.type !== 'hidden');
  if (!form.progressiveMaxFields) return form.fields;
  const email = asked.filter((f) => f.key === 'email');
  const unanswered = asked.filter((f) => f.key !== 'email' && (!known || isEmpty(known[f.key])));
  return [...email, ...unanswered.slice(0, Math.max(0, form.progressiveMaxFields - email.length)), ...hidden];
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

/** A contact's current values under the keys a form uses (`companyName`, `custom.budget`). */
export function knownValues(contact: Record<string, unknown> & { custom: Record<string, unknown> }): Record<string, unknown> {
  const known: Record<string, unknown> = { ...contact };
  for (const [key, value] of Object.entries(contact.custom)) known[`custom.${key}`] = value;
  return known;
}

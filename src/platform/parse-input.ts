import type { z } from 'zod';
import { invalidInput, issuesFromZod } from './errors.ts';

/** Parses caller input with a schema; failures become invalid_input naming each field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(issuesFromZod(result.error));
  return result.data;
}

import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { invalidInput, issuesFromZod } from './errors.ts';

/**
 * Reads a versioned definition document (segment, scoring model, lifecycle) given as an object
 * or as YAML/JSON text, validated by its schema; problems are named under `path`.
 * @param example shown when the document is missing, e.g. '{"condition": {…}}'.
 */
export function readDocument<T extends z.ZodType>(schema: T, raw: unknown, path: string, example?: string): z.infer<T> {
  if ((raw === undefined || raw === null) && example) throw invalidInput([{ path, message: `required: a document such as ${example}` }]);
  let value = raw ?? {};
  if (typeof raw === 'string') {
    try {
      value = parseYaml(raw);
    } catch (error) {
      throw invalidInput([{ path, message: `not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}` }]);
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(issuesFromZod(result.error, path));
  return result.data;
}

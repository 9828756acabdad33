import type { Kysely } from 'kysely';
import { normalizePhone } from '../../contacts/cleansing/normalize-phone.ts';
import type { DB } from '../../platform/db/schema.ts';
import { notFound } from '../../platform/errors.ts';

export type SmsLocale = 'ja' | 'en';

/** What SMS needs of a workspace: the region numbers are read in, the language replies are in, its name for HELP. */
export interface SmsWorkspace {
  id: string;
  name: string;
  defaultRegion: string;
  locale: SmsLocale;
}

/** The workspace, or not_found. */
export async function smsWorkspace(db: Kysely<DB>, workspaceId: string): Promise<SmsWorkspace> {
  const row = await db
    .selectFrom('workspaces')
    .select(['id', 'name', 'default_region', 'locale'])
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) throw notFound('workspace', workspaceId);
  return { id: row.id, name: row.name, defaultRegion: row.default_region, locale: row.locale.toLowerCase().startsWith('ja') ? 'ja' : 'en' };
}

/**
 * A number as E.164, read nationally for the workspace's region (090-1234-5678 in a JP workspace)
 * or internationally; null when it is not a valid number.
 */
export function toE164(raw: string | null | undefined, defaultRegion: string): string | null {
  if (!raw?.trim()) return null;
  const result = normalizePhone(raw, defaultRegion);
  return result.ok ? result.e164 : null;
}

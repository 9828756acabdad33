import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { KizunaError } from '../platform/errors.ts';

/** admin: everything; read: GET on /api; write: ingestion only (the tracking endpoints). */
export type ApiKeyScope = 'admin' | 'read' | 'write';
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['admin', 'read', 'write'];

export interface ApiKey {
  id: string;
  workspaceId: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface CreatedApiKey extends ApiKey {
  /** The secret itself: returned once at creation, never stored. */
  key: string;
}

export interface Principal {
  workspaceId: string;
  keyId: string;
  scope: ApiKeyScope;
}

const PREFIX_LENGTH = 12;

// Our keys start kz_<scope>_ and 24 random bytes follow, so 12 characters reveal almost nothing.
// A key chosen by an operator (KIZUNA_ADMIN_KEY) may be short: show only a hash fragment of it.
function displayPrefix(secret: string): string {
  return /^kz_(admin|read|write)_[A-Za-z0-9_-]{32}$/.test(secret) ? secret.slice(0, PREFIX_LENGTH) : `env:${hashKey(secret).slice(0, 8)}`;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Creates a random key (or stores a given one, for KIZUNA_ADMIN_KEY-style seeding).
 * Only its SHA-256 is stored; the plain key is in the result and nowhere else.
 */
export async function createApiKey(
  db: Kysely<DB>,
  { workspaceId, name, scope, key }: { workspaceId: string; name: string; scope: ApiKeyScope; key?: string },
  clock: Clock,
): Promise<CreatedApiKey> {
  const secret = key ?? `kz_${scope}_${randomBytes(24).toString('base64url')}`;
  const row = await db
    .insertInto('api_keys')
    .values({
      id: randomUUID(),
      workspace_id: workspaceId,
      name,
      scope,
      prefix: displayPrefix(secret),
      key_hash: hashKey(secret),
      created_at: clock.now(),
      last_used_at: null,
      revoked_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...toApiKey(row), key: secret };
}

export async function listApiKeys(db: Kysely<DB>, workspaceId: string): Promise<ApiKey[]> {
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toApiKey);
}

/** Revokes a key of this workspace; revoking twice is harmless. */
export async function revokeApiKey(
  db: Kysely<DB>,
  { workspaceId, id }: { workspaceId: string; id: string },
  clock: Clock,
): Promise<ApiKey> {
  const row = await db
    .updateTable('api_keys')
    .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(clock.now())) }))
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new KizunaError('not_found', `API key ${id} was not found in this workspace`);
  return toApiKey(row);
}

/** Resolves a presented key to its workspace and scope, or undefined when unknown or revoked. */
export async function authenticateKey(db: Kysely<DB>, key: string, clock: Clock): Promise<Principal | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'workspace_id', 'scope', 'last_used_at'])
    .where('key_hash', '=', hashKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const now = clock.now();
  // Record use at most once a minute, so authentication stays a read on the hot path.
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
    await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { workspaceId: row.workspace_id, keyId: row.id, scope: row.scope };
}

function toApiKey(row: {
  id: string;
  workspace_id: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): ApiKey {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

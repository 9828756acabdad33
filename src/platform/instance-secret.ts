import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from './clock.ts';
import type { DB } from './db/schema.ts';

/**
 * A named secret of this installation: read from the database, or created there on first use
 * (the first writer wins, so every process ends up with the same value).
 */
export async function instanceSecret(db: Kysely<DB>, name: string, clock: Clock): Promise<Buffer> {
  await db
    .insertInto('instance_secrets')
    .values({ name, value: randomBytes(32).toString('base64'), created_at: clock.now() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('instance_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64');
}

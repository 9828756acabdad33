import type { Kysely, Transaction } from 'kysely';

/**
 * Runs `work` in a transaction: the caller's, when `db` already is one (an install that publishes
 * what it creates, all or nothing), else a new one.
 */
export function inTransaction<DB, T>(db: Kysely<DB>, work: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<DB>) : db.transaction().execute(work);
}

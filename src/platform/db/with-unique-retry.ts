/**
 * Runs a transaction again when it lost a race on a unique index (SQLSTATE 23505): two writers
 * creating the same contact at once. The second attempt sees the first one's row and updates it.
 */
export async function withUniqueRetry<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || (error as { code?: string }).code !== '23505') throw error;
    }
  }
}

// 23505 unique_violation: two writers created the same contact at once; the retry finds it.
// 40P01 deadlock_detected, 40001 serialization_failure: the server chose this transaction to undo.
const RETRYABLE = new Set(['23505', '40P01', '40001']);

/**
 * Runs a transaction again when it lost a race that a second attempt resolves: a unique-index
 * collision with a concurrent writer, or a deadlock the server broke by aborting this one.
 */
export async function withConflictRetry<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !RETRYABLE.has((error as { code?: string }).code ?? '')) throw error;
      // Jittered backoff so the transactions that collided do not collide again at once.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

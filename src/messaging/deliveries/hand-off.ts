import type { Outcome } from './leases.ts';

/** What a message's hand-over came to: marked (it may go), taken back by another claim, or not recorded (the write failed). */
export type HandOverState = 'marked' | 'not_held' | 'write_failed';

/** A claim's writes while its messages go out: hand-over marks and outcomes, batched. */
export interface HandOff {
  /**
   * Marks the row as being handed over; resolves once that is written (the message may then be
   * accepted), rejects if the claim no longer holds it or the write failed (it must not go).
   */
  mark(id: string): Promise<void>;
  /** The state of a row's mark; undefined while it was never asked for. */
  state(id: string): HandOverState | undefined;
  /** Records an outcome with the next write. */
  record(outcome: Outcome): void;
  /** Writes the outcomes not written yet. */
  flush(): Promise<void>;
}

/**
 * Batches a claim's writes: the marks asked for and the outcomes settled while a write runs go
 * together in the next one, so statements stay few however many connections are sending.
 * `write` records outcomes and marks rows in one statement, returning the ids marked (see settle).
 * @example const handOff = createHandOff({ write: (ids, outcomes) => settle(db, { hand: ids, outcomes, lease, now }) });
 */
export function createHandOff({ write }: { write(ids: string[], outcomes: Outcome[]): Promise<ReadonlySet<string>> }): HandOff {
  const states = new Map<string, HandOverState>();
  let marks = new Map<string, { resolve(): void; reject(error: Error): void }>();
  let outcomes: Outcome[] = [];
  let writing: Promise<void> | undefined;

  const run = (): Promise<void> => {
    writing ??= (async () => {
      for (;;) {
        // Everything asked for in this turn of the event loop goes in one statement: a message
        // ending and the next one taking its connection come together.
        await new Promise((resolve) => setImmediate(resolve));
        if (marks.size === 0 && outcomes.length === 0) break;
        const asked = marks;
        const settled = outcomes;
        marks = new Map();
        outcomes = [];
        let held: ReadonlySet<string>;
        try {
          held = await write([...asked.keys()], settled);
        } catch (error) {
          // Outcomes are written again by the caller's final write; the marks fail their messages.
          for (const [id, waiting] of asked) {
            states.set(id, 'write_failed');
            waiting.reject(error as Error);
          }
          continue;
        }
        for (const [id, waiting] of asked) {
          if (held.has(id)) {
            states.set(id, 'marked');
            waiting.resolve();
          } else {
            states.set(id, 'not_held');
            waiting.reject(new Error('the delivery is no longer held by this claim (its lease ran out); not sent'));
          }
        }
      }
      writing = undefined;
    })();
    return writing;
  };

  return {
    mark: (id) => {
      // Asked again (nodemailer retries a message on a new connection): already marked, go.
      if (states.get(id) === 'marked') return Promise.resolve();
      const marked = new Promise<void>((resolve, reject) => marks.set(id, { resolve, reject }));
      void run();
      return marked;
    },
    state: (id) => states.get(id),
    record: (outcome) => {
      outcomes.push(outcome);
      void run();
    },
    flush: run,
  };
}

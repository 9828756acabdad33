/** One message caught by the dev SMTP sink, as mailparser read it. */
export interface CaughtMail {
  /** Given by the sink (not the Message-ID header). */
  id: string;
  /** The X-Kizuna-Workspace header; null for mail Kizuna did not send. */
  workspaceId: string | null;
  /** The SMTP envelope: MAIL FROM (null for the null sender `<>`) and every RCPT TO. */
  envelope: { from: string | null; to: string[] };
  messageId: string | null;
  /** The From and To headers, decoded, as display text. */
  from: string;
  to: string;
  subject: string;
  text: string | null;
  html: string | null;
  /** Every header line by lower-cased name, unfolded but as sent (encoded words are not decoded). */
  headers: Record<string, string[]>;
  /** The Date header (ISO 8601), or null when absent. */
  date: string | null;
  receivedAt: string;
  /** Size of the raw message in bytes. */
  sizeBytes: number;
}

export interface Mailbox {
  /** Newest first; only the workspace's messages when one is given. */
  list(options?: { workspaceId?: string; limit?: number }): CaughtMail[];
  get(id: string): CaughtMail | undefined;
  /** Forgets the workspace's messages (all messages without one); returns how many. */
  clear(options?: { workspaceId?: string }): number;
  /**
   * Resolves with the messages (oldest first) once the mailbox holds at least `count` of them
   * (of the workspace, when given); rejects after `timeoutMs` saying how many came.
   * @example await mailbox.waitFor(50, { workspaceId })
   */
  waitFor(count: number, options?: { workspaceId?: string; timeoutMs?: number }): Promise<CaughtMail[]>;
  /** Stores a message, dropping the oldest beyond the bound (the sink calls this). */
  add(mail: CaughtMail): void;
}

interface Waiter {
  count: number;
  workspaceId?: string;
  resolve: (mails: CaughtMail[]) => void;
}

/** A bounded in-memory mailbox: the newest `maxMessages` messages, oldest dropped first. */
export function createMailbox({ maxMessages = 1000 }: { maxMessages?: number } = {}): Mailbox {
  let mails: CaughtMail[] = []; // oldest first
  const waiters = new Set<Waiter>();
  const of = (workspaceId?: string) => (workspaceId === undefined ? mails : mails.filter((m) => m.workspaceId === workspaceId));

  return {
    list: ({ workspaceId, limit = maxMessages } = {}) => of(workspaceId).slice(-limit).reverse(),
    get: (id) => mails.find((m) => m.id === id),
    clear: ({ workspaceId } = {}) => {
      const before = mails.length;
      mails = workspaceId === undefined ? [] : mails.filter((m) => m.workspaceId !== workspaceId);
      return before - mails.length;
    },
    add: (mail) => {
      mails.push(mail);
      if (mails.length > maxMessages) mails.splice(0, mails.length - maxMessages);
      for (const waiter of waiters) {
        const matching = of(waiter.workspaceId);
        if (matching.length >= waiter.count) {
          waiters.delete(waiter);
          waiter.resolve(matching);
        }
      }
    },
    waitFor: (count, { workspaceId, timeoutMs = 10_000 } = {}) => {
      if (count > maxMessages)
        return Promise.reject(new Error(`the mailbox keeps at most ${maxMessages} messages; cannot wait for ${count}`));
      const matching = of(workspaceId);
      if (matching.length >= count) return Promise.resolve(matching);
      return new Promise((resolve, reject) => {
        // A deadline for a test that would otherwise hang, not a sleep: it never delays a pass.
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`expected ${count} messages in the dev mailbox within ${timeoutMs} ms, got ${of(workspaceId).length}`));
        }, timeoutMs);
        const waiter: Waiter = {
          count,
          workspaceId,
          resolve: (found) => {
            clearTimeout(timer);
            resolve(found);
          },
        };
        waiters.add(waiter);
      });
    },
  };
}

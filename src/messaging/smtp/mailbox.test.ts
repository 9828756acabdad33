import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CaughtMail, createMailbox } from './mailbox.ts';

const mail = (id: string, workspaceId: string | null): CaughtMail => ({
  id,
  workspaceId,
  envelope: { from: 'a@example.com', to: ['b@example.com'] },
  messageId: `<${id}@example.com>`,
  from: 'a@example.com',
  to: 'b@example.com',
  subject: id,
  text: id,
  html: null,
  headers: {},
  date: null,
  receivedAt: '2026-04-01T00:00:00.000Z',
  sizeBytes: 100,
});

describe('the dev mailbox', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lists newest first, per workspace, and clears one workspace only', () => {
    const mailbox = createMailbox();
    for (const [id, ws] of [
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'a'],
      ['4', null],
    ] as const)
      mailbox.add(mail(id, ws));
    expect(mailbox.list().map((m) => m.id)).toEqual(['4', '3', '2', '1']);
    expect(mailbox.list({ workspaceId: 'a' }).map((m) => m.id)).toEqual(['3', '1']);
    expect(mailbox.list({ workspaceId: 'a', limit: 1 }).map((m) => m.id)).toEqual(['3']);
    expect(mailbox.get('2')?.subject).toBe('2');
    expect(mailbox.clear({ workspaceId: 'a' })).toBe(2);
    expect(mailbox.list().map((m) => m.id)).toEqual(['4', '2']);
  });

  it('drops the oldest beyond its bound', () => {
    const mailbox = createMailbox({ maxMessages: 2 });
    for (const id of ['1', '2', '3']) mailbox.add(mail(id, 'a'));
    expect(mailbox.list().map((m) => m.id)).toEqual(['3', '2']);
    expect(mailbox.get('1')).toBeUndefined();
  });

  it('wakes a waiter when the count is reached, counting only its workspace', async () => {
    const mailbox = createMailbox();
    mailbox.add(mail('1', 'a'));
    expect(await mailbox.waitFor(1, { workspaceId: 'a' })).toHaveLength(1);
    let woke = false;
    const waiting = mailbox.waitFor(2, { workspaceId: 'a' }).then((found) => {
      woke = true;
      return found;
    });
    mailbox.add(mail('2', 'b'));
    await Promise.resolve();
    expect(woke).toBe(false);
    mailbox.add(mail('3', 'a'));
    expect((await waiting).map((m) => m.id)).toEqual(['1', '3']);
  });

  it('gives up at the deadline saying how many came', async () => {
    vi.useFakeTimers();
    const mailbox = createMailbox();
    mailbox.add(mail('1', 'a'));
    const waiting = mailbox.waitFor(3, { timeoutMs: 5000 });
    vi.advanceTimersByTime(5000);
    await expect(waiting).rejects.toThrow('expected 3 messages in the dev mailbox within 5000 ms, got 1');
  });
});

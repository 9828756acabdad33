import { describe, expect, it } from 'vitest';
import { createHandOff } from './hand-off.ts';
import type { Outcome } from './leases.ts';

const sent = (id: string): Outcome => ({ id, status: 'sent', to: `${id}@example.jp`, messageId: id, response: '250', sentAt: new Date(0) });

describe('a claim’s hand-over writes', () => {
  it('puts the marks and outcomes of one turn of the event loop in one write, and resolves each mark once written', async () => {
    const writes: [string[], string[]][] = [];
    const handOff = createHandOff({
      write: async (ids, outcomes) => {
        writes.push([ids, outcomes.map((o) => o.id)]);
        return new Set(ids.filter((id) => id !== 'taken'));
      },
    });
    const a = handOff.mark('a');
    const b = handOff.mark('b');
    handOff.record(sent('earlier'));
    const taken = handOff.mark('taken');
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
    await expect(taken).rejects.toThrow(/no longer held/);
    expect(writes).toEqual([[['a', 'b', 'taken'], ['earlier']]]);
    expect([handOff.state('a'), handOff.state('taken'), handOff.state('never')]).toEqual(['marked', 'not_held', undefined]);
    // Marked already (nodemailer retrying on another connection): no second write.
    await handOff.mark('a');
    handOff.record(sent('a'));
    await handOff.flush();
    expect(writes).toEqual([
      [['a', 'b', 'taken'], ['earlier']],
      [[], ['a']],
    ]);
  });

  it('fails the marks of a write that failed, so their messages never reach the end of DATA', async () => {
    const handOff = createHandOff({
      write: async () => {
        throw new Error('connection terminated');
      },
    });
    await expect(handOff.mark('a')).rejects.toThrow('connection terminated');
    expect(handOff.state('a')).toBe('write_failed');
  });
});

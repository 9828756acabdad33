import { describe, expect, it } from 'vitest';
import { createUnionFind } from './union-find.ts';

describe('createUnionFind', () => {
  it('joins keys transitively and keeps strangers apart', () => {
    const sets = createUnionFind();
    sets.union('e:a', 'x:crm:1');
    sets.union('x:crm:1', 'e:b');
    expect(sets.find('e:b')).toBe(sets.find('e:a'));
    expect(sets.find('e:c')).not.toBe(sets.find('e:a'));
  });
});

/**
 * Disjoint sets over string keys: which emails and external ids name the same person, directly
 * or through each other (row 1: email a + crm:1; row 2: crm:1 + email b → one person).
 */
export function createUnionFind() {
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(key, root);
    return root;
  };
  return {
    find,
    union(a: string, b: string): void {
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent.set(rb, ra);
    },
  };
}

import { describe, expect, it } from 'vitest';
import { normalizeText } from './normalize-text.ts';

describe('normalizeText', () => {
  it('folds full-width ASCII to half-width', () => {
    expect(normalizeText('ＡＢＣ１２３＠ｅｘａｍｐｌｅ')).toBe('ABC123@example');
  });

  it('folds half-width kana (with voiced marks) to full-width', () => {
    expect(normalizeText('ｶﾞｯｺｳ ﾔﾏﾀﾞ')).toBe('ガッコウ ヤマダ');
  });

  it('trims and collapses whitespace, including the ideographic space', () => {
    expect(normalizeText('  山田\u3000\u3000太郎 \t\n 様 ')).toBe('山田 太郎 様');
  });

  it('returns null for null, undefined, empty and blank input', () => {
    expect(normalizeText(null)).toBeNull();
    expect(normalizeText(undefined)).toBeNull();
    expect(normalizeText('')).toBeNull();
    expect(normalizeText(' \u3000\t ')).toBeNull();
  });

  it('leaves already clean text unchanged', () => {
    expect(normalizeText('株式会社サンプル')).toBe('株式会社サンプル');
  });
});

import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { detectEncoding, iconvName } from './detect-encoding.ts';

const csv = '氏名,会社名\n山田 太郎,株式会社サンプル\n';

describe('detectEncoding', () => {
  it('detects Shift_JIS (CP932) as exported by Japanese Excel', () => {
    expect(detectEncoding(iconv.encode(csv, 'cp932'))).toBe('shift_jis');
  });

  it('detects UTF-8 with and without a BOM', () => {
    expect(detectEncoding(Buffer.from(csv, 'utf8'))).toBe('utf-8');
    expect(detectEncoding(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'utf8')]))).toBe('utf-8');
  });

  it('treats plain ASCII and an empty sample as UTF-8', () => {
    expect(detectEncoding(Buffer.from('email,name\na@example.com,Taro\n'))).toBe('utf-8');
    expect(detectEncoding(Buffer.alloc(0))).toBe('utf-8');
  });

  it('tolerates a sample that ends in the middle of a multibyte character', () => {
    const bytes = Buffer.from(csv, 'utf8');
    // '氏' is 3 bytes: cutting after 1 and 2 of them leaves an incomplete sequence.
    expect(detectEncoding(bytes.subarray(0, 1))).toBe('utf-8');
    expect(detectEncoding(bytes.subarray(0, 5))).toBe('utf-8');
  });

  it('does not tolerate invalid bytes before the end', () => {
    const broken = Buffer.concat([Buffer.from(csv, 'utf8').subarray(0, 2), Buffer.from(',x\n')]);
    expect(detectEncoding(broken)).toBe('shift_jis');
  });

  it('round-trips CP932-only characters through iconvName', () => {
    const text = '会社名,備考\n㈱サンプル,①～③\n';
    const bytes = iconv.encode(text, 'cp932');
    expect(iconv.decode(bytes, iconvName(detectEncoding(bytes)))).toBe(text);
  });
});

describe('iconvName', () => {
  it('maps to iconv-lite codec names', () => {
    expect(iconvName('utf-8')).toBe('utf8');
    expect(iconvName('shift_jis')).toBe('cp932');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { KizunaError } from '../platform/errors.ts';
import { type CsvRecord, type ImportSource, readRecords } from './read-records.ts';

async function records(source: ImportSource, encoding: 'utf-8' | 'shift_jis' = 'utf-8'): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const record of readRecords(source, encoding)) out.push(record);
  return out;
}

const lines = async (csv: string) => (await records({ buffer: Buffer.from(csv) })).map((r) => [r.line, r.cells[0]]);

describe('readRecords', () => {
  it('numbers records by the line they start on, across cells spanning lines and skipped rows', async () => {
    const csv = 'email,memo\r\n\r\na@x.jp,"one\r\ntwo"\r\nb@x.jp,x\r\n,\r\nc@x.jp,"q\r\n\r\nq"\r\nd@x.jp,\r\n';
    expect(await lines(csv)).toEqual([
      [1, 'email'],
      [3, 'a@x.jp'],
      [5, 'b@x.jp'],
      [7, 'c@x.jp'],
      [10, 'd@x.jp'],
    ]);
  });

  it('counts LF-only and old Mac CR-only files the same way', async () => {
    expect(await lines('email,memo\na@x.jp,"1\n2"\nb@x.jp,\n')).toEqual([
      [1, 'email'],
      [2, 'a@x.jp'],
      [4, 'b@x.jp'],
    ]);
    expect(await lines('email,memo\ra@x.jp,"1\r2"\rb@x.jp,\r')).toEqual([
      [1, 'email'],
      [2, 'a@x.jp'],
      [4, 'b@x.jp'],
    ]);
  });

  it('keeps a line break inside a cell, as LF', async () => {
    const [, record] = await records({ buffer: Buffer.from('email,memo\r\na@x.jp,"one\r\ntwo"\r\n') });
    expect(record!.cells).toEqual(['a@x.jp', 'one\ntwo']);
  });

  it('decodes Shift_JIS and drops a UTF-8 BOM', async () => {
    const sjis = await records({ buffer: iconv.encode('氏名,会社名\r\n山田 太郎,サンプル㈱\r\n', 'cp932') }, 'shift_jis');
    expect(sjis.map((r) => r.cells)).toEqual([
      ['氏名', '会社名'],
      ['山田 太郎', 'サンプル㈱'],
    ]);
    const bom = await records({ buffer: Buffer.from('\uFEFFメール\r\na@x.jp\r\n') });
    expect(bom[0]!.cells).toEqual(['メール']);
  });

  it('does not count a CRLF twice when a read chunk ends between CR and LF', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kizuna-read-records-'));
    try {
      // File streams read 64 KiB at a time: put the CR of a CRLF inside a quoted cell on the last byte of the first chunk.
      const head = 'email,memo\r\n';
      const filler = `a@x.jp,"${'x'.repeat(65_536 - head.length - 'a@x.jp,"'.length - 1)}`;
      const path = join(dir, 'big.csv');
      writeFileSync(path, `${head}${filler}\r\nmore"\r\nb@x.jp,\r\n`);
      expect(Buffer.byteLength(head + filler)).toBe(65_535);
      expect((await records({ path })).map((r) => [r.line, r.cells[0]])).toEqual([
        [1, 'email'],
        [2, 'a@x.jp'],
        [4, 'b@x.jp'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns a malformed file into an invalid_input error about the file', async () => {
    const error = await records({ buffer: Buffer.from('email,memo\r\na@x.jp,"open\r\n') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KizunaError);
    expect(error).toMatchObject({
      code: 'invalid_input',
      issues: [{ path: 'file', message: expect.stringMatching(/^not a valid CSV file: /) }],
    });
  });
});

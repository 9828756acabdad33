import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { invalidInput } from '../platform/errors.ts';
import { type CsvEncoding, iconvName } from './csv/detect-encoding.ts';

/** Where an import reads its CSV from: bytes in memory (uploads) or a file on disk (the CLI). */
export type ImportSource = { buffer: Buffer } | { path: string };

/** One CSV record and the file line it starts on (the header is line 1). */
export interface CsvRecord {
  line: number;
  cells: string[];
}

/**
 * Streams the records of a CSV file, decoded from `encoding`. Line numbers are what a person
 * sees in a text editor, so a report can point at them: csv-parse's own `info.lines` is the line
 * a record ends on and counts a CRLF inside a quoted cell twice, so line ends are folded to LF
 * first and the line breaks inside the record's cells are subtracted.
 * @throws KizunaError invalid_input when the file is not CSV (an unclosed quote, say).
 */
export async function* readRecords(source: ImportSource, encoding: CsvEncoding): AsyncGenerator<CsvRecord> {
  const input = 'buffer' in source ? Readable.from([source.buffer]) : createReadStream(source.path);
  const decoded = input.pipe(iconv.decodeStream(iconvName(encoding)));
  const parser = Readable.from(foldLineEnds(decoded)).pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_empty_values: true, info: true }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const breaks = record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
      yield { line: info.lines - breaks, cells: record };
    }
  } catch (error) {
    if (error instanceof CsvError) throw invalidInput([{ path: 'file', message: `not a valid CSV file: ${error.message}` }]);
    throw error;
  }
}

/** CRLF and lone CR become LF; a CR at the end of a chunk waits for the next one. */
async function* foldLineEnds(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  let carry = '';
  // iconv-lite's decoder emits strings; the type admits Buffers only because Node streams may.
  for await (const chunk of chunks) {
    const text = carry + String(chunk);
    carry = text.endsWith('\r') ? '\r' : '';
    const folded = text.slice(0, text.length - carry.length).replace(/\r\n?/g, '\n');
    if (folded) yield folded;
  }
  if (carry) yield '\n';
}

/** The first bytes of the source, for encoding detection. */
export function readSample(source: ImportSource, sizeBytes = 65_536): Buffer {
  if ('buffer' in source) return source.buffer.subarray(0, sizeBytes);
  const fd = openSync(source.path, 'r');
  try {
    const buffer = Buffer.alloc(sizeBytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
}

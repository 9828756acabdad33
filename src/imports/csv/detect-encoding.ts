/**
 * Which encoding an uploaded CSV uses. Japanese Excel saves "CSV" as Shift_JIS — strictly
 * its Windows superset CP932 (Windows-31J), which adds ①, ㈱, ～ and NEC/IBM kanji — while
 * everything else sends UTF-8. Shift_JIS text is almost never valid UTF-8, so a strict
 * UTF-8 decode of the first bytes tells the two apart.
 */

export type CsvEncoding = 'utf-8' | 'shift_jis';

/**
 * Decide from the first bytes of a file. A sample cut in the middle of a multibyte
 * character still counts as UTF-8.
 * @example detectEncoding(await readFirstBytes(path, 64 * 1024)) // 'shift_jis'
 */
export function detectEncoding(sample: Buffer): CsvEncoding {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8';
  try {
    // stream: true holds back an incomplete sequence at the end instead of failing on it.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return 'utf-8';
  } catch {
    return 'shift_jis';
  }
}

/** The iconv-lite codec name for an encoding ('shift_jis' decodes as CP932, the Excel variant). */
export function iconvName(encoding: CsvEncoding): 'utf8' | 'cp932' {
  return encoding === 'utf-8' ? 'utf8' : 'cp932';
}

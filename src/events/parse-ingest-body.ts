import { gunzipSync } from 'node:zlib';
import { invalidInput, KizunaError } from '../platform/errors.ts';

export const MAX_BATCH_BYTES = 500 * 1024;
export const MAX_EVENT_BYTES = 32 * 1024;

/**
 * The JSON document of an ingestion request, whatever its Content-Type claims (analytics.js
 * sends text/plain; some clients send form labels), gunzipped when it is gzip (by header or by
 * its magic bytes). At most 500 KB once decompressed, which also stops gzip bombs.
 */
export function parseIngestBody(bytes: Buffer, contentEncoding: string | undefined): Record<string, unknown> {
  let raw = bytes;
  const isGzip = /gzip/i.test(contentEncoding ?? '') || (bytes[0] === 0x1f && bytes[1] === 0x8b);
  if (isGzip) {
    try {
      raw = gunzipSync(bytes, { maxOutputLength: MAX_BATCH_BYTES + 1 });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
      throw invalidInput([{ path: 'body', message: 'the body says it is gzip but does not decompress: expected gzip-compressed JSON' }]);
    }
  }
  if (raw.length > MAX_BATCH_BYTES) throw tooLarge();
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidInput([{ path: 'body', message: 'the body is not valid JSON' }]);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw invalidInput([{ path: 'body', message: 'expected a JSON object' }]);
  return value as Record<string, unknown>;
}

function tooLarge(): KizunaError {
  return new KizunaError('payload_too_large', `a request may carry at most ${MAX_BATCH_BYTES / 1024} KB of JSON`, {
    issues: [{ path: 'body', message: `at most ${MAX_BATCH_BYTES} bytes (500 KB) per request` }],
  });
}

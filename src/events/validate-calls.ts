import { type FieldIssue, invalidInput, issuesFromZod, KizunaError } from '../platform/errors.ts';
import { CALL_SCHEMAS, CALL_TYPES, type CallType, type SegmentCall } from './event-schema.ts';
import { MAX_EVENT_BYTES } from './parse-ingest-body.ts';

/**
 * Validates one call (`/v1/track` …) or a batch (`/v1/batch`) against the Segment spec. All or
 * nothing: one bad call rejects the request, naming it (`batch.3.event`), and nothing is stored.
 */
export function validateCalls(type: CallType | 'batch', body: Record<string, unknown>): SegmentCall[] {
  if (type !== 'batch') return [validateOne(type, body, '')];
  const batch = body.batch;
  if (!Array.isArray(batch)) throw invalidInput([{ path: 'batch', message: 'expected an array of calls' }]);
  const shared = { context: body.context, sentAt: body.sentAt };
  const calls: SegmentCall[] = [];
  const issues: FieldIssue[] = [];
  batch.forEach((item, i) => {
    const prefix = `batch.${i}`;
    const callType = (item as { type?: unknown } | null)?.type;
    if (!CALL_TYPES.includes(callType as CallType)) {
      issues.push({ path: `${prefix}.type`, message: `expected one of ${CALL_TYPES.join(', ')}` });
      return;
    }
    try {
      calls.push(validateOne(callType as CallType, { ...dropUndefined(shared), ...(item as object) }, prefix));
    } catch (error) {
      if (!(error instanceof KizunaError)) throw error;
      if (error.code === 'payload_too_large') throw error;
      issues.push(...error.issues);
    }
  });
  if (issues.length) throw invalidInput(issues);
  return calls;
}

function validateOne(type: CallType, body: Record<string, unknown>, prefix: string): SegmentCall {
  if (Buffer.byteLength(JSON.stringify(body)) > MAX_EVENT_BYTES) {
    throw new KizunaError('payload_too_large', `a single call may be at most ${MAX_EVENT_BYTES / 1024} KB`, {
      issues: [{ path: prefix || 'body', message: `at most ${MAX_EVENT_BYTES} bytes (32 KB) per call` }],
    });
  }
  const result = CALL_SCHEMAS[type].safeParse(body);
  if (!result.success) throw invalidInput(issuesFromZod(result.error, prefix));
  return { ...(result.data as Omit<SegmentCall, 'type'>), type };
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** Where a visit came from: UTM campaign fields, the referrer and the landing page. */
export interface Touch {
  source?: string;
  medium?: string;
  campaign?: string;
  term?: string;
  content?: string;
  referrer?: string;
  url?: string;
  at: string;
}

/** Event types that are visits (and so may carry a marketing touch). */
export const isVisit = (type: string): boolean => type === 'page' || type === 'screen' || type === 'track';

/**
 * The marketing touch an event carries (pure), from Segment's `context.campaign` and
 * `context.page`; undefined when it says nothing about where the visitor came from.
 */
export function touchFromContext(context: Record<string, unknown> | undefined, at: Date): Touch | undefined {
  const campaign = asRecord(context?.campaign);
  const page = asRecord(context?.page);
  const touch: Touch = { at: at.toISOString() };
  for (const key of ['source', 'medium', 'term', 'content'] as const) {
    if (typeof campaign[key] === 'string') touch[key] = campaign[key];
  }
  if (typeof campaign.name === 'string') touch.campaign = campaign.name;
  if (typeof page.referrer === 'string' && page.referrer) touch.referrer = page.referrer;
  if (!touch.source && !touch.campaign && !touch.referrer) return undefined;
  if (typeof page.url === 'string') touch.url = page.url;
  return touch;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

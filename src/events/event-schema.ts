import { z } from 'zod';

/** Segment ids may be strings or numbers; we store them as text. */
const ZId = z.union([z.string().min(1).max(200), z.number().finite()]).transform(String);
const ZDate = z.iso
  .datetime({ offset: true, local: false })
  .or(z.iso.date())
  .or(z.iso.datetime({ local: true }));
const ZObject = z.record(z.string(), z.unknown());

const common = {
  messageId: z.string().min(1, 'expected a non-empty string').max(100, 'expected at most 100 characters').optional(),
  anonymousId: ZId.optional(),
  userId: ZId.optional(),
  timestamp: ZDate.optional(),
  originalTimestamp: ZDate.optional(),
  sentAt: ZDate.optional(),
  context: ZObject.optional(),
  integrations: z.unknown().optional(),
  writeKey: z.string().optional(),
};

const needsIdentity = (value: { userId?: string; anonymousId?: string }, ctx: z.RefinementCtx) => {
  if (value.userId === undefined && value.anonymousId === undefined) {
    ctx.addIssue({ code: 'custom', path: ['userId'], message: 'expected userId or anonymousId' });
  }
};

export const ZIdentify = z.looseObject({ ...common, traits: ZObject.optional() }).superRefine(needsIdentity);
export const ZTrack = z
  .looseObject({
    ...common,
    event: z.string('expected the event name as a string').min(1, 'expected an event name').max(200),
    properties: ZObject.optional(),
  })
  .superRefine(needsIdentity);
export const ZPage = z
  .looseObject({
    ...common,
    name: z.string().max(300).optional(),
    category: z.string().max(300).optional(),
    properties: ZObject.optional(),
  })
  .superRefine(needsIdentity);
export const ZGroup = z.looseObject({ ...common, groupId: ZId, traits: ZObject.optional() }).superRefine(needsIdentity);
export const ZAlias = z.looseObject({ ...common, previousId: ZId, userId: ZId });

export const CALL_SCHEMAS = { identify: ZIdentify, track: ZTrack, page: ZPage, screen: ZPage, group: ZGroup, alias: ZAlias } as const;
export type CallType = keyof typeof CALL_SCHEMAS;
export const CALL_TYPES = Object.keys(CALL_SCHEMAS) as CallType[];

/** One validated call, whatever its type, in the shape ingestion works with. */
export interface SegmentCall {
  type: CallType;
  messageId?: string;
  anonymousId?: string;
  userId?: string;
  previousId?: string;
  groupId?: string;
  event?: string;
  name?: string;
  category?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context?: Record<string, unknown>;
  timestamp?: string;
  originalTimestamp?: string;
  sentAt?: string;
}

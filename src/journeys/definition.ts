import { z } from '@hono/zod-openapi';
import { type Condition, ZCondition, ZPropertyFilter } from '../segments/condition.ts';

/**
 * A journey document: a trigger, a graph of nodes with stable ids, goals and exit criteria, and a
 * re-entry policy. Each node names the node(s) after it; a node without `next` ends the journey
 * (completed). Waits are the only nodes that let time pass.
 */

const ZNodeId = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'expected a node id such as welcome_mail');
const ZNext = ZNodeId.optional().openapi({ description: 'The node after this one; none: the journey ends here (completed).' });
const ZTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day HH:MM such as 09:00');

/** An event the journey reacts to: a track call by name, or a page/screen view, with property filters. */
export const ZEventSelector = z
  .object({
    event: z.string().min(1).max(200).optional().openapi({ example: 'Order Completed' }),
    call: z.enum(['track', 'page', 'screen']).default('track'),
    where: z.array(ZPropertyFilter).max(20).default([]),
  })
  .strict()
  .refine((s) => s.call !== 'track' || s.event, { message: 'a track event needs its name', path: ['event'] });
export type EventSelector = z.infer<typeof ZEventSelector>;

export const ZDuration = z
  .object({
    days: z.number().int().min(0).max(3650).default(0),
    hours: z
      .number()
      .int()
      .min(0)
      .max(24 * 365)
      .default(0),
    minutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 365)
      .default(0),
    seconds: z.number().int().min(0).max(86_400).default(0),
  })
  .strict()
  .refine((d) => d.days + d.hours + d.minutes + d.seconds > 0, { message: 'a duration must be longer than zero' });
export type Duration = z.infer<typeof ZDuration>;

export const ZTrigger = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('event'), selector: ZEventSelector }).strict(),
    z.object({ type: z.literal('form_submitted'), formId: z.uuid() }).strict(),
    z
      .object({ type: z.literal('manual') })
      .strict()
      .openapi({ description: 'Enrolled by the API or a CSV of contacts only.' }),
    z.object({ type: z.literal('segment_entered'), segmentId: z.uuid() }).strict(),
    z.object({ type: z.literal('segment_exited'), segmentId: z.uuid() }).strict(),
    z
      .object({ type: z.literal('stage_changed'), to: z.string().min(1).max(100), from: z.string().min(1).max(100).optional() })
      .strict()
      .openapi({ description: 'The lifecycle stage became `to` (from `from`, when given).' }),
    z
      .object({
        type: z.literal('score_band'),
        modelId: z.uuid(),
        band: z.string().min(1).max(100),
        direction: z.enum(['up', 'down']).optional(),
      })
      .strict()
      .openapi({ description: 'A scoring model put the contact in `band` (moving up or down, when given).' }),
    z
      .object({
        type: z.literal('date'),
        /** A date or timestamp field of the contact (trialEndsAt, custom.birthday). */
        field: z.string().min(1).max(200),
        /** Enrol this many days after the date (negative: before it; -3: three days before). */
        offsetDays: z.number().int().min(-3650).max(3650).default(0),
        /** At this local time of the contact (the workspace's time zone when it has none). */
        time: ZTime.default('09:00'),
        /** Every year on the date's month and day (a birthday, a contract anniversary). */
        yearly: z.boolean().default(false),
      })
      .strict()
      .openapi({ description: 'A date field of the contact came round: enrolled once per occurrence at `time` local.' }),
  ])
  .openapi('JourneyTrigger');

const base = { id: ZNodeId, label: z.string().max(200).optional() };

export const ZSendNode = z
  .object({
    ...base,
    type: z.literal('send'),
    channel: z.enum(['email', 'sms', 'webhook']).default('email'),
    /** email: the template (its current published version when the step runs). */
    templateId: z.uuid().optional(),
    /** Marketing (every policy applies) or transactional (only hard bounces and complaints stop it). */
    kind: z.enum(['marketing', 'transactional']).default('marketing'),
    topic: z.string().min(1).max(100).optional(),
    /** sms: the Liquid text. */
    body: z.string().min(1).max(1600).optional(),
    /** webhook: where to POST, signed with `secret` (whsec_…). */
    url: z.url({ protocol: /^https?$/ }).optional(),
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'expected a whsec_… signing secret')
      .optional(),
    payload: z.record(z.string(), z.unknown()).optional(),
    next: ZNext,
  })
  .strict();

export const ZWaitNode = z
  .object({
    ...base,
    type: z.literal('wait'),
    /** Wait this long, or */
    duration: ZDuration.optional(),
    /** until the next time of day in the contact's time zone (weekdays 1 = Monday … 7), or */
    until: z
      .object({ time: ZTime, weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional() })
      .strict()
      .optional(),
    /**
     * until a date: a field of the contact, or `event.<property>` of the trigger event (a webinar's
     * startsAt). Shifted by `offsetDays`, then at `time` local; without `time`, a timestamp is
     * taken as it is, shifted by `offsetMinutes` too (60 minutes before: -60), and a bare date at 09:00.
     */
    untilDate: z
      .object({
        field: z.string().min(1).max(200),
        offsetDays: z.number().int().min(-3650).max(3650).default(0),
        offsetMinutes: z
          .number()
          .int()
          .min(-60 * 24 * 30)
          .max(60 * 24 * 30)
          .default(0),
        time: ZTime.optional(),
        /** When the date has already passed (a late sign-up): go to this node instead of `next`. */
        ifPast: ZNodeId.optional(),
      })
      .strict()
      .optional(),
    /** Duration waits only: count only business time (weekdays, 09:00–18:00 local unless `businessHours` says otherwise). */
    businessHours: z
      .object({
        start: ZTime.default('09:00'),
        end: ZTime.default('18:00'),
        weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7).default([1, 2, 3, 4, 5]),
      })
      .strict()
      .optional(),
    next: ZNext,
  })
  .strict();

/** Waits for an event (`selector`) or for a condition on the contact to hold (`condition`), up to `timeout`. */
export const ZWaitForNode = z
  .object({
    ...base,
    type: z.literal('wait_for'),
    selector: ZEventSelector.optional(),
    /** The contact comes to meet it (stage is SQL, a field is set, band Hot): checked on arrival, on the contact's signals and events, and every 15 minutes. */
    condition: ZCondition.optional(),
    timeout: ZDuration,
    /** happened: the event came (the condition held) within the timeout; timedOut: it did not. */
    next: z.object({ happened: ZNodeId.optional(), timedOut: ZNodeId.optional() }).strict(),
  })
  .strict();

export const ZBranchNode = z
  .object({
    ...base,
    type: z.literal('branch'),
    /** The first branch whose condition holds is taken; none: `else`. */
    branches: z
      .array(z.object({ condition: ZCondition, next: ZNext }).strict())
      .min(1)
      .max(20),
    else: ZNext,
  })
  .strict();

export const ZSplitNode = z
  .object({
    ...base,
    type: z.literal('split'),
    /** Random paths by weight; a path without `next` is a holdout (the contact leaves, completed). */
    paths: z
      .array(z.object({ key: z.string().regex(/^[A-Za-z0-9_-]{1,20}$/), weight: z.number().positive().max(100), next: ZNext }).strict())
      .min(2)
      .max(10),
  })
  .strict();

export const ZTagNode = z
  .object({
    ...base,
    type: z.literal('tag'),
    add: z.array(z.string().min(1).max(100)).max(20).default([]),
    remove: z.array(z.string().min(1).max(100)).max(20).default([]),
    next: ZNext,
  })
  .strict();

export const ZExitNode = z.object({ ...base, type: z.literal('exit') }).strict();

/** Sets a contact field (a standard field such as jobTitle, or custom.<key>); null clears it. */
export const ZUpdateFieldNode = z
  .object({
    ...base,
    type: z.literal('update_field'),
    field: z.string().min(1).max(200),
    value: z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]),
    next: ZNext,
  })
  .strict();

/** Adds the contact to static lists and/or removes it from others. */
export const ZListNode = z
  .object({
    ...base,
    type: z.literal('list'),
    add: z.array(z.uuid()).max(20).default([]),
    remove: z.array(z.uuid()).max(20).default([]),
    next: ZNext,
  })
  .strict();

/** Adjusts the contact's score in a scoring model by `points` (a ledger row with the reason). */
export const ZScoreNode = z
  .object({
    ...base,
    type: z.literal('score'),
    modelId: z.uuid(),
    points: z
      .number()
      .int()
      .min(-1000)
      .max(1000)
      .refine((n) => n !== 0, { message: 'points must not be zero' }),
    reason: z.string().min(1).max(200),
    next: ZNext,
  })
  .strict();

/** Moves the contact to a lifecycle stage (an explicit move: backwards allowed), logged with the journey as cause. */
export const ZStageNode = z
  .object({ ...base, type: z.literal('set_stage'), stage: z.string().min(1).max(100), reason: z.string().max(200).optional(), next: ZNext })
  .strict();

/** Gives the contact an owner: the account owner when its company has one, else weighted round robin over available sales users. */
export const ZAssignOwnerNode = z.object({ ...base, type: z.literal('assign_owner'), next: ZNext }).strict();

/** Notifies the contact's owner (sales): a signed webhook and an email, with a Liquid message. */
export const ZNotifyOwnerNode = z
  .object({ ...base, type: z.literal('notify_owner'), message: z.string().min(1).max(2000), next: ZNext })
  .strict();

/** Creates a follow-up task for the contact's owner, due after `dueIn`. */
export const ZCreateTaskNode = z
  .object({
    ...base,
    type: z.literal('create_task'),
    title: z.string().min(1).max(200),
    dueIn: ZDuration.optional(),
    next: ZNext,
  })
  .strict();

/** The nodes that change the contact or tell sales (run by actions.ts); each has one `next`. */
export const ACTION_NODE_TYPES = ['update_field', 'list', 'score', 'set_stage', 'assign_owner', 'notify_owner', 'create_task'] as const;

export const ZJourneyNode = z.discriminatedUnion('type', [
  ZSendNode,
  ZWaitNode,
  ZWaitForNode,
  ZBranchNode,
  ZSplitNode,
  ZTagNode,
  ZExitNode,
  ZUpdateFieldNode,
  ZListNode,
  ZScoreNode,
  ZStageNode,
  ZAssignOwnerNode,
  ZNotifyOwnerNode,
  ZCreateTaskNode,
]);
export type ActionNode = Extract<JourneyNode, { type: (typeof ACTION_NODE_TYPES)[number] }>;
export type JourneyNode = z.infer<typeof ZJourneyNode>;

export const ZJourneyDefinition = z
  .object({
    schemaVersion: z.literal(1).default(1),
    trigger: ZTrigger,
    /** The first node. */
    start: ZNodeId,
    nodes: z.array(ZJourneyNode).min(1).max(200),
    /** Who may enter when the trigger fires: a condition on the contact then (pricing page viewed at least 3 times in 30 days). */
    enrolWhen: ZCondition.optional(),
    /** A goal: an event, or the lifecycle stage reached (SQL); the contact leaves at once, converted. */
    goals: z
      .array(
        z
          .object({ name: z.string().min(1).max(100), selector: ZEventSelector.optional(), stage: z.string().min(1).max(100).optional() })
          .strict()
          .refine((g) => (g.selector === undefined) !== (g.stage === undefined), {
            message: 'a goal needs exactly one of selector (an event) or stage (a lifecycle stage reached)',
          }),
      )
      .max(10)
      .default([]),
    /** An exit event: the contact leaves at once. */
    exitOn: z.array(ZEventSelector).max(10).default([]),
    reentry: z
      .object({
        /** once: never again; after_exit: again once the last enrolment ended; every_time: each trigger (up to maxConcurrent at once). */
        policy: z.enum(['once', 'after_exit', 'every_time']).default('after_exit'),
        /** every_time: a property of the trigger event that tells enrolments apart (a cart id); the same key never enrols twice. */
        eventKey: z.string().min(1).max(200).optional(),
        maxConcurrent: z.number().int().min(1).max(100).default(1),
      })
      .strict()
      .default({ policy: 'after_exit', maxConcurrent: 1 }),
  })
  .strict()
  .openapi('JourneyDefinition');
export type JourneyDefinition = z.infer<typeof ZJourneyDefinition>;

/** The milliseconds of a duration. */
export function durationMs(d: Duration): number {
  return (((d.days * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) * 1000;
}

/**
 * The inbox keys that may make a condition true: its events, and the signals of stage, band and
 * segment changes. A wait on the condition is re-checked when one of them comes for the contact;
 * field changes have no signal and are caught by the periodic re-check.
 * @example conditionWakeKeys({ type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'SQL' }) // ['signal:lifecycle.stage_changed']
 */
export function conditionWakeKeys(condition: Condition): string[] {
  switch (condition.type) {
    case 'and':
    case 'or':
      return [...new Set(condition.conditions.flatMap(conditionWakeKeys))];
    case 'not':
      return conditionWakeKeys(condition.condition);
    case 'event':
    case 'event_time':
      return [condition.call === 'track' ? `event:track:${condition.event}` : `event:${condition.call}`];
    case 'field':
      return condition.field === 'lifecycleStage' ? ['signal:lifecycle.stage_changed'] : [];
    case 'score':
    case 'band':
      return ['signal:score.band_changed'];
    case 'segment':
      return ['signal:segment.entered', 'signal:segment.exited'];
    default:
      return [];
  }
}

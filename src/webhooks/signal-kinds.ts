/**
 * Every kind of row the decide stage writes into `signals`, and so every event type a webhook
 * endpoint can subscribe to. A writer of a new kind adds it here.
 */
export const SIGNAL_KINDS = [
  'segment.entered',
  'segment.exited',
  'score.band_changed',
  'score.threshold_crossed',
  'lifecycle.stage_changed',
  'handoff.assigned',
  'handoff.sla_breached',
  'task.created',
  'owner.notified',
] as const;

export type SignalKind = (typeof SIGNAL_KINDS)[number];

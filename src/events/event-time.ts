const DAY_MS = 86_400_000;
// Nothing a marketing system tracks happened before this; older stamps are broken clocks.
const EARLIEST_MS = Date.UTC(1990, 0, 1);

/**
 * When an event happened, corrected for the sender's clock (Segment's rule): a device whose clock
 * is off stamps both `timestamp` and `sentAt` with the same error, so
 * occurred = received − (sentAt − timestamp). Without sentAt the timestamp is trusted; without
 * either, the time it arrived. A time more than a day ahead of arrival, or before 1990, is
 * taken as arrival.
 */
export function correctEventTime(
  { timestamp, originalTimestamp, sentAt }: { timestamp?: string; originalTimestamp?: string; sentAt?: string },
  receivedAt: Date,
): Date {
  const stamped = timestamp ?? originalTimestamp;
  if (!stamped) return receivedAt;
  const at = Date.parse(stamped);
  const sent = sentAt ? Date.parse(sentAt) : Number.NaN;
  const occurred = Number.isNaN(sent) ? at : receivedAt.getTime() - (sent - at);
  return occurred > receivedAt.getTime() + DAY_MS || occurred < EARLIEST_MS || Number.isNaN(occurred) ? receivedAt : new Date(occurred);
}

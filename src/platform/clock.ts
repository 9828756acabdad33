/** The one source of business time. Production uses the system clock; tests drive a virtual one. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface VirtualClock extends Clock {
  set(at: Date): void;
  advance(ms: number): Date;
}

/** A clock that only moves when told to. @example const clock = createVirtualClock(new Date('2026-04-01T00:00:00Z')) */
export function createVirtualClock(start: Date = new Date('2026-01-01T00:00:00Z')): VirtualClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    set: (at) => {
      current = at.getTime();
    },
    advance: (ms) => {
      current += ms;
      return new Date(current);
    },
  };
}

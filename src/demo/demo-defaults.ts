/**
 * The demo's defaults: what `kizuna demo` and the first `kizuna start` load (a module of its own,
 * so the CLI's help shows them without loading the demo).
 *
 * Eight-hour steps: every call into the engines costs about the same whether it carries one
 * contact or fifty, so fewer, fuller steps load several times faster than three-hour ones. Any
 * step under 13 hours still lands in every time zone's sending day (08:00–21:00, outside quiet
 * hours) at least once a day, so deferred mail goes out the next morning; webinars get steps of
 * their own (webinarStops).
 */
export const DEMO_DEFAULTS = { contacts: 5000, days: 90, seed: 20_260_401, workspaceName: 'Demo', stepMinutes: 480 } as const;

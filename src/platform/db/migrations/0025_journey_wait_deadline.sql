-- Journey waits on a condition, and retries of system faults.
--
-- wait_deadline: when the wait_for being waited on times out. A wait on an event sleeps until
-- then (wake_at = wait_deadline); a wait on a condition wakes earlier to re-check it (every few
-- minutes, or at once when a signal or event of the contact comes), so the deadline needs a
-- column of its own. A column, not the context json: the runtime writes every state of a batch
-- in one typed statement, and the context is the trigger event that Liquid reads.
ALTER TABLE journey_enrolments ADD COLUMN wait_deadline timestamptz;

-- attempts: how many times in a row the node the enrolment is at failed with a system fault (a
-- lost connection, a serialization failure); the enrolment stays there and is retried with
-- backoff (wake_at), and fails after the last attempt. Zero again once the node runs.
-- last_error: the latest such fault, kept as data for the trace.
ALTER TABLE journey_enrolments ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE journey_enrolments ADD COLUMN last_error text;

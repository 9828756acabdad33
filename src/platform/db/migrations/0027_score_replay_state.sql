-- Scores resume their replay instead of re-reading a contact's whole history on every event.
--
-- replay: where the replay of the contact's scored events stood after the last event it read
-- (counts and last times of the rules with limits, points earned per rule, group totals, decay
-- so far, the time of the last activity, and the time and id of that last event), for the
-- version in `version`. Scoring reads only the events after it, unless events were added at or
-- before it (a late event, visits attached, a merge): then it replays the whole history again.
-- NULL: no state yet (replayed in full next time). json, not jsonb: the order in which rules
-- first earned points is part of the breakdown.
ALTER TABLE contact_scores ADD COLUMN replay json;

-- replay_seen_at, replay_seen_id: the time (ms) and id of the last event the replay read, scored
-- or not (columns, not in the document: the scoring read decides per contact where to read its
-- events from without parsing documents). A write that would only move them on is skipped until
-- the events read again since pile up, so a score that did not change is rarely rewritten.
ALTER TABLE contact_scores ADD COLUMN replay_seen_at double precision;
ALTER TABLE contact_scores ADD COLUMN replay_seen_id uuid;

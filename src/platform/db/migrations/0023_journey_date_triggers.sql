-- Date triggers (a trial ends in 3 days, a birthday) are found by scanning the contacts' date
-- field every few minutes; a journey remembers up to when it has looked, so each occurrence is
-- seen by exactly one scan (and the enrolment's event key, the occurrence, stops any repeat).
ALTER TABLE journeys ADD COLUMN date_scanned_at timestamptz;

-- Crash recovery that loses nothing it need not lose: a worker records when it hands a delivery
-- to SMTP (or the SMS provider, or a webhook's URL), one statement per small group, right before
-- handing it over. A delivery whose worker died after claiming it goes back to the queue when it
-- was never handed (nothing can have left), and fails as interrupted when it was (it may have
-- arrived: an MTA commits a message before it answers 250, so sending it again could duplicate it).
-- Cleared by each claim: a retry is handed anew.
ALTER TABLE deliveries ADD COLUMN handed_at timestamptz;

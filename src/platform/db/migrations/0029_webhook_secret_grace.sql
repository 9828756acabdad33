-- A rotated secret keeps signing beside the new one until previous_secret_until (24 h by
-- default), so a receiver can switch to the new secret without refusing requests meanwhile:
-- every request carries a signature per secret, and Standard Webhooks accepts any that matches.
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret text, ADD COLUMN previous_secret_until timestamptz;

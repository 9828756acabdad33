-- A test event (POST /api/webhooks/{id}/test) is a delivery like any other (signed, recorded,
-- listed with the endpoint's deliveries) but comes from no signal. UNIQUE (endpoint_id, signal_id)
-- still allows one delivery per signal: NULLs are distinct.
ALTER TABLE webhook_deliveries ALTER COLUMN signal_id DROP NOT NULL;

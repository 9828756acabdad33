-- Signals (segment entered/exited, stage and band changes) reach journeys through the same inbox
-- as events, in the signal's own transaction, when an active journey listens to their kind
-- (journey_event_keys 'signal:<kind>'). The signal's data and subject are the row's properties.
CREATE FUNCTION journey_inbox_signals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO journey_inbox (workspace_id, contact_id, event_id, event_key, type, name, properties, occurred_at)
  SELECT n.workspace_id, n.contact_id, gen_random_uuid(), 'signal:' || n.kind, 'signal', n.kind,
    n.data || jsonb_build_object('subjectId', n.subject_id), n.occurred_at
  FROM new_rows n
  WHERE EXISTS (SELECT 1 FROM journey_event_keys j WHERE j.workspace_id = n.workspace_id AND j.event_key = 'signal:' || n.kind);
  RETURN NULL;
END $$;

CREATE TRIGGER journey_inbox_signals AFTER INSERT ON signals
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION journey_inbox_signals();

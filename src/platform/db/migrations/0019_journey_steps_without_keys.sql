-- journey_steps is written for every node a contact runs (the journey path's hottest insert):
-- per-row foreign key checks cost more than the insert itself on the embedded engine. Steps go
-- with their enrolment by a statement trigger instead (deleting a contact or a workspace
-- cascades to its enrolments, whose steps follow).
ALTER TABLE journey_steps DROP CONSTRAINT journey_steps_enrolment_id_fkey;
ALTER TABLE journey_steps DROP CONSTRAINT journey_steps_workspace_id_fkey;

CREATE FUNCTION journey_steps_follow_enrolments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM journey_steps s USING old_rows o WHERE s.enrolment_id = o.id;
  RETURN NULL;
END $$;

CREATE TRIGGER journey_steps_follow_enrolments AFTER DELETE ON journey_enrolments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION journey_steps_follow_enrolments();

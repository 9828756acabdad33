-- The scoring write path runs in every ingest transaction that touches a scored contact.
--
-- contact_scores: a score changes many times a day, so its row is updated in place (HOT) when
-- no indexed column changes: the (model_id, score) index goes (score segments and reports read a
-- model's rows through the primary key) and pages keep room for the new row versions.
DROP INDEX contact_scores_score;
ALTER TABLE contact_scores SET (fillfactor = 70);

-- score_ledger: the most-written table of scoring, insert only. Its contact foreign key cost a
-- check per row; deleting a contact deletes its ledger explicitly (deleteContact), and a merge
-- moves it to the winner (moveScores).
ALTER TABLE score_ledger DROP CONSTRAINT score_ledger_contact_id_fkey;

-- The hospital returns the admission sheet annotated with what changed
-- since admission (issue 14): its note, when and by whom.
ALTER TABLE transitions_forms ADD COLUMN hospital_note TEXT NOT NULL DEFAULT '';
ALTER TABLE transitions_forms ADD COLUMN hospital_note_at BIGINT;
ALTER TABLE transitions_forms ADD COLUMN hospital_note_by BIGINT;

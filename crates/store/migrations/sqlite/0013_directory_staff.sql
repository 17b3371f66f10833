-- What an office keeps about its staff (issue 13), never written by an
-- import: how many professionals (for a care-management office, its care
-- managers) and the qualifications they hold, comma-separated codes of
-- domain::directory::STAFF_QUALIFICATIONS (nurse, social_worker, …).
ALTER TABLE directory_entries ADD COLUMN staff_count BIGINT;
ALTER TABLE directory_entries ADD COLUMN staff_qualifications TEXT NOT NULL DEFAULT '';

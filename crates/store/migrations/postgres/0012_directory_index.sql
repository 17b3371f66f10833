-- The directory's search index follows the table in place (issue 13): it
-- reads what changed since it last looked (updated_at), counts the current
-- entries (disappeared_at) and builds in kana order without sorting the
-- table each time. The index compares kana byte by byte (COLLATE "C"), as
-- the search index orders it.
CREATE INDEX directory_entries_changes ON directory_entries (updated_at, disappeared_at);
CREATE INDEX directory_entries_kana ON directory_entries (kana COLLATE "C", id);

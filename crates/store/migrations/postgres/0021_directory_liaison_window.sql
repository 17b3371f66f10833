-- A hospital's liaison window (地域連携室・入退院支援窓口) as a contact of
-- its own (issue 14): directory::LiaisonWindow as JSON, '' when not told.
ALTER TABLE directory_entries ADD COLUMN liaison_window TEXT NOT NULL DEFAULT '';

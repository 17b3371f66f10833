-- 診療科目 and opening hours from the national medical files (issue 13).
-- Imported columns: the speciality codes (comma-separated 診療科目コード) and
-- the schedule (domain::directory::Schedule as JSON, '' for none).
ALTER TABLE directory_entries ADD COLUMN speciality_codes TEXT NOT NULL DEFAULT '';
ALTER TABLE directory_entries ADD COLUMN schedule TEXT NOT NULL DEFAULT '';

-- 診療科目: the national codes and names the imports have seen (national),
-- and codes a region adds for what the national list lacks.
CREATE TABLE directory_specialities (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    national   BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at BIGINT NOT NULL
);

-- 国民の祝日・休日 imported from the Cabinet Office's file; they replace the
-- bundled holidays for the years they cover.
CREATE TABLE directory_holidays (
    day         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);

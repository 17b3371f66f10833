-- Directory import runs (issue 10): how many valid rows each part of the
-- national and municipal files yielded at its last accepted import, so that
-- a broken or truncated file cannot mark everything disappeared. A part is
-- a scope key: 'care-offices/<service code>/<prefecture or all>',
-- 'medical/<kind>/<prefecture or all>' or
-- 'municipal-standard/<source>/<municipality code>'.
CREATE TABLE directory_import_runs (
    scope                 TEXT PRIMARY KEY,
    valid_rows            BIGINT NOT NULL,
    -- the files of the run, comma-separated
    files                 TEXT NOT NULL,
    imported_by           TEXT NOT NULL,
    -- whether the operator passed --allow-mass-removal
    mass_removal_allowed  BOOLEAN NOT NULL,
    imported_at           BIGINT NOT NULL
);

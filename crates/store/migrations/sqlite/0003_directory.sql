-- The resource directory (社会資源): entries imported from national open data
-- or kept locally. Entries are reference data for the whole deployment,
-- keyed by (source, official code); a region sees them through its
-- municipalities. Imported columns are rewritten by re-imports; the locally
-- maintained columns (acceptance, notes, consent, confirmation, link to an
-- organisation) are never touched by an import.
CREATE TABLE directory_entries (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL,
    official_code     TEXT NOT NULL,
    kind              TEXT NOT NULL,
    name              TEXT NOT NULL,
    kana              TEXT NOT NULL DEFAULT '',
    search_key        TEXT NOT NULL DEFAULT '',
    prefecture_code   TEXT NOT NULL DEFAULT '',
    municipality_code TEXT NOT NULL DEFAULT '',
    municipality_name TEXT NOT NULL DEFAULT '',
    address           TEXT NOT NULL DEFAULT '',
    building          TEXT NOT NULL DEFAULT '',
    lat               DOUBLE PRECISION,
    lon               DOUBLE PRECISION,
    phone             TEXT NOT NULL DEFAULT '',
    fax               TEXT NOT NULL DEFAULT '',
    url               TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    corporate_number  TEXT NOT NULL DEFAULT '',
    corporate_name    TEXT NOT NULL DEFAULT '',
    open_days         TEXT NOT NULL DEFAULT '',
    open_days_note    TEXT NOT NULL DEFAULT '',
    capacity          BIGINT,
    remarks           TEXT NOT NULL DEFAULT '',
    imported_hash     TEXT NOT NULL DEFAULT '',
    last_imported_at  BIGINT,
    disappeared_at    BIGINT,
    -- locally maintained
    org_id            BIGINT REFERENCES organisations (id),
    acceptance        TEXT NOT NULL DEFAULT 'unknown',
    acceptance_note   TEXT NOT NULL DEFAULT '',
    acceptance_as_of  BIGINT,
    vacant_beds       BIGINT,
    local_notes       TEXT NOT NULL DEFAULT '',
    publish_consent   BOOLEAN NOT NULL DEFAULT TRUE,
    confirmed_by      BIGINT,
    confirmed_at      BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (source, official_code)
);
CREATE INDEX directory_entries_municipality ON directory_entries (municipality_code);
CREATE INDEX directory_entries_prefecture ON directory_entries (prefecture_code);

-- Care service codes an entry provides (one office, several services).
CREATE TABLE directory_services (
    entry_id     BIGINT NOT NULL REFERENCES directory_entries (id),
    service_code TEXT NOT NULL,
    PRIMARY KEY (entry_id, service_code)
);
CREATE INDEX directory_services_code ON directory_services (service_code);

-- Emergency information (緊急時情報, 救急医療情報キット, issue 15): one
-- record per resident, with or without a care team; who last verified it;
-- the capability links its card carries; and every opening of a link.
CREATE TABLE emergency_records (
    id                  INTEGER PRIMARY KEY,
    region_id           BIGINT NOT NULL,
    -- the care patient it belongs to, when the resident has a team
    patient_id          BIGINT UNIQUE,
    name                TEXT NOT NULL,
    kana                TEXT NOT NULL,
    -- YYYY-MM-DD
    birth_date          TEXT NOT NULL,
    address             TEXT NOT NULL,
    -- 全国地方公共団体コード
    municipality_code   TEXT NOT NULL,
    phone               TEXT NOT NULL,
    family_doctor       TEXT NOT NULL,
    diseases            TEXT NOT NULL,
    medicines           TEXT NOT NULL,
    allergies           TEXT NOT NULL,
    -- one contact a line: name, relation, phone
    contacts            TEXT NOT NULL,
    insurance           TEXT NOT NULL,
    -- emergency::Device codes, comma-separated
    devices             TEXT NOT NULL,
    -- where the home file (キット) is kept
    home_file           TEXT NOT NULL,
    -- wishes about treatment and place of care
    wishes              TEXT NOT NULL,
    lives_alone         BOOLEAN NOT NULL,
    -- who keeps it verified (reminders go there)
    responsible_user_id BIGINT NOT NULL,
    verified_at         BIGINT,
    verified_by         BIGINT,
    -- when the responsible person was last reminded by e-mail
    reminded_at         BIGINT,
    created_by          BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX emergency_records_region ON emergency_records (region_id, municipality_code);

-- A card's link: only the SHA-256 of its token is kept, so the database
-- cannot be read back into working links.
CREATE TABLE emergency_links (
    id          INTEGER PRIMARY KEY,
    record_id   BIGINT NOT NULL REFERENCES emergency_records (id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    revoked_by  BIGINT
);
CREATE INDEX emergency_links_record ON emergency_links (record_id);

-- Every opening of a card's link, shown to the team (the audit trail has
-- it too).
CREATE TABLE emergency_openings (
    id          INTEGER PRIMARY KEY,
    record_id   BIGINT NOT NULL REFERENCES emergency_records (id),
    link_id     BIGINT NOT NULL REFERENCES emergency_links (id),
    opened_at   BIGINT NOT NULL,
    source_addr TEXT NOT NULL
);
CREATE INDEX emergency_openings_record ON emergency_openings (record_id, opened_at);

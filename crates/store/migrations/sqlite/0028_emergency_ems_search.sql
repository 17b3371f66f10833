-- EMS search (救急隊による検索, issue 15): a region's agreement that a
-- neighbouring region's EMS may find its residents by name and birth date,
-- and every search an EMS user made (the daily limit counts them; the
-- audit trail has them too).
CREATE TABLE emergency_agreements (
    id            INTEGER PRIMARY KEY,
    -- the region whose residents may be found
    region_id     BIGINT NOT NULL,
    -- the region whose EMS may find them
    ems_region_id BIGINT NOT NULL,
    agreed_by     BIGINT NOT NULL,
    agreed_at     BIGINT NOT NULL,
    ended_at      BIGINT
);
CREATE INDEX emergency_agreements_ems ON emergency_agreements (ems_region_id, ended_at);

CREATE TABLE emergency_searches (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    -- the record found (NULL: none, or several)
    record_id  BIGINT,
    -- care::BreakGlassReason
    reason     TEXT NOT NULL,
    searched_at BIGINT NOT NULL
);
CREATE INDEX emergency_searches_user ON emergency_searches (user_id, searched_at);

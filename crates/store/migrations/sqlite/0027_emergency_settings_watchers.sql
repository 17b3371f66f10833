-- Emergency, continued (issue 15): each region's interval between
-- verifications (default 6 months), and the residents assigned to a
-- 民生委員 or 見守りサポーター (the watchers): the only records they see.
CREATE TABLE emergency_settings (
    region_id     BIGINT PRIMARY KEY,
    verify_months BIGINT NOT NULL,
    updated_by    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE emergency_watchers (
    id          INTEGER PRIMARY KEY,
    record_id   BIGINT NOT NULL REFERENCES emergency_records (id),
    user_id     BIGINT NOT NULL,
    assigned_by BIGINT NOT NULL,
    assigned_at BIGINT NOT NULL,
    -- when the assignment ended (NULL: in force)
    ended_at    BIGINT
);
CREATE INDEX emergency_watchers_user ON emergency_watchers (user_id, ended_at);
CREATE INDEX emergency_watchers_record ON emergency_watchers (record_id, ended_at);

-- Consent (本人・家族の同意) to be on the region's disaster list, which the
-- support centre, the municipality and the fire service read: without it
-- only the record's own team or keeper sees the resident there.
ALTER TABLE emergency_records ADD COLUMN disaster_share BOOLEAN NOT NULL DEFAULT FALSE;

-- One open disaster per region, whatever two coordinators click at once.
CREATE UNIQUE INDEX emergency_disasters_open ON emergency_disasters (region_id) WHERE closed_at IS NULL;

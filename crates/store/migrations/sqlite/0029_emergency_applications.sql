-- A resident's own application for emergency information (住民からの申し
-- 込み, issue 15): typed on a public form, kept until the support
-- centre's desk confirms it with the resident and accepts it as a record
-- (or declines it). Nothing a resident types reaches a record unseen.
CREATE TABLE emergency_applications (
    id           INTEGER PRIMARY KEY,
    region_id    BIGINT NOT NULL,
    -- JSON: the record's fields as the resident typed them
    input        TEXT NOT NULL,
    name         TEXT NOT NULL,
    source_addr  TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    -- pending, accepted, declined
    status       TEXT NOT NULL,
    decided_by   BIGINT,
    decided_at   BIGINT,
    record_id    BIGINT
);
CREATE INDEX emergency_applications_region ON emergency_applications (region_id, status, id);

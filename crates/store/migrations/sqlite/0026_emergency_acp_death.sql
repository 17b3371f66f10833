-- ACP (人生会議, issue 15): each region's notebook template, versioned
-- (a town carries its own わたしの想い), and every version of a resident's
-- record, each a snapshot of its sections so an old version reads as it
-- was written whatever the template became. And the end-of-life record
-- (看取り), one per resident, for the indicators.
CREATE TABLE emergency_acp_templates (
    id          INTEGER PRIMARY KEY,
    region_id   BIGINT NOT NULL,
    name        TEXT NOT NULL,
    -- JSON: [{key, title, hint, choices: [..], ems: bool}]
    sections    TEXT NOT NULL,
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX emergency_acp_templates_region ON emergency_acp_templates (region_id, id);

CREATE TABLE emergency_acp_versions (
    id            INTEGER PRIMARY KEY,
    record_id     BIGINT NOT NULL REFERENCES emergency_records (id),
    version       BIGINT NOT NULL,
    template_name TEXT NOT NULL,
    -- JSON: [{key, title, ems, choice, text}]
    answers       TEXT NOT NULL,
    -- who took part (本人, 長女, 主治医 …)
    participants  TEXT NOT NULL,
    -- YYYY-MM-DD, the day it was discussed
    discussed_on  TEXT NOT NULL,
    written_by    BIGINT NOT NULL,
    written_at    BIGINT NOT NULL,
    UNIQUE (record_id, version)
);

CREATE TABLE emergency_deaths (
    id              INTEGER PRIMARY KEY,
    record_id       BIGINT NOT NULL UNIQUE REFERENCES emergency_records (id),
    region_id       BIGINT NOT NULL,
    municipality_code TEXT NOT NULL,
    -- YYYY-MM-DD
    died_on         TEXT NOT NULL,
    -- emergency::DeathPlace (人口動態統計の死亡の場所)
    place           TEXT NOT NULL,
    -- emergency::Certification
    certified_by    TEXT NOT NULL,
    attending_doctor TEXT NOT NULL,
    ems_called      BOOLEAN NOT NULL,
    -- emergency::WishMet
    wish_met        TEXT NOT NULL,
    note            TEXT NOT NULL,
    recorded_by     BIGINT NOT NULL,
    recorded_at     BIGINT NOT NULL
);
CREATE INDEX emergency_deaths_region ON emergency_deaths (region_id, died_on);

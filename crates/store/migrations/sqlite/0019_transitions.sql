-- Hospital admission and discharge (入退院支援, issue 14). Other
-- capabilities' rows (patients, organisations, users, directory entries)
-- are named by id only: no key into their tables.

-- A regional rule set (入退院支援ルール), published by one body and
-- adopted by one or more regions; its content lives in versions.
CREATE TABLE transitions_rule_sets (
    id          INTEGER PRIMARY KEY,
    -- the region whose administrators edit it
    region_id   BIGINT NOT NULL,
    name        TEXT NOT NULL,
    -- who publishes it (a health centre, an association, the region)
    publisher   TEXT NOT NULL,
    -- other regions may adopt it
    shared      BOOLEAN NOT NULL,
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- One version of a rule set: never changed once written; a handoff is
-- judged by the version in force on its admission day.
CREATE TABLE transitions_rule_versions (
    id              INTEGER PRIMARY KEY,
    rule_set_id     BIGINT NOT NULL REFERENCES transitions_rule_sets (id),
    version         BIGINT NOT NULL,
    -- YYYY-MM-DD
    effective_from  TEXT NOT NULL,
    -- transitions::RuleBody as JSON
    body            TEXT NOT NULL,
    note            TEXT NOT NULL,
    created_by      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (rule_set_id, version)
);

-- A region's use of a rule set for a scope (the whole region, one
-- municipality by its 全国地方公共団体コード, or one daily-life area by
-- name), from a day on.
CREATE TABLE transitions_adoptions (
    id            INTEGER PRIMARY KEY,
    region_id     BIGINT NOT NULL,
    scope         TEXT NOT NULL,
    scope_code    TEXT NOT NULL,
    rule_set_id   BIGINT NOT NULL REFERENCES transitions_rule_sets (id),
    adopted_from  TEXT NOT NULL,
    adopted_by    BIGINT NOT NULL,
    adopted_at    BIGINT NOT NULL
);
CREATE INDEX transitions_adoptions_region ON transitions_adoptions (region_id, scope, scope_code);

-- An office's business days and hours (営業日・営業時間), which decide the
-- admission fee tier; offices without a row keep the common week.
CREATE TABLE transitions_office_calendars (
    org_id      BIGINT NOT NULL PRIMARY KEY,
    -- transitions::BusinessCalendar as JSON
    calendar    TEXT NOT NULL,
    updated_by  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- One hospital stay: the admission as first recorded, the screening, the
-- planned and actual discharge.
CREATE TABLE transitions_stays (
    id                    INTEGER PRIMARY KEY,
    region_id             BIGINT NOT NULL,
    patient_id            BIGINT NOT NULL,
    -- what the hospital's list shows (the hospital cannot read the team's record)
    patient_name          TEXT NOT NULL,
    patient_kana          TEXT NOT NULL,
    patient_birth_date    TEXT NOT NULL,
    municipality_code     TEXT NOT NULL,
    -- the directory entry of the hospital, its name then, and the
    -- organisation that receives handoffs in Renkei (none: FAX or phone)
    hospital_entry_id     BIGINT NOT NULL,
    hospital_name         TEXT NOT NULL,
    hospital_org_id       BIGINT,
    ward                  TEXT NOT NULL,
    -- YYYY-MM-DDTHH:MM, Japan time, and the instant
    admitted_local        TEXT NOT NULL,
    admitted_at           BIGINT NOT NULL,
    outside_hours         BOOLEAN NOT NULL,
    -- who learned of it first (care_manager, liaison, coordinator, family)
    reported_via          TEXT NOT NULL,
    reported_by           BIGINT NOT NULL,
    learned_at            BIGINT NOT NULL,
    -- the care-management office whose business days count
    office_org_id         BIGINT,
    rule_version_id       BIGINT,
    needs_coordination    BOOLEAN NOT NULL,
    -- the criteria met and the routing cases, as JSON lists
    screening             TEXT NOT NULL,
    route_cases           TEXT NOT NULL,
    terminal              BOOLEAN NOT NULL,
    readmission_of        BIGINT,
    planned_discharge_on  TEXT,
    discharge_told_at     BIGINT,
    discharge_told_by     BIGINT,
    discharged_on         TEXT,
    -- the discharge summary (退院時サマリー): asked for, and when it came
    -- back (YYYY-MM-DD) with a note of what came
    summary_requested_at  BIGINT,
    summary_returned_on   TEXT,
    summary_note          TEXT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX transitions_stays_patient ON transitions_stays (patient_id, admitted_at);
CREATE INDEX transitions_stays_hospital ON transitions_stays (hospital_org_id, admitted_at);
CREATE INDEX transitions_stays_region ON transitions_stays (region_id, admitted_at);

-- A handoff form of a stay (入院時情報提供書, 退院・退所情報記録書): its
-- template, its content, and each step of its way to the hospital.
CREATE TABLE transitions_forms (
    id               INTEGER PRIMARY KEY,
    stay_id          BIGINT NOT NULL REFERENCES transitions_stays (id),
    kind             TEXT NOT NULL,
    template         TEXT NOT NULL,
    -- field key -> value, as JSON
    content          TEXT NOT NULL,
    status           TEXT NOT NULL,
    created_by       BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_by       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    sent_at          BIGINT,
    sent_by          BIGINT,
    -- how it reached the hospital and on which day (Japan time)
    channel          TEXT,
    informed_on      TEXT,
    -- who received it on paper or by phone, as logged by hand
    received_by      TEXT NOT NULL,
    opened_at        BIGINT,
    acknowledged_at  BIGINT,
    acknowledged_by  BIGINT,
    UNIQUE (stay_id, kind)
);

-- The contact log of a discharge (退院・退所情報記録書): one row per time
-- the care manager received the hospital's information.
CREATE TABLE transitions_contacts (
    id                    INTEGER PRIMARY KEY,
    stay_id               BIGINT NOT NULL REFERENCES transitions_stays (id),
    -- YYYY-MM-DD
    contacted_on          TEXT NOT NULL,
    channel               TEXT NOT NULL,
    informant_profession  TEXT NOT NULL,
    informant_name        TEXT NOT NULL,
    conference            BOOLEAN NOT NULL,
    note                  TEXT NOT NULL,
    recorded_by           BIGINT NOT NULL,
    recorded_at           BIGINT NOT NULL
);
CREATE INDEX transitions_contacts_stay ON transitions_contacts (stay_id);

-- A pre-discharge conference (退院前カンファレンス): when and where, who
-- is invited, and once held who came, the checklist of the rule in force
-- as confirmed, and the minutes.
CREATE TABLE transitions_conferences (
    id              INTEGER PRIMARY KEY,
    stay_id         BIGINT NOT NULL REFERENCES transitions_stays (id),
    -- YYYY-MM-DDTHH:MM, Japan time
    scheduled_local TEXT NOT NULL,
    place           TEXT NOT NULL,
    online          BOOLEAN NOT NULL,
    -- one invitee per line (profession and name)
    invited         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attended        TEXT NOT NULL,
    -- [[item, confirmed], ...] as JSON
    checklist       TEXT NOT NULL,
    minutes         TEXT NOT NULL,
    held_on         TEXT,
    created_by      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX transitions_conferences_stay ON transitions_conferences (stay_id);

-- A region's own handoff sheet (情報連携シート): its sections in order,
-- each listing national field keys, so pre-fill, print and FHIR work for
-- every template. The national samples are built in, not stored.
CREATE TABLE transitions_templates (
    id          INTEGER PRIMARY KEY,
    region_id   BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    -- [{"title": ..., "fields": [key, ...]}, ...] as JSON
    sections    TEXT NOT NULL,
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX transitions_templates_region ON transitions_templates (region_id);

-- A request to the municipality's care division (介護保険担当課, which
-- holds the benefit records) to name an admitted person's care manager
-- when nobody knows it (担当ケアマネ照会): the person as the hospital
-- knows them, the answer due by the rule's days, and the audited answer.
CREATE TABLE transitions_inquiries (
    id                  INTEGER PRIMARY KEY,
    region_id           BIGINT NOT NULL,
    municipality_code   TEXT NOT NULL,
    asked_by            BIGINT NOT NULL,
    asked_by_org        BIGINT,
    hospital_name       TEXT NOT NULL,
    person_name         TEXT NOT NULL,
    person_kana         TEXT NOT NULL,
    birth_date          TEXT NOT NULL,
    insured_number      TEXT NOT NULL,
    address             TEXT NOT NULL,
    admitted_on         TEXT NOT NULL,
    note                TEXT NOT NULL,
    due_at              BIGINT NOT NULL,
    status              TEXT NOT NULL,
    answer_office       TEXT NOT NULL,
    answer_care_manager TEXT NOT NULL,
    answer_note         TEXT NOT NULL,
    answered_by         BIGINT,
    answered_at         BIGINT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX transitions_inquiries_region ON transitions_inquiries (region_id, status);

-- A FHIR document Bundle a hospital sent (JP-CLINS 診療情報提供書 or
-- 退院時サマリー), checked for its structure and attached to the patient:
-- the Bundle as received, and what its page shows.
CREATE TABLE transitions_documents (
    id           INTEGER PRIMARY KEY,
    region_id    BIGINT NOT NULL,
    patient_id   BIGINT NOT NULL,
    title        TEXT NOT NULL,
    -- the Composition's type (LOINC code and display)
    type_code    TEXT NOT NULL,
    type_display TEXT NOT NULL,
    -- the Composition's date, and its authors' names
    doc_date     TEXT NOT NULL,
    authors      TEXT NOT NULL,
    -- [[title, text], ...] as JSON: the sections' narrative as plain text
    sections     TEXT NOT NULL,
    bundle       TEXT NOT NULL,
    imported_by  BIGINT NOT NULL,
    imported_at  BIGINT NOT NULL
);
CREATE INDEX transitions_documents_patient ON transitions_documents (patient_id);

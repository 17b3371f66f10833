-- Emergency, continued (issue 15): the area a record's resident lives in
-- (地区, for the disaster list), the transport reports ambulance crews
-- record through a card (救急搬送), and the disaster list's safety
-- confirmations (安否確認) per disaster with the register of disaster
-- equipment (災害時の備品).
ALTER TABLE emergency_records ADD COLUMN area TEXT NOT NULL DEFAULT '';

-- Where an ambulance took the resident: written by an EMS user who held
-- the card's link; for a team's patient it opened a stay in transitions.
CREATE TABLE emergency_transports (
    id                INTEGER PRIMARY KEY,
    record_id         BIGINT NOT NULL REFERENCES emergency_records (id),
    hospital_entry_id BIGINT NOT NULL,
    hospital_name     TEXT NOT NULL,
    -- YYYY-MM-DDTHH:MM, Japan time
    transported_local TEXT NOT NULL,
    reason            TEXT NOT NULL,
    -- the stay transitions opened (NULL: a resident without a team)
    stay_id           BIGINT,
    reported_by       BIGINT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX emergency_transports_record ON emergency_transports (record_id, created_at);

-- A disaster a region confirms its residents' safety for (台風10号 …).
CREATE TABLE emergency_disasters (
    id          INTEGER PRIMARY KEY,
    region_id   BIGINT NOT NULL,
    name        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    started_by  BIGINT NOT NULL,
    closed_at   BIGINT
);
CREATE INDEX emergency_disasters_region ON emergency_disasters (region_id, started_at);

-- Every safety confirmation, kept: the latest per record is its status.
CREATE TABLE emergency_safety_checks (
    id          INTEGER PRIMARY KEY,
    disaster_id BIGINT NOT NULL REFERENCES emergency_disasters (id),
    record_id   BIGINT NOT NULL REFERENCES emergency_records (id),
    -- emergency::SafetyStatus
    status      TEXT NOT NULL,
    note        TEXT NOT NULL,
    checked_by  BIGINT NOT NULL,
    checked_at  BIGINT NOT NULL
);
CREATE INDEX emergency_safety_checks_disaster ON emergency_safety_checks (disaster_id, record_id, id);

-- Disaster equipment and where it is (衛星電話, 手動式人工呼吸器 …).
CREATE TABLE emergency_equipment (
    id                INTEGER PRIMARY KEY,
    region_id         BIGINT NOT NULL,
    municipality_code TEXT NOT NULL,
    -- emergency::EquipmentKind
    kind              TEXT NOT NULL,
    label             TEXT NOT NULL,
    place             TEXT NOT NULL,
    quantity          BIGINT NOT NULL,
    contact           TEXT NOT NULL,
    updated_by        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX emergency_equipment_region ON emergency_equipment (region_id, municipality_code);

-- Directory, part two: what care managers need beyond the open data.
-- Imported: opening hours and departments (診療科目) from the medical files.
ALTER TABLE directory_entries ADD COLUMN hours TEXT NOT NULL DEFAULT '';
ALTER TABLE directory_entries ADD COLUMN departments TEXT NOT NULL DEFAULT '';
-- Locally maintained (never written by an import):
-- 日常生活圏域 (daily-life area) as the municipality names it.
ALTER TABLE directory_entries ADD COLUMN area TEXT NOT NULL DEFAULT '';
-- Home-care functions, comma-separated codes (home_visit, house_call, h24, end_of_life).
ALTER TABLE directory_entries ADD COLUMN functions TEXT NOT NULL DEFAULT '';
-- Procedure codes from directory_procedures, comma-separated.
ALTER TABLE directory_entries ADD COLUMN procedures TEXT NOT NULL DEFAULT '';
-- Contact windows for care managers, a JSON array of
-- {"method","weekdays":[1..7],"from":"HH:MM","to":"HH:MM","note"} in Asia/Tokyo time.
ALTER TABLE directory_entries ADD COLUMN contact_windows TEXT NOT NULL DEFAULT '[]';
ALTER TABLE directory_entries ADD COLUMN contact_person TEXT NOT NULL DEFAULT '';
ALTER TABLE directory_entries ADD COLUMN features TEXT NOT NULL DEFAULT '';
ALTER TABLE directory_entries ADD COLUMN languages TEXT NOT NULL DEFAULT '';
-- Which optional fields the public map may show, comma-separated.
ALTER TABLE directory_entries ADD COLUMN public_fields TEXT NOT NULL DEFAULT 'phone,fax,url,hours,functions,features,languages';
CREATE INDEX directory_entries_org ON directory_entries (org_id);
CREATE INDEX directory_entries_confirmed ON directory_entries (confirmed_at);

-- The procedure list (DOMAIN.md §3) as data a region can extend.
CREATE TABLE directory_procedures (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    added_at   BIGINT NOT NULL
);

-- The seed list; regions add their own with `renkei directory add-procedure`.
INSERT INTO directory_procedures (code, name, added_at) VALUES
    ('tube_feeding', '経管栄養・胃ろう', 0),
    ('suction', '喀痰吸引', 0),
    ('home_oxygen', '在宅酸素', 0),
    ('ventilator', '人工呼吸器', 0),
    ('tpn', '中心静脈栄養', 0),
    ('iv_drip', '点滴', 0),
    ('insulin', 'インスリン', 0),
    ('pressure_ulcer', '褥瘡処置', 0),
    ('stoma', 'ストーマ', 0),
    ('urinary_catheter', '尿道カテーテル', 0),
    ('dialysis', '透析', 0),
    ('pain_opioids', '疼痛管理・麻薬', 0),
    ('tracheostomy', '気管切開', 0),
    ('dementia_bpsd', '認知症・BPSD', 0);

-- Changes by an organisation's members that touch public fields wait here
-- for the coordinator.
CREATE TABLE directory_change_requests (
    id            INTEGER PRIMARY KEY,
    entry_id      BIGINT NOT NULL REFERENCES directory_entries (id),
    requested_by  BIGINT NOT NULL REFERENCES users (id),
    requested_at  BIGINT NOT NULL,
    changes       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    reviewed_by   BIGINT REFERENCES users (id),
    reviewed_at   BIGINT,
    review_note   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX directory_change_requests_status ON directory_change_requests (status, requested_at);

-- Reminders of the confirmation campaign (確認依頼), one row per e-mail sent.
CREATE TABLE directory_reminders (
    id        INTEGER PRIMARY KEY,
    entry_id  BIGINT NOT NULL REFERENCES directory_entries (id),
    sent_to   TEXT NOT NULL,
    sent_at   BIGINT NOT NULL
);
CREATE INDEX directory_reminders_entry ON directory_reminders (entry_id, sent_at);

-- Care (program item エ): patients under consent, their care teams, the
-- shared timeline with read receipts and acknowledgements, attachments, the
-- versioned shared summary, notification preferences and break-glass access.
--
-- A "space" is what a timeline belongs to: one patient's care team, or a
-- regional professional group that carries no patient information. Posts,
-- members and read receipts are the same for both.
CREATE TABLE care_spaces (
    id          INTEGER PRIMARY KEY,
    region_id   BIGINT NOT NULL REFERENCES regions (id),
    kind        TEXT NOT NULL CHECK (kind IN ('patient', 'group')),
    name        TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    -- The team lead has opened the clinical summary to family members.
    family_summary_open BOOLEAN NOT NULL DEFAULT FALSE,
    created_by  BIGINT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX care_spaces_region ON care_spaces (region_id, kind);

CREATE TABLE patients (
    id                 INTEGER PRIMARY KEY,
    space_id           BIGINT NOT NULL UNIQUE REFERENCES care_spaces (id),
    region_id          BIGINT NOT NULL REFERENCES regions (id),
    registering_org_id BIGINT NOT NULL REFERENCES organisations (id),
    registered_by      BIGINT NOT NULL REFERENCES users (id),
    name               TEXT NOT NULL,
    kana               TEXT NOT NULL,
    birth_date         TEXT NOT NULL,
    sex                TEXT NOT NULL,
    address            TEXT NOT NULL DEFAULT '',
    phone              TEXT NOT NULL DEFAULT '',
    insured_number     TEXT NOT NULL DEFAULT '',
    care_level         TEXT NOT NULL DEFAULT 'none',
    care_level_from    TEXT NOT NULL DEFAULT '',
    care_level_to      TEXT NOT NULL DEFAULT '',
    care_application   TEXT NOT NULL DEFAULT 'not_applied',
    independence_physical TEXT NOT NULL DEFAULT '',
    independence_dementia TEXT NOT NULL DEFAULT '',
    household          TEXT NOT NULL DEFAULT '',
    -- Key persons and emergency contacts: JSON list of {name, relation, phone, key_person, emergency}.
    contacts           TEXT NOT NULL DEFAULT '[]',
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX patients_region_insured ON patients (region_id, insured_number);

CREATE TABLE care_members (
    id          INTEGER PRIMARY KEY,
    space_id    BIGINT NOT NULL REFERENCES care_spaces (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    -- The organisation the member acts for (none for family members).
    org_id      BIGINT REFERENCES organisations (id),
    team_role   TEXT NOT NULL,
    is_lead     BOOLEAN NOT NULL DEFAULT FALSE,
    status      TEXT NOT NULL CHECK (status IN ('invited', 'active', 'left', 'declined')),
    invited_by  BIGINT REFERENCES users (id),
    invited_at  BIGINT NOT NULL,
    accepted_at BIGINT,
    left_at     BIGINT,
    -- Posts up to this id predate the membership and are never "unread".
    joined_after_post BIGINT NOT NULL DEFAULT 0,
    UNIQUE (space_id, user_id)
);
CREATE INDEX care_members_user ON care_members (user_id, status);

CREATE TABLE care_consents (
    id               INTEGER PRIMARY KEY,
    patient_id       BIGINT NOT NULL REFERENCES patients (id),
    -- Who may join besides the registering organisation: JSON lists.
    covers_orgs      TEXT NOT NULL DEFAULT '[]',
    covers_professions TEXT NOT NULL DEFAULT '[]',
    covers_family    BOOLEAN NOT NULL DEFAULT FALSE,
    obtained_on      TEXT NOT NULL,
    obtained_by      TEXT NOT NULL,
    signer           TEXT NOT NULL DEFAULT '',
    form_attachment_id BIGINT,
    recorded_by      BIGINT NOT NULL REFERENCES users (id),
    recorded_at      BIGINT NOT NULL,
    withdrawn_at     BIGINT,
    withdrawn_by     BIGINT REFERENCES users (id),
    withdrawal_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX care_consents_patient ON care_consents (patient_id, id);

CREATE TABLE care_posts (
    id            INTEGER PRIMARY KEY,
    space_id      BIGINT NOT NULL REFERENCES care_spaces (id),
    author_id     BIGINT NOT NULL REFERENCES users (id),
    author_role   TEXT NOT NULL DEFAULT '',
    -- 'post' from a member, 'notice' written by Renkei (break-glass, team changes).
    kind          TEXT NOT NULL DEFAULT 'post',
    category      TEXT NOT NULL,
    body          TEXT NOT NULL,
    search_text   TEXT NOT NULL,
    reply_to      BIGINT REFERENCES care_posts (id),
    temperature   REAL,
    bp_systolic   REAL,
    bp_diastolic  REAL,
    pulse         REAL,
    spo2          REAL,
    respiration   REAL,
    weight        REAL,
    glucose       REAL,
    pain          REAL,
    has_vitals    BOOLEAN NOT NULL DEFAULT FALSE,
    urgent        BOOLEAN NOT NULL DEFAULT FALSE,
    ack_role      TEXT NOT NULL DEFAULT '',
    acked_by      BIGINT REFERENCES users (id),
    acked_at      BIGINT,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    edited_at     BIGINT,
    withdrawn_at  BIGINT,
    withdrawn_by  BIGINT REFERENCES users (id),
    withdrawn_reason TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    -- SHA-256 of what was posted, to tell a retry from a different post
    -- that reuses a key.
    request_hash  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX care_posts_space ON care_posts (space_id, id);
CREATE UNIQUE INDEX care_posts_idempotency ON care_posts (author_id, idempotency_key);
CREATE INDEX care_posts_open_urgent ON care_posts (space_id, id)
    WHERE urgent AND acked_at IS NULL AND withdrawn_at IS NULL;
CREATE INDEX care_posts_vitals ON care_posts (space_id, created_at) WHERE has_vitals;
CREATE INDEX care_posts_reply ON care_posts (reply_to) WHERE reply_to IS NOT NULL;

-- Earlier versions of edited posts (the current one is in care_posts).
CREATE TABLE care_post_versions (
    post_id    BIGINT NOT NULL REFERENCES care_posts (id),
    version    BIGINT NOT NULL,
    category   TEXT NOT NULL,
    body       TEXT NOT NULL,
    vitals     TEXT NOT NULL DEFAULT '{}',
    written_by BIGINT NOT NULL REFERENCES users (id),
    written_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, version)
);

CREATE TABLE care_mentions (
    post_id BIGINT NOT NULL REFERENCES care_posts (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX care_mentions_user ON care_mentions (user_id, post_id);

CREATE TABLE care_reads (
    post_id BIGINT NOT NULL REFERENCES care_posts (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    read_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);

CREATE TABLE care_attachments (
    id          INTEGER PRIMARY KEY,
    space_id    BIGINT NOT NULL REFERENCES care_spaces (id),
    post_id     BIGINT REFERENCES care_posts (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('post', 'consent')),
    media_type  TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    filename    TEXT NOT NULL,
    data        BLOB NOT NULL,
    thumbnail   BLOB,
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX care_attachments_post ON care_attachments (post_id);

-- The shared summary (在宅サマリー), one row per version.
CREATE TABLE care_summaries (
    patient_id  BIGINT NOT NULL REFERENCES patients (id),
    version     BIGINT NOT NULL,
    diagnoses   TEXT NOT NULL DEFAULT '',
    medicines   TEXT NOT NULL DEFAULT '',
    allergies   TEXT NOT NULL DEFAULT '',
    adl         TEXT NOT NULL DEFAULT '',
    procedures  TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    changed_by  BIGINT NOT NULL REFERENCES users (id),
    changed_at  BIGINT NOT NULL,
    PRIMARY KEY (patient_id, version)
);

CREATE TABLE care_break_glass (
    id          INTEGER PRIMARY KEY,
    patient_id  BIGINT NOT NULL REFERENCES patients (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    reason      TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX care_break_glass_user ON care_break_glass (user_id, patient_id, expires_at);

CREATE TABLE care_notification_prefs (
    user_id        BIGINT PRIMARY KEY REFERENCES users (id),
    email_urgent   BOOLEAN NOT NULL DEFAULT TRUE,
    email_digest   BOOLEAN NOT NULL DEFAULT TRUE,
    digest_sent_at BIGINT
);

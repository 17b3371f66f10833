-- The work a handoff creates (連携タスク, issue 14): the routing cases a
-- rule sends to an inbox (the support centre, a hub hospital or office,
-- the care team) and the follow-up after discharge. One of each kind per
-- stay; done once, with what was done.
CREATE TABLE transitions_tasks (
    id               INTEGER PRIMARY KEY,
    region_id        BIGINT NOT NULL,
    stay_id          BIGINT NOT NULL REFERENCES transitions_stays (id),
    patient_id       BIGINT NOT NULL,
    -- transitions::TaskKind
    kind             TEXT NOT NULL,
    -- transitions::TaskInbox
    inbox            TEXT NOT NULL,
    -- the hub's organisation, for a hub task
    org_id           BIGINT,
    -- who the rule names, in its words
    recipient        TEXT NOT NULL,
    -- the rule's steps, a JSON array of strings
    steps            TEXT NOT NULL,
    -- YYYY-MM-DD
    due_on           TEXT NOT NULL,
    -- transitions::TaskStatus
    status           TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    -- the directory entry chosen (a care-management office, a doctor)
    chosen_entry_id  BIGINT,
    done_by          BIGINT,
    done_at          BIGINT,
    created_at       BIGINT NOT NULL,
    UNIQUE (stay_id, kind)
);
CREATE INDEX transitions_tasks_inbox ON transitions_tasks (region_id, inbox, status);
CREATE INDEX transitions_tasks_org ON transitions_tasks (org_id, status);
CREATE INDEX transitions_tasks_patient ON transitions_tasks (patient_id);

-- One facility, one entry (issue 13): the same clinic imported from the
-- municipal standard dataset (keyed by 医療機関コード) and from the national
-- files (keyed by their 13-digit ID), or kept locally before it was
-- imported, is matched and merged. A merged entry stays in the table, so
-- its source keeps updating it and a split restores it, but it is listed
-- only through the entry it was merged into.
ALTER TABLE directory_entries ADD COLUMN merged_into BIGINT REFERENCES directory_entries (id);
CREATE INDEX directory_entries_merged_into ON directory_entries (merged_into);

-- Pairs the matching found, and what the coordinator decided about them.
-- entry_a < entry_b; a pair is proposed once: a rejected or split pair is
-- not proposed again.
CREATE TABLE directory_same_facility (
    id          INTEGER PRIMARY KEY,
    entry_a     BIGINT NOT NULL REFERENCES directory_entries (id),
    entry_b     BIGINT NOT NULL REFERENCES directory_entries (id),
    -- 0-100
    confidence  BIGINT NOT NULL,
    -- comma-separated evidence codes (same_phone, same_name, ...)
    evidence    TEXT NOT NULL,
    -- proposed, merged, rejected or split
    status      TEXT NOT NULL DEFAULT 'proposed',
    found_at    BIGINT NOT NULL,
    -- NULL with status merged: merged by the matching run itself
    decided_by  BIGINT,
    decided_at  BIGINT,
    UNIQUE (entry_a, entry_b)
);
CREATE INDEX directory_same_facility_status ON directory_same_facility (status);

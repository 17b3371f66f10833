-- Stewardship by category (issue 13): an association (医師会, 歯科医師会,
-- 薬剤師会, a visiting-nursing liaison council) looks after its members'
-- entries of one kind in its region: its members review their change
-- requests, confirm and correct them, as the coordinator does for every
-- entry. Granted by the region's coordinator; audited.
CREATE TABLE directory_stewardships (
    -- identity's organisation (read through its views; no key into its tables)
    org_id      BIGINT NOT NULL,
    -- an entry kind (clinic, dental_clinic, pharmacy, ...)
    kind        TEXT NOT NULL,
    granted_by  BIGINT,
    granted_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, kind)
);

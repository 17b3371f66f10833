-- The patient's daily-life area (日常生活圏域) on a stay (issue 14), so a
-- rule set adopted for one area judges that area's admissions.
ALTER TABLE transitions_stays ADD COLUMN area TEXT NOT NULL DEFAULT '';

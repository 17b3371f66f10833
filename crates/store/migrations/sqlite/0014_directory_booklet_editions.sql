-- Printed guidebook editions (issue 13): what each printed area looked
-- like, so that the next edition can print only the pages that changed
-- (a booklet in a ring binder is updated by replacing pages).
CREATE TABLE directory_booklet_editions (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    -- public or professional
    edition     TEXT NOT NULL,
    -- the municipalities it covered, comma-separated ('' = all)
    scope       TEXT NOT NULL,
    -- JSON object: area name -> SHA-256 of what its pages print
    pages       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);

-- Audit checkpoints (issue 10): signed anchors of the hash chain.
-- Each row is one checkpoint as also appended to the anchor file: the head
-- (seq, head_hash) at `at` (Unix ms), signed with the Ed25519 key `key_id`
-- (kept outside the database). This copy lets the server show the latest
-- checkpoint; the anchor file shipped elsewhere is what protects the trail.
CREATE TABLE audit_checkpoints (
    id        INTEGER PRIMARY KEY,
    seq       BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    at        BIGINT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL,
    source    TEXT NOT NULL
);
CREATE INDEX audit_checkpoints_key_seq ON audit_checkpoints (key_id, seq);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq);

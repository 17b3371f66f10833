-- The audit trail (監査ログ): append-only and hash-chained.
-- Each record carries the SHA-256 of the previous record; audit_head holds the
-- newest sequence number and hash so that deleting the newest records is
-- detected too. Appending locks the audit_head row, which orders appends
-- across every renkei process sharing the database.
CREATE TABLE audit_log (
    seq            BIGINT PRIMARY KEY,
    at             BIGINT NOT NULL,
    region_id      BIGINT,
    actor_user_id  BIGINT,
    actor_username TEXT NOT NULL,
    role           TEXT NOT NULL,
    org_id         BIGINT,
    action         TEXT NOT NULL,
    object_kind    TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    patient_id     TEXT,
    outcome        TEXT NOT NULL,
    source_addr    TEXT NOT NULL,
    user_agent     TEXT NOT NULL,
    reason         TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_username, seq);
CREATE INDEX audit_log_patient ON audit_log (patient_id, seq);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_region ON audit_log (region_id, seq);

CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

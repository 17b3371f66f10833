-- Every break-glass attempt (issue 10), found or not, so that the per-user
-- limit also counts guesses that matched no patient.
CREATE TABLE care_break_glass_attempts (
    id       INTEGER PRIMARY KEY,
    user_id  BIGINT NOT NULL REFERENCES users (id),
    at       BIGINT NOT NULL,
    found    BOOLEAN NOT NULL
);
CREATE INDEX care_break_glass_attempts_user ON care_break_glass_attempts (user_id, at);

-- Tenancy and identity: regions, municipalities, organisations, users,
-- memberships, sessions, MFA recovery codes, API tokens, login failures.
CREATE TABLE regions (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    is_demo    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE municipalities (
    id         INTEGER PRIMARY KEY,
    region_id  BIGINT NOT NULL REFERENCES regions (id),
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    kana       TEXT NOT NULL DEFAULT '',
    population BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (region_id, code)
);

CREATE TABLE organisations (
    id              INTEGER PRIMARY KEY,
    region_id       BIGINT NOT NULL REFERENCES regions (id),
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    kana            TEXT NOT NULL DEFAULT '',
    municipality_id BIGINT REFERENCES municipalities (id),
    address         TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX organisations_region ON organisations (region_id, name);
CREATE UNIQUE INDEX organisations_region_name ON organisations (region_id, name);

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    region_id        BIGINT REFERENCES regions (id),
    username         TEXT NOT NULL UNIQUE,
    display_name     TEXT NOT NULL,
    email            TEXT NOT NULL DEFAULT '',
    role             TEXT NOT NULL,
    profession       TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    mfa_secret       TEXT,
    mfa_enabled      BOOLEAN NOT NULL DEFAULT FALSE,
    -- The last TOTP time step accepted, so a code cannot be replayed.
    mfa_last_step    BIGINT NOT NULL DEFAULT 0,
    disabled         BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins    BIGINT NOT NULL DEFAULT 0,
    locked_at        BIGINT,
    is_demo          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX users_region ON users (region_id, username);

CREATE TABLE memberships (
    user_id   BIGINT NOT NULL REFERENCES users (id),
    org_id    BIGINT NOT NULL REFERENCES organisations (id),
    region_id BIGINT NOT NULL REFERENCES regions (id),
    PRIMARY KEY (user_id, org_id)
);
CREATE INDEX memberships_org ON memberships (org_id);

CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Sessions live in the database so that several renkei processes share them.
-- Only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    mfa_passed   BOOLEAN NOT NULL DEFAULT FALSE,
    csrf_token   TEXT NOT NULL,
    source_addr  TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    ended_at     BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Failed logins by source address, counted across every process.
CREATE TABLE login_failures (
    id          INTEGER PRIMARY KEY,
    username    TEXT NOT NULL,
    source_addr TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX login_failures_source ON login_failures (source_addr, at);

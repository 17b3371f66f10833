-- Identity hardening (issue 10).
--
-- Second-factor failures are counted apart from password failures, so that a
-- correct password no longer wipes the count of wrong codes. A lock-out now
-- ends by itself at locked_until; lock_count makes each further lock-out
-- longer until a full successful login (or an administrator) resets it.
ALTER TABLE users ADD COLUMN mfa_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
ALTER TABLE users ADD COLUMN lock_count BIGINT NOT NULL DEFAULT 0;
-- Accounts locked under the old rule (until an administrator unlocked them)
-- stay locked until 15 minutes (the default first period) after they were
-- locked, so those locked long ago can sign in again; an administrator can
-- still unlock at once.
UPDATE users SET locked_until = locked_at + 900000, lock_count = 1 WHERE locked_at IS NOT NULL;
-- Codes tried in one session (taken before each code is checked): the
-- session ends at the limit.
ALTER TABLE sessions ADD COLUMN code_attempts BIGINT NOT NULL DEFAULT 0;

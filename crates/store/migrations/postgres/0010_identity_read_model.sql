-- Identity's read model (issue 11): the views through which other
-- capabilities read identity. Identity keeps each view's name and columns
-- however its own tables change; crates/identity/src/read_model.rs is the
-- documented promise and the place to add a column (by a new migration
-- that re-creates the view). No view carries a password hash, a TOTP
-- secret, a session or a token. Every view is a plain projection of one
-- table, so both engines inline it and the base tables' indexes serve it.
--
-- The same names and columns on both backends.

-- People who use Renkei, disabled ones included (teams and histories name
-- them). role and profession are the codes of renkei_domain's Role and
-- Profession; region_id is NULL only for system administrators.
CREATE VIEW identity_people AS
    SELECT id, username, display_name, email, role, profession, region_id, disabled
    FROM users;

-- Which organisations a person acts for.
CREATE VIEW identity_memberships AS
    SELECT user_id, org_id
    FROM memberships;

-- Organisations (事業所・機関) of a region, disabled ones included.
CREATE VIEW identity_organisations AS
    SELECT id, region_id, name, kana, disabled
    FROM organisations;

-- Municipalities of a region by their six-digit 全国地方公共団体コード.
CREATE VIEW identity_municipalities AS
    SELECT code, region_id, name
    FROM municipalities;

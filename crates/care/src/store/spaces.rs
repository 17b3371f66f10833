//! Spaces (a patient's team or a group), the user's spaces with their
//! counts, and the one query every access decision reads.

use super::*;
use renkei_store::{read, write};

pub async fn insert_space(
    tx: &mut Tx,
    region_id: RegionId,
    kind: SpaceKind,
    name: &str,
    description: &str,
    created_by: UserId,
    now: Timestamp,
) -> Result<SpaceId, StoreError> {
    let id: SpaceId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_spaces (region_id, kind, name, description, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(region_id)
        .bind(kind)
        .bind(name)
        .bind(description)
        .bind(created_by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

pub async fn space(db: &Db, id: SpaceId) -> Result<Option<Space>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, region_id, kind, name, description, family_summary_open, created_by, created_at \
             FROM care_spaces WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?
    }))
}

pub async fn set_family_summary_open(
    tx: &mut Tx,
    space_id: SpaceId,
    open: bool,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE care_spaces SET family_summary_open = $2 WHERE id = $1")
            .bind(space_id)
            .bind(open)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// One of a user's spaces with what the lists show.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MySpaceRow {
    pub space_id: SpaceId,
    pub kind: SpaceKind,
    pub space_name: String,
    pub status: MemberStatus,
    pub team_role: TeamRole,
    pub is_lead: bool,
    pub member_org_id: Option<OrgId>,
    pub patient_id: Option<PatientId>,
    pub patient_name: Option<String>,
    pub patient_kana: Option<String>,
    pub registering_org_id: Option<OrgId>,
    pub consent_id: Option<ConsentId>,
    /// What the consent in force covers (JSON lists, as stored).
    pub covers_orgs: Option<String>,
    pub covers_professions: Option<String>,
    pub covers_family: Option<bool>,
    pub unread: i64,
    pub urgent_open: i64,
    pub last_post_at: Option<i64>,
}

impl MySpaceRow {
    pub fn coverage(&self) -> Result<Option<Coverage>, StoreError> {
        coverage_of(
            self.consent_id,
            &self.covers_orgs,
            &self.covers_professions,
            self.covers_family,
        )
    }
}

/// Every space the user is an active or invited member of, with unread and
/// open-urgent counts. Counting is bounded by the posts since each
/// membership began (`joined_after_post`), checked against the receipt
/// primary key, so it costs the user's own traffic, not the region's.
pub async fn my_spaces(db: &Db, user_id: UserId) -> Result<Vec<MySpaceRow>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT s.id AS space_id, s.kind, s.name AS space_name, m.status, m.team_role, m.is_lead, \
                    m.org_id AS member_org_id, p.id AS patient_id, p.name AS patient_name, p.kana AS patient_kana, \
                    p.registering_org_id, \
                    c.id AS consent_id, c.covers_orgs, c.covers_professions, c.covers_family, \
                    CASE WHEN m.status = $2 THEN (SELECT COUNT(*) FROM care_posts t \
                       WHERE t.space_id = m.space_id AND t.id > m.joined_after_post AND t.author_id <> m.user_id \
                       AND t.withdrawn_at IS NULL \
                       AND NOT EXISTS (SELECT 1 FROM care_reads r WHERE r.post_id = t.id AND r.user_id = m.user_id)) \
                    ELSE 0 END AS unread, \
                    CASE WHEN m.status = $2 THEN (SELECT COUNT(*) FROM care_posts t \
                       WHERE t.space_id = m.space_id AND t.urgent AND t.acked_at IS NULL AND t.withdrawn_at IS NULL) \
                    ELSE 0 END AS urgent_open, \
                    (SELECT MAX(t.created_at) FROM care_posts t WHERE t.space_id = m.space_id) AS last_post_at \
             FROM care_members m \
             JOIN care_spaces s ON s.id = m.space_id \
             LEFT JOIN patients p ON p.space_id = s.id \
             LEFT JOIN care_consents c ON c.id = (SELECT MAX(x.id) FROM care_consents x \
                 WHERE x.patient_id = p.id AND x.withdrawn_at IS NULL) \
             WHERE m.user_id = $1 AND m.status IN ($2, $3) \
             ORDER BY CASE WHEN m.status = $3 THEN 0 ELSE 1 END, s.kind DESC, p.kana, s.name, s.id",
        )
        .bind(user_id)
        .bind(MemberStatus::Active)
        .bind(MemberStatus::Invited)
        .fetch_all(c)
        .await?
    }))
}

/// Everything an access decision about one user and one space needs, read
/// in one query (it runs on every patient request).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessRow {
    pub space_id: SpaceId,
    pub kind: SpaceKind,
    pub region_id: RegionId,
    pub family_summary_open: bool,
    pub space_name: String,
    pub space_description: String,
    pub space_created_by: UserId,
    pub space_created_at: i64,
    pub member_status: Option<MemberStatus>,
    pub team_role: Option<TeamRole>,
    pub is_lead: Option<bool>,
    pub member_org_id: Option<OrgId>,
    pub joined_after_post: Option<PostId>,
    pub patient_id: Option<PatientId>,
    pub registering_org_id: Option<OrgId>,
    pub consent_id: Option<ConsentId>,
    /// What the consent in force covers (JSON lists, as stored).
    pub covers_orgs: Option<String>,
    pub covers_professions: Option<String>,
    pub covers_family: Option<bool>,
    pub break_glass_id: Option<BreakGlassId>,
    pub break_glass_reason: Option<String>,
    pub break_glass_expires: Option<i64>,
    /// Urgent posts still waiting for acknowledgement (the timeline reads
    /// them only when there are some).
    pub open_urgent: i64,
}

impl AccessRow {
    pub fn coverage(&self) -> Result<Option<Coverage>, StoreError> {
        coverage_of(
            self.consent_id,
            &self.covers_orgs,
            &self.covers_professions,
            self.covers_family,
        )
    }

    /// The space itself (the access query already read it).
    pub fn space(&self) -> Space {
        Space {
            id: self.space_id,
            region_id: self.region_id,
            kind: self.kind,
            name: self.space_name.clone(),
            description: self.space_description.clone(),
            family_summary_open: self.family_summary_open,
            created_by: self.space_created_by,
            created_at: self.space_created_at,
        }
    }
}

/// What a consent covers, from its stored columns (two JSON lists and a
/// flag). Lists that do not parse refuse the row.
pub(super) fn stored_coverage(
    consent: ConsentId,
    orgs: &str,
    professions: &str,
    family: bool,
) -> Result<Coverage, StoreError> {
    Ok(Coverage {
        org_ids: json_column("care_consents", consent, "covers_orgs", orgs)?,
        professions: json_column("care_consents", consent, "covers_professions", professions)?,
        family,
    })
}

/// The coverage of the consent in force (`None` without one), from the
/// columns the access and list queries read with it.
fn coverage_of(
    consent: Option<ConsentId>,
    orgs: &Option<String>,
    professions: &Option<String>,
    family: Option<bool>,
) -> Result<Option<Coverage>, StoreError> {
    let Some(id) = consent else {
        return Ok(None);
    };
    stored_coverage(
        id,
        orgs.as_deref().unwrap_or_default(),
        professions.as_deref().unwrap_or_default(),
        family.unwrap_or(false),
    )
    .map(Some)
}

/// What [`access_row`] reads: the space, the user's membership, the patient,
/// the consent in force, a live break-glass and the open urgent count.
/// `$2` is the user, `$3` the time.
const ACCESS_COLUMNS: &str = "s.id AS space_id, s.kind, s.region_id, s.family_summary_open, s.name AS space_name, \
    s.description AS space_description, s.created_by AS space_created_by, \
    s.created_at AS space_created_at, \
    m.status AS member_status, m.team_role, m.is_lead, m.org_id AS member_org_id, m.joined_after_post, \
    p.id AS patient_id, p.registering_org_id, \
    c.id AS consent_id, c.covers_orgs, c.covers_professions, c.covers_family, \
    b.id AS break_glass_id, b.reason AS break_glass_reason, b.expires_at AS break_glass_expires, \
    (SELECT COUNT(*) FROM care_posts u WHERE u.space_id = s.id \
        AND u.urgent AND u.acked_at IS NULL AND u.withdrawn_at IS NULL) AS open_urgent";

const ACCESS_FROM: &str = "FROM care_spaces s \
    LEFT JOIN care_members m ON m.space_id = s.id AND m.user_id = $2 \
    LEFT JOIN patients p ON p.space_id = s.id \
    LEFT JOIN care_consents c ON c.id = (SELECT MAX(x.id) FROM care_consents x \
        WHERE x.patient_id = p.id AND x.withdrawn_at IS NULL) \
    LEFT JOIN care_break_glass b ON b.id = (SELECT MAX(g.id) FROM care_break_glass g \
        WHERE g.patient_id = p.id AND g.user_id = $2 AND g.expires_at > $3)";

pub async fn access_row(
    db: &Db,
    space_id: SpaceId,
    user_id: UserId,
    now: Timestamp,
) -> Result<Option<AccessRow>, StoreError> {
    let sql = format!("SELECT {ACCESS_COLUMNS} {ACCESS_FROM} WHERE s.id = $1");
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(space_id)
            .bind(user_id)
            .bind(now.millis())
            .fetch_optional(c)
            .await?
    }))
}

/// [`access_row`] for a patient's team, with the patient read in the same
/// query (the timeline page needs both; one query less per page).
pub async fn access_row_of_patient(
    db: &Db,
    patient_id: PatientId,
    user_id: UserId,
    now: Timestamp,
) -> Result<Option<(AccessRow, Patient)>, StoreError> {
    use sqlx::FromRow;
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        // space_id, region_id and registering_org_id are already among the
        // access columns (the same values: the space is the patient's).
        let patient = patient_columns("p.", &["space_id", "region_id", "registering_org_id"]);
        format!("SELECT {ACCESS_COLUMNS}, {patient} {ACCESS_FROM} WHERE p.id = $1")
    });
    Ok(read!(db, |c| {
        match sqlx::query(sql)
            .bind(patient_id)
            .bind(user_id)
            .bind(now.millis())
            .fetch_optional(c)
            .await?
        {
            Some(row) => Some((
                AccessRow::from_row(&row)?,
                StoredPatient::from_row(&row)?.into_patient()?,
            )),
            None => None,
        }
    }))
}

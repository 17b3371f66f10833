//! Break-glass: finding the patient, the per-user attempts, the accesses,
//! and who is told.

use super::*;
use renkei_store::{read, write};

/// The patients of a region matching a break-glass identification: the
/// 被保険者番号, or the folded name and the birth date. Never an internal
/// id, which anyone could count through. At most two rows, so the caller
/// can refuse an ambiguous match.
pub async fn find_patients_for_break_glass(
    db: &Db,
    region_id: RegionId,
    insured_number: &str,
    name_key: &str,
    birth_date: &str,
) -> Result<Vec<Patient>, StoreError> {
    let by_number = !insured_number.is_empty();
    let sql = if by_number {
        format!(
            "{} WHERE region_id = $1 AND insured_number = $2 ORDER BY id LIMIT 2",
            patient_select()
        )
    } else {
        format!(
            "{} WHERE region_id = $1 AND birth_date = $3 ORDER BY id",
            patient_select()
        )
    };
    let rows: Vec<StoredPatient> = read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(region_id)
            .bind(insured_number)
            .bind(birth_date)
            .fetch_all(c)
            .await?
    });
    let rows = rows
        .into_iter()
        .map(StoredPatient::into_patient)
        .collect::<Result<Vec<_>, _>>()?;
    if by_number {
        return Ok(rows);
    }
    // Names are compared folded (width, kana, spaces), in Rust, over the
    // few patients born on that day.
    Ok(rows
        .into_iter()
        .filter(|p| {
            renkei_domain::text::fold(&p.record.name) == name_key
                || renkei_domain::text::fold(&p.record.kana) == name_key
        })
        .take(2)
        .collect())
}

/// One recorded break-glass attempt (found or not), counted for the
/// per-user limit. Only the store and the service handle these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct AttemptId(i64);

/// Records a break-glass attempt for the per-user limit; returns its id.
pub async fn insert_break_glass_attempt(
    tx: &mut Tx,
    user_id: UserId,
    at: Timestamp,
    found: bool,
) -> Result<AttemptId, StoreError> {
    Ok(write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_break_glass_attempts (user_id, at, found) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(user_id)
        .bind(at.millis())
        .bind(found)
        .fetch_one(&mut *c)
        .await?
    }))
}

/// The attempt found its patient.
pub async fn mark_break_glass_attempt_found(tx: &mut Tx, id: AttemptId) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE care_break_glass_attempts SET found = TRUE WHERE id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// Break-glass attempts of a user since `since`.
pub async fn break_glass_attempts_since(
    db: &Db,
    user_id: UserId,
    since: Timestamp,
) -> Result<i64, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM care_break_glass_attempts WHERE user_id = $1 AND at >= $2",
        )
        .bind(user_id)
        .bind(since.millis())
        .fetch_one(c)
        .await?
    }))
}

/// Users of the region in one of `roles` with an address (but `except`):
/// the service names the roles told of every break-glass use.
pub async fn break_glass_watchers(
    db: &Db,
    region_id: RegionId,
    roles: &[Role],
    except: UserId,
) -> Result<Vec<Recipient>, StoreError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT u.id AS user_id, u.email FROM identity_people u \
         WHERE u.region_id = $1 AND u.id <> $2 AND u.role IN ({}) \
         AND u.email <> '' AND NOT u.disabled ORDER BY u.id",
        placeholders(3, roles.len())
    );
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql).bind(region_id).bind(except);
        for r in roles {
            q = q.bind(r.code());
        }
        q.fetch_all(c).await?
    }))
}

pub async fn insert_break_glass(
    tx: &mut Tx,
    patient_id: PatientId,
    user_id: UserId,
    reason: &str,
    now: Timestamp,
    expires: Timestamp,
) -> Result<BreakGlassId, StoreError> {
    let id: BreakGlassId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_break_glass (patient_id, user_id, reason, started_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(patient_id)
        .bind(user_id)
        .bind(reason)
        .bind(now.millis())
        .bind(expires.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// A user's break-glass accesses that are still running.
pub async fn active_break_glass(
    db: &Db,
    user_id: UserId,
    now: Timestamp,
) -> Result<Vec<BreakGlassAccess>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT b.id, b.patient_id, p.name AS patient_name, b.reason, b.started_at, b.expires_at \
             FROM care_break_glass b JOIN patients p ON p.id = b.patient_id \
             WHERE b.user_id = $1 AND b.expires_at > $2 ORDER BY b.id DESC",
        )
        .bind(user_id)
        .bind(now.millis())
        .fetch_all(c)
        .await?
    }))
}

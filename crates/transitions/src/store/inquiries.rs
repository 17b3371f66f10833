//! Requests to the municipality to name a care manager.

use super::*;
use renkei_store::{read, write};

/// A request as first written.
pub struct NewInquiry<'a> {
    pub region_id: RegionId,
    pub input: &'a crate::model::InquiryInput,
    pub asked_by: UserId,
    pub asked_by_org: Option<OrgId>,
    pub due_at: i64,
}

pub async fn insert_inquiry(
    tx: &mut Tx,
    n: &NewInquiry<'_>,
    now: Timestamp,
) -> Result<InquiryId, StoreError> {
    let i = n.input;
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_inquiries (region_id, municipality_code, asked_by, asked_by_org, hospital_name, \
             person_name, person_kana, birth_date, insured_number, address, admitted_on, note, due_at, status, \
             answer_office, answer_care_manager, answer_note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, '', '', '', $15) RETURNING id",
        )
        .bind(n.region_id)
        .bind(i.municipality_code.trim())
        .bind(n.asked_by)
        .bind(n.asked_by_org)
        .bind(i.hospital_name.trim())
        .bind(i.person_name.trim())
        .bind(i.person_kana.trim())
        .bind(i.birth_date.trim())
        .bind(i.insured_number.trim())
        .bind(i.address.trim())
        .bind(i.admitted_on.trim())
        .bind(i.note.trim())
        .bind(n.due_at)
        .bind(InquiryStatus::Open)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

const INQUIRY: &str = "SELECT id, municipality_code, hospital_name, person_name, person_kana, birth_date, \
    insured_number, address, admitted_on, note, due_at, status, answer_office, answer_care_manager, answer_note, \
    answered_at, created_at FROM transitions_inquiries";

/// A region's requests (the municipality's inbox), open first, newest first.
pub async fn inquiries_of_region(db: &Db, region: RegionId) -> Result<Vec<Inquiry>, StoreError> {
    let sql =
        format!("{INQUIRY} WHERE region_id = $1 ORDER BY CASE WHEN status = $2 THEN 0 ELSE 1 END, created_at DESC LIMIT 200");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .bind(InquiryStatus::Open)
        .fetch_all(c)
        .await?))
}

/// The requests a user asked.
pub async fn inquiries_asked_by(db: &Db, user: UserId) -> Result<Vec<Inquiry>, StoreError> {
    let sql = format!("{INQUIRY} WHERE asked_by = $1 ORDER BY created_at DESC LIMIT 200");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(user)
        .fetch_all(c)
        .await?))
}

/// One request with its region and who asked.
pub async fn inquiry(
    db: &Db,
    id: InquiryId,
) -> Result<Option<(Inquiry, RegionId, UserId)>, StoreError> {
    let sql = format!("{INQUIRY} WHERE id = $1");
    let row: Option<Inquiry> = read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?);
    let Some(row) = row else { return Ok(None) };
    let (region, asked_by): (RegionId, UserId) = read!(db, |c| sqlx::query_as(
        "SELECT region_id, asked_by FROM transitions_inquiries WHERE id = $1"
    )
    .bind(id)
    .fetch_one(c)
    .await?);
    Ok(Some((row, region, asked_by)))
}

pub async fn answer_inquiry(
    tx: &mut Tx,
    id: InquiryId,
    a: &crate::model::InquiryAnswer,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_inquiries SET status = $2, answer_office = $3, answer_care_manager = $4, \
             answer_note = $5, answered_by = $6, answered_at = $7 WHERE id = $1 AND status = $8",
        )
        .bind(id)
        .bind(InquiryStatus::Answered)
        .bind(a.office.trim())
        .bind(a.care_manager.trim())
        .bind(a.note.trim())
        .bind(by)
        .bind(now.millis())
        .bind(InquiryStatus::Open)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n > 0)
}

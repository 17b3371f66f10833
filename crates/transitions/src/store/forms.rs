//! Handoff forms and their way to the hospital.

use super::*;
use renkei_store::{read, write};

const FORM: &str =
    "SELECT id, stay_id, kind, template, content, status, created_by, created_at, updated_at, \
    sent_at, channel, informed_on, received_by, opened_at, acknowledged_at, hospital_note, hospital_note_at \
    FROM transitions_forms";

pub async fn form(
    db: &Db,
    stay: StayId,
    kind: FormKind,
) -> Result<Option<HandoffForm>, StoreError> {
    let sql = format!("{FORM} WHERE stay_id = $1 AND kind = $2");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(stay)
        .bind(kind)
        .fetch_optional(c)
        .await?))
}

/// The forms of these stays.
pub async fn forms_of_stays(db: &Db, stays: &[StayId]) -> Result<Vec<HandoffForm>, StoreError> {
    if stays.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..stays.len()).map(|i| format!("${}", i + 1)).collect();
    let sql = format!("{FORM} WHERE stay_id IN ({})", marks.join(", "));
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql);
        for s in stays {
            q = q.bind(*s);
        }
        q.fetch_all(c).await?
    }))
}

/// Writes a form's content (creating it as a draft the first time); a
/// form no longer a draft is left alone (`None`).
pub async fn save_form(
    tx: &mut Tx,
    stay: StayId,
    kind: FormKind,
    template: &str,
    content: &str,
    by: UserId,
    now: Timestamp,
) -> Result<Option<HandoffFormId>, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_forms (stay_id, kind, template, content, status, created_by, created_at, \
             updated_by, updated_at, received_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7, '') \
             ON CONFLICT (stay_id, kind) DO UPDATE SET template = excluded.template, content = excluded.content, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at \
             WHERE transitions_forms.status = $5 RETURNING id",
        )
        .bind(stay)
        .bind(kind)
        .bind(template)
        .bind(content)
        .bind(FormStatus::Draft)
        .bind(by)
        .bind(now.millis())
        .fetch_optional(&mut *c)
        .await?
    });
    Ok(id)
}

/// Marks a form as given to the hospital.
pub async fn mark_sent(
    tx: &mut Tx,
    id: HandoffFormId,
    channel: ContactChannel,
    informed_on: &str,
    received_by: &str,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_forms SET status = $2, channel = $3, informed_on = $4, received_by = $5, \
             sent_at = $6, sent_by = $7 WHERE id = $1 AND status = $8",
        )
        .bind(id)
        .bind(FormStatus::Sent)
        .bind(channel)
        .bind(informed_on)
        .bind(received_by)
        .bind(now.millis())
        .bind(by)
        .bind(FormStatus::Draft)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n > 0)
}

/// Marks a sent form as opened, once.
pub async fn mark_opened(
    tx: &mut Tx,
    id: HandoffFormId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_forms SET status = $2, opened_at = $3 WHERE id = $1 AND status = $4",
        )
        .bind(id)
        .bind(FormStatus::Opened)
        .bind(now.millis())
        .bind(FormStatus::Sent)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n > 0)
}

pub async fn mark_acknowledged(
    tx: &mut Tx,
    id: HandoffFormId,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_forms SET status = $2, acknowledged_at = $3, acknowledged_by = $4, \
             opened_at = COALESCE(opened_at, $3) WHERE id = $1",
        )
        .bind(id)
        .bind(FormStatus::Acknowledged)
        .bind(now.millis())
        .bind(by)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// The hospital's note on the sheet it returns: what changed since
/// admission.
pub async fn annotate(
    tx: &mut Tx,
    id: HandoffFormId,
    note: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_forms SET hospital_note = $2, hospital_note_at = $3, hospital_note_by = $4 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(note)
        .bind(now.millis())
        .bind(by)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

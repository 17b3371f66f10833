//! The work handoffs create (連携タスク): one of each kind per stay.

use renkei_domain::transitions::{TaskInbox, TaskKind, TaskStatus};
use renkei_domain::HandoffTaskId;

use super::*;
use crate::model::HandoffTask;
use renkei_store::{read, write};

/// A task as first written.
pub struct NewTask<'a> {
    pub region_id: RegionId,
    pub stay_id: StayId,
    pub patient_id: PatientId,
    pub kind: TaskKind,
    pub inbox: TaskInbox,
    pub org_id: Option<OrgId>,
    pub recipient: &'a str,
    /// JSON array of the rule's steps.
    pub steps: &'a str,
    pub due_on: &'a str,
}

/// Writes the task unless the stay has one of its kind already; `None`
/// then.
pub async fn insert_task(
    tx: &mut Tx,
    n: &NewTask<'_>,
    now: Timestamp,
) -> Result<Option<HandoffTaskId>, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_tasks (region_id, stay_id, patient_id, kind, inbox, org_id, recipient, steps, \
             due_on, status, outcome, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', $11) \
             ON CONFLICT (stay_id, kind) DO NOTHING RETURNING id",
        )
        .bind(n.region_id)
        .bind(n.stay_id)
        .bind(n.patient_id)
        .bind(n.kind)
        .bind(n.inbox)
        .bind(n.org_id)
        .bind(n.recipient)
        .bind(n.steps)
        .bind(n.due_on)
        .bind(TaskStatus::Open)
        .bind(now.millis())
        .fetch_optional(&mut *c)
        .await?
    });
    Ok(id)
}

const TASK: &str = "SELECT t.id, t.stay_id, t.patient_id, t.kind, t.inbox, t.region_id, t.org_id, t.recipient, \
    t.steps AS steps_json, t.due_on, t.status, t.outcome, t.chosen_entry_id, t.done_at, t.created_at, \
    s.patient_name, s.patient_kana, s.patient_birth_date, s.municipality_code, s.hospital_name, s.admitted_local, \
    s.planned_discharge_on, s.discharged_on \
    FROM transitions_tasks t JOIN transitions_stays s ON s.id = t.stay_id";

/// Open first, the earliest due first, then the newest done.
const ORDER: &str =
    "ORDER BY CASE WHEN t.status = 'open' THEN 0 ELSE 1 END, t.due_on, t.id DESC LIMIT 300";

pub async fn task(db: &Db, id: HandoffTaskId) -> Result<Option<HandoffTask>, StoreError> {
    let sql = format!("{TASK} WHERE t.id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

pub async fn tasks_of_stay(db: &Db, stay: StayId) -> Result<Vec<HandoffTask>, StoreError> {
    let sql = format!("{TASK} WHERE t.stay_id = $1 ORDER BY t.id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(stay)
        .fetch_all(c)
        .await?))
}

/// A region's tasks in one inbox (the support centre's).
pub async fn tasks_in_inbox(
    db: &Db,
    region: RegionId,
    inbox: TaskInbox,
) -> Result<Vec<HandoffTask>, StoreError> {
    let sql = format!("{TASK} WHERE t.region_id = $1 AND t.inbox = $2 {ORDER}");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .bind(inbox)
        .fetch_all(c)
        .await?))
}

/// The tasks sent to an organisation (a hub's staff).
pub async fn tasks_of_org(db: &Db, org: OrgId) -> Result<Vec<HandoffTask>, StoreError> {
    let sql = format!("{TASK} WHERE t.inbox = $1 AND t.org_id = $2 {ORDER}");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(TaskInbox::Hub)
        .bind(org)
        .fetch_all(c)
        .await?))
}

/// The team's tasks of some patients.
pub async fn team_tasks_of_patients(
    db: &Db,
    patients: &[PatientId],
) -> Result<Vec<HandoffTask>, StoreError> {
    if patients.is_empty() {
        return Ok(Vec::new());
    }
    let list = patients
        .iter()
        .map(|p| p.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    // Ids are integers the service got from care, not user input.
    let sql = format!("{TASK} WHERE t.inbox = $1 AND t.patient_id IN ({list}) {ORDER}");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(TaskInbox::Team)
        .fetch_all(c)
        .await?))
}

/// Closes an open task; false when it was closed already.
pub async fn close_task(
    tx: &mut Tx,
    id: HandoffTaskId,
    outcome: &str,
    chosen: Option<EntryId>,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_tasks SET status = $1, outcome = $2, chosen_entry_id = $3, done_by = $4, \
             done_at = $5 WHERE id = $6 AND status = $7",
        )
        .bind(TaskStatus::Done)
        .bind(outcome)
        .bind(chosen)
        .bind(by)
        .bind(now.millis())
        .bind(id)
        .bind(TaskStatus::Open)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

//! Transport reports (救急搬送の報告).

use renkei_domain::{EmergencyRecordId, StayId, Timestamp, TransportId, UserId};
use renkei_store::{read, write, Db, StoreError, Tx};

use crate::model::Transport;

/// A transport report's fields, checked by the service.
pub struct NewTransport<'a> {
    pub record_id: EmergencyRecordId,
    pub hospital_entry_id: i64,
    pub hospital_name: &'a str,
    pub transported_local: &'a str,
    pub reason: &'a str,
    pub stay_id: Option<StayId>,
    pub reported_by: UserId,
}

pub async fn insert_transport(
    tx: &mut Tx,
    t: &NewTransport<'_>,
    now: Timestamp,
) -> Result<TransportId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO emergency_transports (record_id, hospital_entry_id, hospital_name, \
             transported_local, reason, stay_id, reported_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(t.record_id)
        .bind(t.hospital_entry_id)
        .bind(t.hospital_name)
        .bind(t.transported_local)
        .bind(t.reason)
        .bind(t.stay_id)
        .bind(t.reported_by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Marks the stay transitions opened for a transport.
pub async fn set_transport_stay(
    tx: &mut Tx,
    id: TransportId,
    stay: StayId,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE emergency_transports SET stay_id = $2 WHERE id = $1")
            .bind(id)
            .bind(stay)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// A record's transports, newest first.
pub async fn transports(
    db: &Db,
    record: EmergencyRecordId,
    limit: i64,
) -> Result<Vec<Transport>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
        "SELECT id, record_id, hospital_entry_id, hospital_name, transported_local, reason, stay_id, \
         reported_by, created_at FROM emergency_transports WHERE record_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    )
    .bind(record)
    .bind(limit)
    .fetch_all(c)
    .await?
    }))
}

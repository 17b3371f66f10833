//! The shared summary (在宅サマリー) and its versions.

use super::*;

/// The shared summary (在宅サマリー): the current picture of a patient.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SummaryFields {
    /// 病名・既往.
    pub diagnoses: String,
    /// 服薬.
    pub medicines: String,
    /// アレルギー.
    pub allergies: String,
    pub adl: String,
    /// 在宅での医療処置.
    pub procedures: String,
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Summary {
    pub patient_id: PatientId,
    pub version: i64,
    #[sqlx(flatten)]
    pub fields: SummaryFields,
    pub changed_by: UserId,
    pub changed_by_name: String,
    pub changed_at: i64,
}

pub struct SummaryView {
    pub patient: Patient,
    pub access: Access,
    pub current: Option<Summary>,
    pub history: Vec<Summary>,
}

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

/// When a patient's record last changed in ways that make their emergency
/// information doubtful (Unix ms; none: never). See `Care::change_marks`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeMarks {
    /// The shared summary's latest version.
    pub summary_at: Option<i64>,
    /// The latest post in the 服薬 (medication) category.
    pub medication_post_at: Option<i64>,
    /// When the current care manager joined the team.
    pub care_manager_since: Option<i64>,
}

//! Consent: the record, what it covers, and what recording one says.

use super::*;

/// A recorded consent (同意) and whom it covers.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consent {
    pub id: ConsentId,
    pub patient_id: PatientId,
    /// Stored as JSON lists and a flag; the store reads it apart.
    #[sqlx(skip)]
    pub coverage: Coverage,
    pub obtained_on: String,
    pub obtained_by: String,
    pub signer: String,
    pub form_attachment_id: Option<AttachmentId>,
    pub recorded_by: UserId,
    pub recorded_by_name: String,
    pub recorded_at: i64,
    pub withdrawn_at: Option<i64>,
    pub withdrawn_by: Option<UserId>,
    pub withdrawal_reason: String,
}

impl Consent {
    pub fn active(&self) -> bool {
        self.withdrawn_at.is_none()
    }
}

/// What a consent covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub org_ids: Vec<OrgId>,
    pub professions: Vec<Profession>,
    pub family: bool,
}

/// What a consent record says.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ConsentInput {
    #[serde(default)]
    pub covers_orgs: Vec<OrgId>,
    #[serde(default)]
    pub covers_professions: Vec<String>,
    #[serde(default)]
    pub covers_family: bool,
    /// `YYYY-MM-DD`.
    pub obtained_on: String,
    /// Who obtained it (name, profession).
    pub obtained_by: String,
    /// Who signed: the patient or their representative.
    #[serde(default)]
    pub signer: String,
}

pub struct ConsentView {
    pub patient: Patient,
    pub access: Access,
    pub consents: Vec<Consent>,
    pub may_record: bool,
    pub organisations: Vec<(OrgId, String)>,
}

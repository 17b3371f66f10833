//! Explicit identifier types, so that a user id can never be passed where an
//! organisation id is expected (the Kanidm habit the design asks for), down
//! to the path extractor (`Path<PatientId>`) and the SQL bind (with the
//! `sqlx` feature each id encodes and decodes as the `BIGINT` it is stored as).

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        // `Default` is 0, which no row has (ids start at 1): for records
        // built field by field in tests, never a stand-in for a real id.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
        #[cfg_attr(feature = "sqlx", sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

/// The identifier system of a patient's id within one Renkei deployment,
/// as FHIR resources carry it (`Patient.identifier`), so a document that
/// comes back names the patient it is about.
pub const PATIENT_ID_SYSTEM: &str = "urn:renkei:sid:patient";

id_type!(
    /// A region (連携圏域): one deployment may serve several, each fully separated.
    RegionId
);
id_type!(
    /// A municipality (市区町村) inside a region.
    MunicipalityId
);
id_type!(
    /// An organisation (事業所・機関) inside a region.
    OrgId
);
id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// A care space (a patient's timeline or a professional group).
    SpaceId
);
id_type!(
    /// A patient (利用者・患者) registered with a care team.
    PatientId
);
id_type!(
    /// A post (投稿) on a care timeline.
    PostId
);
id_type!(
    /// A file attached to a post or a consent form.
    AttachmentId
);
id_type!(
    /// A recorded consent (同意) of a patient.
    ConsentId
);
id_type!(
    /// One break-glass access (緊急時の閲覧).
    BreakGlassId
);
id_type!(
    /// An entry of the resource directory (地域資源).
    EntryId
);
id_type!(
    /// A requested change to a directory entry, waiting for review.
    ChangeRequestId
);
id_type!(
    /// A pair of directory entries the matching found to be one facility
    /// (同一施設の候補), and the coordinator's decision about it.
    SameFacilityPairId
);
id_type!(
    /// One hospital stay (入院) followed from admission to discharge.
    StayId
);
id_type!(
    /// A handoff form of a stay (入院時情報提供書, 退院・退所情報記録書).
    HandoffFormId
);
id_type!(
    /// A regional rule set (入退院支援ルール).
    RuleSetId
);
id_type!(
    /// One version of a rule set.
    RuleVersionId
);
id_type!(
    /// A region's adoption of a rule set for a scope.
    AdoptionId
);
id_type!(
    /// One contact of a discharge's contact log (退院・退所情報記録書).
    DischargeContactId
);
id_type!(
    /// A pre-discharge conference (退院前カンファレンス) of a stay.
    ConferenceId
);
id_type!(
    /// A region's own handoff sheet template (情報連携シート).
    FormTemplateId
);
id_type!(
    /// A request to the municipality to name an admitted person's care
    /// manager (担当ケアマネ照会).
    InquiryId
);
id_type!(
    /// A FHIR document a hospital sent, attached to a patient.
    DocumentId
);
id_type!(
    /// A piece of work a handoff created (連携タスク): a routing case in an
    /// inbox, or the follow-up after discharge.
    HandoffTaskId
);
id_type!(
    /// An emergency information record (緊急時情報) of one resident.
    EmergencyRecordId
);
id_type!(
    /// A card's capability link to a record's emergency view.
    EmergencyLinkId
);
id_type!(
    /// An ambulance crew's transport report (救急搬送の報告).
    TransportId
);
id_type!(
    /// A disaster a region confirms its residents' safety for (災害).
    DisasterId
);
id_type!(
    /// A piece of disaster equipment in the region's register (災害時の備品).
    EquipmentId
);
id_type!(
    /// A region's ACP notebook template (人生会議の様式), one version of it.
    AcpTemplateId
);
id_type!(
    /// One version of a resident's ACP record (人生会議の記録).
    AcpVersionId
);
id_type!(
    /// A resident's end-of-life record (看取りの記録).
    DeathRecordId
);
id_type!(
    /// A resident's own application for emergency information (住民から
    /// の申し込み), waiting for the desk.
    ApplicationId
);

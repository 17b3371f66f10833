//! Types and rules of the Renkei domain that do no I/O.
//!
//! Everything here is plain data and pure functions so that every other crate
//! (store, identity, web, the binary) can share one vocabulary. The glossary in
//! the design's DOMAIN.md is the source of the English names; the Japanese term
//! appears once in a doc comment beside each.

#[macro_use]
mod labelled;
pub mod care;
pub mod codes;
pub mod directory;
pub mod emergency;
pub mod holidays;
pub mod ids;
pub mod municipalities;
pub mod org;
pub mod people;
pub mod seeded;
pub mod text;
pub mod timestamp;
pub mod transitions;
pub mod validation;

pub use codes::LocalGovernmentCode;
pub use ids::{
    AcpTemplateId, AcpVersionId, AdoptionId, ApplicationId, AttachmentId, BreakGlassId,
    ChangeRequestId, ConferenceId, ConsentId, DeathRecordId, DisasterId, DischargeContactId,
    DocumentId, EmergencyLinkId, EmergencyRecordId, EntryId, EquipmentId, FormTemplateId,
    HandoffFormId, HandoffTaskId, InquiryId, MunicipalityId, OrgId, PatientId, PostId, RegionId,
    RuleSetId, RuleVersionId, SameFacilityPairId, SpaceId, StayId, TransportId, UserId,
};
pub use org::OrgKind;
pub use people::{Profession, Role};
#[allow(clippy::disallowed_types)] // the real clock, for the edge to pass down
pub use timestamp::{Clock, ManualClock, SystemClock, Timestamp};
pub use validation::{FieldError, ValidationErrors};

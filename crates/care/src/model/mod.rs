//! What crosses care's boundary: the typed records the service takes and
//! returns, which the web side, the benchmark and the tests use. The store
//! (private) reads and writes them; nothing here does I/O.

mod break_glass;
mod consent;
mod notifications;
mod patients;
mod posts;
mod spaces;
mod summary;
mod team;
mod timeline;

pub use break_glass::*;
pub use consent::*;
pub use notifications::*;
pub use patients::*;
pub use posts::*;
pub use spaces::*;
pub use summary::*;
pub use team::*;
pub use timeline::*;

use renkei_domain::care::{
    AttachmentPurpose, BreakGlassReason, CareApplication, CareLevel, DementiaIndependence,
    Household, MemberStatus, PhysicalIndependence, PostAuthorRole, PostCategory, PostKind, Sex,
    SpaceKind, TeamRole, Vitals,
};
use renkei_domain::text::fold;
use renkei_domain::{
    AttachmentId, BreakGlassId, ConsentId, OrgId, PatientId, PostId, Profession, RegionId, Role,
    SpaceId, Timestamp, UserId, ValidationErrors,
};
use renkei_store::ServiceError;
use serde::{Deserialize, Serialize, Serializer};

use crate::access::Access;

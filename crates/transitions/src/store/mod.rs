//! SQL of the transitions capability: rule sets, their versions and
//! adoptions, office calendars, stays, handoff forms and the discharge
//! contact log. Functions here do what they are told; who may do it is
//! decided in [`crate::service`]. One file per part, all re-exported here.

mod calendars;
mod conferences;
mod contacts;
mod documents;
mod forms;
mod identity_views;
mod inquiries;
mod rules;
mod stays;
mod tasks;
mod templates;

pub use calendars::*;
pub use conferences::*;
pub use contacts::*;
pub use documents::*;
pub use forms::*;
pub use identity_views::*;
pub use inquiries::*;
pub use rules::*;
pub use stays::*;
pub use tasks::*;
pub use templates::*;

use renkei_domain::transitions::{
    ConferenceStatus, ContactChannel, FormKind, FormStatus, InquiryStatus, ReportedVia, RuleScope,
};
use renkei_domain::{
    AdoptionId, ConferenceId, DischargeContactId, DocumentId, EntryId, FormTemplateId,
    HandoffFormId, InquiryId, OrgId, PatientId, RegionId, RuleSetId, RuleVersionId, StayId,
    Timestamp, UserId,
};
use renkei_store::{Db, StoreError, Tx};

use crate::model::{
    Adoption, Conference, DischargeContactRecord, Document, HandoffForm, Inquiry, RuleSet,
    RuleVersion, Stay,
};

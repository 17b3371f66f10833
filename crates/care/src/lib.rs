//! Care (program item エ, daily care at home): patients registered under
//! consent, their care teams, the shared timeline with read receipts,
//! urgent acknowledgements and structured vital signs, attachments, the
//! versioned shared summary, notifications, professional groups that carry
//! no patient information, and break-glass access.

pub mod access;
pub mod attachments;
pub mod chart;
pub mod demo;
pub mod model;
pub mod service;
mod store;
pub mod synthetic;

pub use access::Access;
pub use service::{Care, CareConfig, CareError, TeamNotice};

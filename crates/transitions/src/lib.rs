//! Transitions (入退院支援, program item エ at admission and discharge):
//! who learned of an admission and when, the screening that flags a
//! patient as needing discharge coordination, the handoff forms
//! (入院時情報提供書 and 退院・退所情報記録書) with their way to the
//! hospital, the discharge contact log, the fee tiers the timing earns,
//! regional rules as versioned data, and the monthly compliance report.
//!
//! No HTTP here: `renkei-transitions-web` serves it.

pub mod demo;
pub mod documents;
pub mod forms;
pub mod model;
pub mod report;
pub mod service;
mod store;

pub use service::{Transitions, TransitionsError};

//! The resource directory (地域の医療・介護の資源の把握, program item ア).
//!
//! This first part holds the entries and the importers of the national open
//! data. Imported fields are refreshed by re-imports; locally maintained
//! fields (acceptance status, notes, consent, contact windows) are never
//! overwritten by them.

pub mod demo;
pub mod export;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod import;
pub mod live;
pub mod model;
pub mod same_facility;
pub mod search;
pub mod service;
mod store;
pub mod synthetic;

pub use import::{ImportReport, Reject};

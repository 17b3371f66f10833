//! Emergency (急変時, program scene 急変時の対応): emergency information
//! (緊急時情報, 救急医療情報キット / 安心カード) that stays fresh, and the
//! card's capability link an ambulance crew opens. A record belongs to a
//! team's patient or, without a team, to the support centre's desk; it
//! falls due for verification on the calendar and at the events that make
//! it doubtful (a discharge, a summary change, a medication post, a new
//! care manager). Opening a card's link is audited and told to the team;
//! an ambulance crew records through it where it took the resident, which
//! opens the stay in transitions (急変時 → 入退院).
//!
//! Beside it: ACP (人生会議), versioned against the region's own notebook
//! template; the end-of-life record (看取り) that the indicators count;
//! and the disaster list (災害時の名簿) with safety confirmations
//! (安否確認) and the equipment register.
//!
//! No HTTP here: `renkei-emergency-web` serves it.

pub mod demo;
pub mod export;
pub mod model;
pub mod service;
mod store;
pub mod synthetic;

pub use service::{Emergency, EmergencyError, APPLICATIONS_PER_HOUR, SEARCHES_PER_DAY};

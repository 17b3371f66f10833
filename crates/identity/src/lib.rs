//! Identity (本人確認・権限): regions, municipalities, organisations, users,
//! sessions, two-factor authentication, API tokens and login throttling.
//!
//! The flow is always handler → [`Identity`] (service: rules, authorisation,
//! audit) → `store` (SQL, private to the crate). Every change and every
//! login attempt is written to the audit trail in the same transaction as
//! the change itself.
//!
//! Other capabilities read identity through the views of [`read_model`]
//! (never through its tables) or through the service.

pub mod demo;
mod error;
pub mod mfa;
pub mod model;
pub mod password;
pub mod read_model;
pub mod seed;
mod service;
mod store;

pub use error::IdentityError;
pub use model::*;
pub use service::{CredentialsEnded, Identity, IdentityConfig, LoginResult};

/// The service's result types, for callers that match on them.
pub mod service_types {
    pub use crate::service::{Enrolment, LoginResult, NextStep, SessionState};
}

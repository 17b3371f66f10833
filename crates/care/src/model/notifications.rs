//! Notification preferences and the digest's outcome.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Preferences {
    pub email_urgent: bool,
    pub email_digest: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            email_urgent: true,
            email_digest: true,
        }
    }
}

/// The result of one digest run.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DigestRun {
    pub sent: usize,
    pub nothing_unread: usize,
    pub failed: usize,
}

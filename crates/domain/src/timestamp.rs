//! Instants as milliseconds since the Unix epoch (UTC).
//!
//! Stored as a 64-bit integer on both databases so that SQLite and PostgreSQL
//! hold byte-identical values; the audit chain hashes them, so they must not
//! change when a row moves between backends.

use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};

/// Japan has one time zone and no daylight saving time, so a fixed +09:00
/// offset is exact for Asia/Tokyo.
pub const JST: UtcOffset = time::macros::offset!(+9);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The system clock. Only the edge reads it (handlers, the CLI, job
    /// loops, and [`SystemClock`]); a service gets the time as a parameter
    /// or from the [`Clock`] it was built with, so its rules can be tested
    /// at any instant. `clippy.toml` forbids it elsewhere.
    #[allow(clippy::disallowed_methods)] // the one place the clock is read
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Self((now.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0 + seconds * 1000)
    }

    pub fn to_offset_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// RFC 3339 in UTC, for CSV exports and the API.
    pub fn to_rfc3339(self) -> String {
        self.to_offset_datetime()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }

    /// `2026-11-22 18:40` in Japan time, for people.
    pub fn to_jst_display(self) -> String {
        let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
        self.to_offset_datetime()
            .to_offset(JST)
            .format(&format)
            .unwrap_or_default()
    }

    /// A moment a person names: `2026-12-08T10:30` (Japan time) or RFC 3339.
    pub fn parse_moment(s: &str) -> Option<Self> {
        let from = |t: OffsetDateTime| Self((t.unix_timestamp_nanos() / 1_000_000) as i64);
        if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
            return Some(from(t));
        }
        let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        time::PrimitiveDateTime::parse(s, &format)
            .ok()
            .map(|t| from(t.assume_offset(JST)))
    }

    /// The calendar day of this instant in Japan time.
    pub fn jst_date(self) -> time::Date {
        self.to_offset_datetime().to_offset(JST).date()
    }

    /// The instant of a Japan-time wall-clock moment.
    pub fn from_jst(at: time::PrimitiveDateTime) -> Self {
        Self((at.assume_offset(JST).unix_timestamp_nanos() / 1_000_000) as i64)
    }

    /// Parses a `YYYY-MM-DD` date as the start of that day in Japan time.
    pub fn from_jst_date(date: &str) -> Option<Self> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let day = time::Date::parse(date.trim(), &format).ok()?;
        Some(Self::from_jst(day.midnight()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jst_date_is_nine_hours_before_utc_midnight() {
        let t = Timestamp::from_jst_date("2026-04-01").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-31T15:00:00Z");
        assert_eq!(t.to_jst_display(), "2026-04-01 00:00");
        assert!(Timestamp::from_jst_date("2026-13-01").is_none());
    }
}

/// Where a long-lived service reads the time (identity, whose every request
/// needs it): the system clock in production, a [`ManualClock`] in tests of
/// deadlines and lock-outs.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

#[allow(clippy::disallowed_types)]
pub use system::SystemClock;

/// The real clock's definition, the one place it may be named freely
/// (`clippy.toml` forbids it below the edge everywhere else).
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
mod system {
    use super::{Clock, Timestamp};

    /// The real time.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct SystemClock;

    impl Clock for SystemClock {
        fn now(&self) -> Timestamp {
            Timestamp::now()
        }
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    pub fn at(t: Timestamp) -> Self {
        Self(std::sync::atomic::AtomicI64::new(t.0))
    }

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn advance_seconds(&self, seconds: i64) {
        self.0
            .fetch_add(seconds * 1000, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}
